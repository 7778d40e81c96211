/**
 * Remote read messages (prompb; schema text in proto/prometheus/remote.proto and types.proto):
 * ReadRequest encoding, and decoding of ChunkedReadResponse / ReadResponse straight into sample
 * columns. Pure, no I/O.
 */
import { decodeXorChunkInto, SampleBuffer } from '../../chunkenc/xor.js';
import { compareLabels, compareStrings, labelsKey, type Label, type Labels } from '../../model/labels.js';
import type { LabelMatcher, MatchType } from '../../model/matcher.js';
import type { Series } from '../../model/samples.js';
import { ProtoDecodeError, ProtoReader, ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protowire.js';

export const ResponseType = { SAMPLES: 0, STREAMED_XOR_CHUNKS: 1 } as const;
export type ResponseTypeValue = (typeof ResponseType)[keyof typeof ResponseType];

export const ChunkEncoding = { UNKNOWN: 0, XOR: 1, HISTOGRAM: 2, FLOAT_HISTOGRAM: 3 } as const;

const MATCH_TYPE: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

export interface ReadHints {
  readonly stepMs: number;
  readonly func: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly grouping: readonly string[];
  readonly by: boolean;
  readonly rangeMs: number;
}

export interface ReadQuery {
  readonly startMs: number;
  readonly endMs: number;
  readonly matchers: readonly Pick<LabelMatcher, 'type' | 'name' | 'value'>[];
  readonly hints?: ReadHints;
}

/** Serialises a ReadRequest (before snappy). */
export function encodeReadRequest(queries: readonly ReadQuery[], accepted: readonly ResponseTypeValue[]): Uint8Array {
  const w = new ProtoWriter();
  for (const q of queries) {
    const qw = new ProtoWriter();
    qw.varintField(1, q.startMs);
    qw.varintField(2, q.endMs);
    for (const m of q.matchers) {
      const mw = new ProtoWriter();
      mw.varintField(1, MATCH_TYPE[m.type]);
      mw.stringField(2, m.name);
      mw.stringField(3, m.value);
      qw.bytesField(3, mw.finish());
    }
    if (q.hints) {
      const h = q.hints;
      const hw = new ProtoWriter();
      hw.varintField(1, h.stepMs);
      hw.stringField(2, h.func);
      hw.varintField(3, h.startMs);
      hw.varintField(4, h.endMs);
      for (const g of h.grouping) hw.stringField(5, g, true);
      hw.varintField(6, h.by ? 1 : 0);
      hw.varintField(7, h.rangeMs);
      qw.bytesField(4, hw.finish());
    }
    w.bytesField(1, qw.finish());
  }
  w.packedField(2, accepted as number[]);
  return w.finish();
}

/** Reads a prompb.Label at the reader's current LEN payload ending at `end`. */
function readLabel(r: ProtoReader, end: number): Label {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === (1 << 3) + WIRE_LEN) name = r.string();
    else if (tag === (2 << 3) + WIRE_LEN) value = r.string();
    else r.skip(tag & 7);
  }
  return { name, value };
}

function finishLabels(ls: Label[]): Labels {
  for (let i = 1; i < ls.length; i++) {
    if (compareStrings(ls[i - 1]!.name, ls[i]!.name) >= 0) {
      return ls.sort((a, b) => compareStrings(a.name, b.name));
    }
  }
  return ls;
}

/**
 * Collects remote read series into `Series` with samples clipped to [mint, maxt]. Consecutive
 * messages for the same label set (a series split across frames) are joined; all chunks of a series
 * decode into one SampleBuffer, so each series costs one exact-size copy at the end.
 */
export class SeriesCollector {
  readonly series: Series[] = [];
  readonly warnings: string[] = [];
  /** Chunks and samples seen (for metrics and benchmarks). */
  chunks = 0;
  samples = 0;
  private curLabels: Labels | null = null;
  private curKey = '';
  private readonly buf = new SampleBuffer(1024);
  private skippedHistograms = 0;
  /** Series keys already finished, to merge a label set that reappears later (should not happen). */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** Decodes one ChunkedReadResponse message. */
  addChunkedResponse(msg: Uint8Array): void {
    const r = new ProtoReader(msg);
    while (!r.done()) {
      const tag = r.tag();
      if (tag === (1 << 3) + WIRE_LEN) {
        const end = r.lenEnd();
        this.addChunkedSeries(r, end);
        r.pos = end;
      } else {
        r.skip(tag & 7); // query_index: one query per request
      }
    }
  }

