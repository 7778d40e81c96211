/**
 * Decodes one remote read response body, fed as it arrives, into the series of each query of the
 * request. Pure, no I/O: the query workers run it on bytes the main thread moved to them.
 */
import type { Series } from '../../model/samples.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from '../../wire/framing.js';
import { snappyDecode } from '../../wire/snappy.js';
import {
  chunkedQueryIndex,
  forEachQueryResult,
  ResponseType,
  SeriesCollector,
  type EncodedSeries,
  type ReadBudget,
  type ResponseTypeValue,
} from './messages.js';

export class ReadDecodeError extends Error {
  override name = 'ReadDecodeError';
}

export interface ReadWindow {
  /** Inclusive sample window of one query, in ms. */
  readonly mint: number;
  readonly maxt: number;
}

export interface ReadDecoderOptions {
  readonly maxFrameBytes?: number;
  /** Limit on a SAMPLES body, compressed or decoded (default 1 GiB). */
  readonly maxSampledBytes?: number;
  readonly budget?: ReadBudget | null;
  /** Keep XOR chunks undecoded (EncodedSeries) until the caller decodes them. */
  readonly keepEncoded?: boolean;
}

export interface DecodedRead {
  /** Per query of the request, in request order: series sorted by labels and warnings. */
  readonly results: { series: Series[]; encoded: EncodedSeries[]; warnings: string[] }[];
  readonly frames: number;
  readonly bytes: number;
  readonly chunks: number;
  readonly samples: number;
}

export class ReadDecoder {
  private readonly collectors: SeriesCollector[];
  private readonly frames: FrameDecoder | null;
  private readonly sampled: Uint8Array[] = [];
  private sampledBytes = 0;
  private readonly maxSampled: number;

  /**
   * `contentEncoding` applies to SAMPLES bodies: "snappy" (or "", Prometheus' default) or
   * "identity".
   */
  constructor(
    readonly responseType: ResponseTypeValue,
    private readonly contentEncoding: string,
    windows: readonly ReadWindow[],
    opts: ReadDecoderOptions = {},
  ) {
    this.collectors = windows.map((w) => new SeriesCollector(w.mint, w.maxt, opts.budget ?? null, opts.keepEncoded ?? false));
    this.frames = responseType === ResponseType.STREAMED_XOR_CHUNKS ? new FrameDecoder(opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES) : null;
    this.maxSampled = opts.maxSampledBytes ?? 1 << 30;
    if (this.frames === null && contentEncoding !== 'snappy' && contentEncoding !== '' && contentEncoding !== 'identity') {
      throw new ReadDecodeError(`unsupported content-encoding ${JSON.stringify(contentEncoding)}`);
    }
  }

  /** True for a framed (streamed) body, decoded as it arrives without keeping the pieces. */
  get streamed(): boolean {
    return this.frames !== null;
  }

  push(piece: Uint8Array): void {
    if (this.frames !== null) {
      for (const msg of this.frames.push(piece)) this.collectorFor(chunkedQueryIndex(msg)).addChunkedResponse(msg);
      return;
    }
    this.sampledBytes += piece.length;
    if (this.sampledBytes > this.maxSampled) throw new ReadDecodeError(`SAMPLES response exceeds ${this.maxSampled} bytes`);
    this.sampled.push(piece);
  }

  finish(): DecodedRead {
    let frames = 0;
    let bytes = this.sampledBytes;
    if (this.frames !== null) {
      this.frames.end();
      frames = this.frames.frames;
      bytes = this.frames.bytes;
    } else {
      let raw: Uint8Array = this.sampled.length === 1 ? this.sampled[0]! : Buffer.concat(this.sampled, this.sampledBytes);
      this.sampled.length = 0;
      if (this.contentEncoding !== 'identity') raw = snappyDecode(raw, this.maxSampled);
      forEachQueryResult(raw, (r, end, index) => this.collectorFor(index).addQueryResult(r, end));
    }
    let chunks = 0;
    let samples = 0;
    const results = this.collectors.map((c) => {
      chunks += c.chunks;
      samples += c.samples;
      const { series, warnings } = c.finish();
      return { series, encoded: c.encoded, warnings };
    });
    return { results, frames, bytes, chunks, samples };
  }

  private collectorFor(index: number): SeriesCollector {
    const c = this.collectors[index];
    if (c === undefined) throw new ReadDecodeError(`response for query ${index}, but the request had ${this.collectors.length}`);
    return c;
  }
}
