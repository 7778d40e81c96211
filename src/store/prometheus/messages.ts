/**
 * Remote read messages (prompb; schema text in proto/prometheus/remote.proto and types.proto):
 * ReadRequest encoding, and decoding of ChunkedReadResponse / ReadResponse straight into sample
 * columns. Pure, no I/O.
 */
import { decodeXorRangeInto, SampleArena, SampleBuffer } from '../../chunkenc/xor.js';
import { compareLabels, compareStrings, type Label, type Labels } from '../../model/labels.js';
import type { LabelMatcher, MatchType } from '../../model/matcher.js';
import { STALE_NAN_HI, STALE_NAN_LO, type Samples, type Series } from '../../model/samples.js';
import { readLabel } from './label-cache.js';
import { ProtoDecodeError, ProtoReader, ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/protowire.js';

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
 * messages for the same label set (a series split across frames) are joined. Samples are decoded
 * straight into a SampleArena: every series is an exact-size view of a shared slab (sized from the
 * chunk headers before decoding), so there is no per-series buffer, growth or final copy. The
 * returned sample arrays therefore share ArrayBuffers: never transfer or detach them.
 */
/**
 * Told about every series and every sample a decoder is about to keep, before it allocates for
 * them; throws to abort the read (query limits).
 */
export interface ReadBudget {
  reserve(series: number, samples: number): void;
}

/**
 * A series whose XOR chunks are kept as they came (copied out of the message), decoded only when
 * `decode` is called: holding two replicas' chunks costs ~1.5 bytes a sample instead of 16, and
 * each replica group is decoded just before it is merged.
 */
export class EncodedSeries {
  constructor(
    readonly labels: Labels,
    /** Chunk data [starts[i], ends[i]) inside bufs[i]. */
    private readonly bufs: Uint8Array[],
    private readonly starts: number[],
    private readonly ends: number[],
    /** Samples the chunk headers announce (an upper bound of what decode returns). */
    readonly sampleCount: number,
    private readonly mint: number,
    private readonly maxt: number,
    /** Each chunk's first and last sample time as its sender announced them. */
    private readonly minTimes: number[],
    private readonly maxTimes: number[],
  ) {}

  /** The window samples are clipped to. */
  get window(): { readonly mint: number; readonly maxt: number } {
    return { mint: this.mint, maxt: this.maxt };
  }

  /** The chunks as they came (for passing them on unchanged), in order. */
  chunks(): { data: Uint8Array; minTime: number; maxTime: number }[] {
    return this.bufs.map((b, i) => ({ data: b.subarray(this.starts[i]!, this.ends[i]!), minTime: this.minTimes[i]!, maxTime: this.maxTimes[i]! }));
  }

  /** Decodes the samples inside the window into `arena` and returns them (views of it). */
  decode(arena: SampleArena): Samples {
    arena.reserve(this.sampleCount);
    for (let i = 0; i < this.bufs.length; i++) decodeXorRangeInto(this.bufs[i]!, this.starts[i]!, this.ends[i]!, arena, this.mint, this.maxt);
    return arena.take();
  }

  /** One series from several with equal labels: all their chunks, in order (the first wins ties). */
  static join(parts: readonly EncodedSeries[]): EncodedSeries {
    const p0 = parts[0]!;
    let count = 0;
    for (const p of parts) count += p.sampleCount;
    return new EncodedSeries(
      p0.labels,
      parts.flatMap((p) => p.bufs),
      parts.flatMap((p) => p.starts),
      parts.flatMap((p) => p.ends),
      count,
      p0.mint,
      p0.maxt,
      parts.flatMap((p) => p.minTimes),
      parts.flatMap((p) => p.maxTimes),
    );
  }

  /** The same series with other labels. */
  withLabels(labels: Labels): EncodedSeries {
    return new EncodedSeries(labels, this.bufs, this.starts, this.ends, this.sampleCount, this.mint, this.maxt, this.minTimes, this.maxTimes);
  }
}

/** Bytes of chunk data per slab an encoded collector copies chunks into. */
const CHUNK_SLAB_BYTES = 1 << 20;
const FIRST_CHUNK_SLAB_BYTES = 1 << 14;

export class SeriesCollector {
  readonly series: Series[] = [];
  /** With `encoded`: the series, chunks kept undecoded. */
  readonly encoded: EncodedSeries[] = [];
  readonly warnings: string[] = [];
  /** Chunks and samples seen (for metrics and benchmarks). */
  chunks = 0;
  samples = 0;
  private curLabels: Labels | null = null;
  /** Decoded samples (SAMPLES answers, or chunks when not kept encoded); made on first use. */
  private arenaOrNull: SampleArena | null = null;
  private skippedHistograms = 0;
  /** XOR chunks of the series being read, as [start, end) offsets of their data in the message, and their times. */
  private readonly chunkStarts: number[] = [];
  private readonly chunkEnds: number[] = [];
  private readonly chunkMinTimes: number[] = [];
  private readonly chunkMaxTimes: number[] = [];

  // Encoded mode: the open series' chunks, and the slab chunk bytes are copied into.
  private readonly openBufs: Uint8Array[] = [];
  private readonly openStarts: number[] = [];
  private readonly openEnds: number[] = [];
  private readonly openMinTimes: number[] = [];
  private readonly openMaxTimes: number[] = [];
  private openCount = 0;
  private slab = new Uint8Array(0);
  private slabUsed = 0;

  /**
   * `encoded`: XOR chunks are kept undecoded (EncodedSeries, in `encoded`) instead of being decoded
   * into `series`. SAMPLES answers are always decoded.
   */
  constructor(
    private readonly mint: number,
    private readonly maxt: number,
    private readonly budget: ReadBudget | null = null,
    private readonly keepEncoded = false,
  ) {}

  private get arena(): SampleArena {
    return (this.arenaOrNull ??= new SampleArena());
  }

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
    // One pass over the fields (any order): labels, and the chunks worth decoding with their
    // sample counts, so that the arena makes room once for the whole series.
    const ls: Label[] = [];
    const starts = this.chunkStarts;
    const ends = this.chunkEnds;
    starts.length = ends.length = this.chunkMinTimes.length = this.chunkMaxTimes.length = 0;
    let total = 0;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === (1 << 3) + WIRE_LEN) {
        ls.push(readLabel(r, r.lenEnd()));
      } else if (tag === (2 << 3) + WIRE_LEN) {
        const e = r.lenEnd();
        total += this.scanChunk(r, e);
        r.pos = e;
      } else r.skip(tag & 7);
    }
    this.beginSeries(finishLabels(ls), total);
    if (this.keepEncoded) {
      for (let i = 0; i < starts.length; i++) {
        this.keepChunk(r.buf, starts[i]!, ends[i]!);
        this.openMinTimes.push(this.chunkMinTimes[i]!);
        this.openMaxTimes.push(this.chunkMaxTimes[i]!);
      }
      this.openCount += total;
      this.samples += total;
      return;
    }
    const arena = this.arena;
    arena.reserve(total);
    for (let i = 0; i < starts.length; i++) {
      this.samples += decodeXorRangeInto(r.buf, starts[i]!, ends[i]!, arena, this.mint, this.maxt);
    }
  }

  /** Copies chunk data out of the message (whose buffer goes back to the main thread). */
  private keepChunk(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.slabUsed + n > this.slab.length) {
      // Twice the last slab, up to CHUNK_SLAB_BYTES: a read of a few series does not allocate (and
      // zero) a megabyte per select.
      this.slab = new Uint8Array(Math.max(n, Math.min(CHUNK_SLAB_BYTES, Math.max(FIRST_CHUNK_SLAB_BYTES, 2 * this.slab.length))));
      this.slabUsed = 0;
    }
    this.slab.set(buf.subarray(start, end), this.slabUsed);
    this.openBufs.push(this.slab);
    this.openStarts.push(this.slabUsed);
    this.openEnds.push(this.slabUsed + n);
    this.slabUsed += n;
  }

  /** Reads a prompb.Chunk; notes its data when it is XOR and overlaps the window. Returns its sample count. */
  private scanChunk(r: ProtoReader, end: number): number {
    let minT = -Infinity;
    let maxT = Infinity;
    let type = 0;
    let dataStart = -1;
    let dataEnd = -1;
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
          dataEnd = r.lenEnd();
          dataStart = r.pos;
          r.pos = dataEnd;
          break;
        default:
          r.skip(tag & 7);
      }
    }
    this.chunks++;
    if (type !== ChunkEncoding.XOR) {
      if (type === ChunkEncoding.HISTOGRAM || type === ChunkEncoding.FLOAT_HISTOGRAM) {
        this.skippedHistograms++;
        return 0;
      }
      throw new ProtoDecodeError(`unsupported chunk encoding ${type}`);
    }
    if (dataStart < 0) throw new ProtoDecodeError('chunk without data');
    // Skip chunks entirely outside the window without decoding them.
    if (maxT < this.mint || minT > this.maxt) return 0;
    this.chunkStarts.push(dataStart);
    this.chunkEnds.push(dataEnd);
    this.chunkMinTimes.push(minT);
    this.chunkMaxTimes.push(maxT);
    // The decoder rejects chunks too short for a header.
    return dataEnd - dataStart >= 2 ? (r.buf[dataStart]! << 8) | r.buf[dataStart + 1]! : 0;
  }

  /** Decodes one snappy-decompressed ReadResponse (SAMPLES response type) of a single query. */
  addSampledResponse(msg: Uint8Array): void {
    forEachQueryResult(msg, (r, end) => this.addQueryResult(r, end));
  }

  /** Decodes the QueryResult at r.pos..end of a SAMPLES response. */
  addQueryResult(r: ProtoReader, end: number): void {
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === (1 << 3) + WIRE_LEN) {
        const e = r.lenEnd();
        this.addTimeSeries(r, e);
        r.pos = e;
      } else r.skip(tag & 7);
    }
  }

  private addTimeSeries(r: ProtoReader, end: number): void {
    const start = r.pos;
    const ls: Label[] = [];
    let nSamples = 0;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === (1 << 3) + WIRE_LEN) {
        ls.push(readLabel(r, r.lenEnd()));
      } else {
        if (tag === (2 << 3) + WIRE_LEN) nSamples++;
        else if (tag === (4 << 3) + WIRE_LEN) this.skippedHistograms++;
        r.skip(tag & 7);
      }
    }
    this.beginSeries(finishLabels(ls), nSamples);
    const buf = this.arena;
    buf.reserve(nSamples);
    let last = buf.lastTimestamp();
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
      if (t <= last) buf.unordered = true;
      last = t;
      buf.timestamps[n] = t;
      buf.words[2 * n] = lo;
      buf.words[2 * n + 1] = hi;
      if (hi === STALE_NAN_HI && lo === STALE_NAN_LO) buf.markStale(n);
      buf.length = n + 1;
      this.samples++;
    }
  }

  private beginSeries(ls: Labels, samples: number): void {
    const cur = this.curLabels;
    const continued = cur !== null && compareLabels(cur, ls) === 0; // continuation in the next frame
    this.budget?.reserve(continued ? 0 : 1, samples);
    if (continued) return;
    this.flush();
    this.curLabels = ls;
  }

  private flush(): void {
    if (this.curLabels === null) return;
    if (this.openBufs.length > 0 || this.keepEncoded) {
      // Encoded mode (a SAMPLES answer in encoded mode still decodes into the arena, below).
      if (this.openBufs.length > 0) {
        this.encoded.push(
          new EncodedSeries(
            this.curLabels,
            this.openBufs.splice(0),
            this.openStarts.splice(0),
            this.openEnds.splice(0),
            this.openCount,
            this.mint,
            this.maxt,
            this.openMinTimes.splice(0),
            this.openMaxTimes.splice(0),
          ),
        );
        this.openCount = 0;
        this.curLabels = null;
        return;
      }
      if ((this.arenaOrNull?.openLength() ?? 0) === 0) {
        this.curLabels = null;
        return;
      }
    }
    const samples = this.arena.take();
    // A series with no sample inside the window (its chunks only overlapped it) is not returned.
    if (samples.timestamps.length > 0) this.series.push({ labels: this.curLabels, samples });
    this.curLabels = null;
  }

  /**
   * Ends collection: the series (label sets unique, sorted by labels) and warnings. In encoded mode
   * the chunked series are in `encoded`, sorted, label sets unique.
   */
  finish(): { series: Series[]; warnings: string[] } {
    this.flush();
    if (this.keepEncoded) sortEncoded(this.encoded);
    if (this.skippedHistograms > 0) {
      this.warnings.push(`skipped ${this.skippedHistograms} native histogram chunk(s)/sample set(s): not supported`);
    }
    const series = this.series;
    let sorted = true;
    let repeated = false;
    for (let i = 1; i < series.length; i++) {
      const c = compareLabels(series[i - 1]!.labels, series[i]!.labels);
      if (c > 0) sorted = false;
      else if (c === 0) repeated = true;
    }
    // Stable: a label set that came back later (should not happen) keeps its arrival order.
    if (!sorted) series.sort((a, b) => compareLabels(a.labels, b.labels));
    if (!sorted || repeated) mergeRepeated(series);
    return { series, warnings: this.warnings };
  }
}