  private addChunkedSeries(r: ProtoReader, end: number): void {
    const start = r.pos;
    // Pass 1: labels (any field order).
    const ls: Label[] = [];
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === (1 << 3) + WIRE_LEN) {
        const e = r.lenEnd();
        ls.push(readLabel(r, e));
        r.pos = e;
      } else r.skip(tag & 7);
    }
    this.beginSeries(finishLabels(ls));
    // Pass 2: chunks.
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === (2 << 3) + WIRE_LEN) {
        const e = r.lenEnd();
        this.addChunk(r, e);
        r.pos = e;
      } else r.skip(tag & 7);
    }
  }

  private addChunk(r: ProtoReader, end: number): void {
    let minT = -Infinity;
    let maxT = Infinity;
    let type = 0;
    let data: Uint8Array | null = null;
    while (r.pos < end) {
      const tag = r.tag();
      switch (tag) {
        case (1 << 3) + WIRE_VARINT:
          minT = r.varint64();
          break;
        case (2 << 3) + WIRE_VARINT:
          maxT = r.varint64();
          break;
        case (3 << 3) + WIRE_VARINT:
          type = r.uvarint();
          break;
        case (4 << 3) + WIRE_LEN:
          data = r.bytes();
          break;
        default:
          r.skip(tag & 7);
      }
    }
    this.chunks++;
    if (type !== ChunkEncoding.XOR) {
      if (type === ChunkEncoding.HISTOGRAM || type === ChunkEncoding.FLOAT_HISTOGRAM) {
        this.skippedHistograms++;
        return;
      }
      throw new ProtoDecodeError(`unsupported chunk encoding ${type}`);
    }
    if (data === null) throw new ProtoDecodeError('chunk without data');
    // Skip chunks entirely outside the window without decoding them.
    if (maxT < this.mint || minT > this.maxt) return;
    this.samples += decodeXorChunkInto(data, this.buf, this.mint, this.maxt);
  }

  /** Decodes one snappy-decompressed ReadResponse (SAMPLES response type). */
  addSampledResponse(msg: Uint8Array): void {
    const r = new ProtoReader(msg);
    while (!r.done()) {
      const tag = r.tag();
      if (tag !== (1 << 3) + WIRE_LEN) {
        r.skip(tag & 7);
        continue;
      }
      const qEnd = r.lenEnd(); // QueryResult
      while (r.pos < qEnd) {
        const t2 = r.tag();
        if (t2 === (1 << 3) + WIRE_LEN) {
          const e = r.lenEnd();
          this.addTimeSeries(r, e);
          r.pos = e;
        } else r.skip(t2 & 7);
      }
      r.pos = qEnd;
    }
  }

  private addTimeSeries(r: ProtoReader, end: number): void {
    const start = r.pos;
    const ls: Label[] = [];
    let nSamples = 0;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === (1 << 3) + WIRE_LEN) {
        const e = r.lenEnd();
        ls.push(readLabel(r, e));
        r.pos = e;
      } else {
        if (tag === (2 << 3) + WIRE_LEN) nSamples++;
        else if (tag === (4 << 3) + WIRE_LEN) this.skippedHistograms++;
        r.skip(tag & 7);
      }
    }
    this.beginSeries(finishLabels(ls));
    const buf = this.buf;
    buf.reserve(nSamples);
    r.pos = start;
    const bytes = r.buf;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag !== (2 << 3) + WIRE_LEN) {
        r.skip(tag & 7);
        continue;
      }
      const e = r.lenEnd();
      let t = 0;
      let lo = 0;
      let hi = 0;
      while (r.pos < e) {
        const t2 = r.tag();
        if (t2 === (1 << 3) + WIRE_I64) {
          const p = r.pos;
          r.advance(8);
          lo = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
          hi = (bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24)) >>> 0;
        } else if (t2 === (2 << 3) + WIRE_VARINT) t = r.varint64();
        else r.skip(t2 & 7);
      }
      r.pos = e;
      if (t < this.mint || t > this.maxt) continue;
      const n = buf.length;
      if (n > 0 && t <= buf.timestamps[n - 1]!) buf.unordered = true;
      buf.timestamps[n] = t;
      buf.words[2 * n] = lo;
      buf.words[2 * n + 1] = hi;
      if (hi === 0x7ff00000 && lo === 2) buf.markStale(n);
      buf.length = n + 1;
      this.samples++;
    }
  }

  private beginSeries(ls: Labels): void {
    const key = labelsKey(ls);
    if (this.curLabels !== null && key === this.curKey) return; // continuation in the next frame
    this.flush();
    this.curLabels = ls;
    this.curKey = key;
    const prev = this.seen.get(key);
    if (prev !== undefined) {
      // The label set came back after another series: re-open it and merge.
      const s = this.series[prev]!;
      this.series[prev] = this.series[this.series.length - 1]!;
      this.seen.set(labelsKey(this.series[prev]!.labels), prev);
      this.series.pop();
      this.seen.delete(key);
      const buf = this.buf;
      const n = s.samples.timestamps.length;
      buf.reserve(n);
      buf.timestamps.set(s.samples.timestamps, 0);
      buf.values.set(s.samples.values, 0);
      if (s.samples.stale) for (let i = 0; i < n; i++) if (s.samples.stale[i]) buf.markStale(i);
      buf.length = n;
    }
  }

  private flush(): void {
    if (this.curLabels === null) return;
    const samples = this.buf.finish();
    // A series with no sample inside the window (its chunks only overlapped it) is not returned.
    if (samples.timestamps.length === 0) {
      this.curLabels = null;
      return;
    }
    this.seen.set(this.curKey, this.series.length);
    this.series.push({ labels: this.curLabels, samples });
    this.curLabels = null;
  }

  /** Ends collection: the series (label sets unique, sorted by labels) and warnings. */
  finish(): { series: Series[]; warnings: string[] } {
    this.flush();
    if (this.skippedHistograms > 0) {
      this.warnings.push(`skipped ${this.skippedHistograms} native histogram chunk(s)/sample set(s): not supported`);
    }
    let sorted = true;
    for (let i = 1; i < this.series.length && sorted; i++) {
      if (compareLabels(this.series[i - 1]!.labels, this.series[i]!.labels) > 0) sorted = false;
    }
    if (!sorted) this.series.sort((a, b) => compareLabels(a.labels, b.labels));
    return { series: this.series, warnings: this.warnings };
  }
}