/** Sorts by labels and joins repeated label sets (their chunks in arrival order), in place. */
function sortEncoded(series: EncodedSeries[]): void {
  let sorted = true;
  for (let i = 1; i < series.length && sorted; i++) if (compareLabels(series[i - 1]!.labels, series[i]!.labels) >= 0) sorted = false;
  if (sorted) return;
  series.sort((a, b) => compareLabels(a.labels, b.labels));
  let out = 0;
  for (let i = 0; i < series.length; ) {
    let j = i + 1;
    while (j < series.length && compareLabels(series[i]!.labels, series[j]!.labels) === 0) j++;
    series[out++] = j - i === 1 ? series[i]! : EncodedSeries.join(series.slice(i, j));
    i = j;
  }
  series.length = out;
}

/** Calls `f` with a reader positioned on each QueryResult of a ReadResponse, in order. */
export function forEachQueryResult(msg: Uint8Array, f: (r: ProtoReader, end: number, index: number) => void): void {
  const r = new ProtoReader(msg);
  let index = 0;
  while (!r.done()) {
    const tag = r.tag();
    if (tag !== (1 << 3) + WIRE_LEN) {
      r.skip(tag & 7);
      continue;
    }
    const end = r.lenEnd();
    f(r, end, index++);
    r.pos = end;
  }
}

/** The query_index of a ChunkedReadResponse (0 when absent). */
export function chunkedQueryIndex(msg: Uint8Array): number {
  const r = new ProtoReader(msg);
  let index = 0;
  while (!r.done()) {
    const tag = r.tag();
    if (tag === (2 << 3) + WIRE_VARINT) index = r.varint64();
    else r.skip(tag & 7);
  }
  return index;
}

/**
 * Merges runs of equal label sets in sorted `series` in place, as if all their samples had been
 * appended to one series in order (first appended wins on equal timestamps).
 */
function mergeRepeated(series: Series[]): void {
  let out = 0;
  for (let i = 0; i < series.length; ) {
    let j = i + 1;
    while (j < series.length && compareLabels(series[i]!.labels, series[j]!.labels) === 0) j++;
    if (j - i === 1) series[out++] = series[i]!;
    else {
      const buf = new SampleBuffer(1);
      for (let k = i; k < j; k++) buf.appendSamples(series[k]!.samples);
      series[out++] = { labels: series[i]!.labels, samples: buf.finish() };
    }
    i = j;
  }
  series.length = out;
}
