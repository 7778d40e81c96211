/**
 * Decodes the Series streams of one StoreAPI endpoint (one stream per select), fed as the main
 * thread moves the bytes over, into the inputs of deduplication. Pure, no I/O: runs in the query
 * workers.
 *
 * Body layout (written by GrpcStore on the main thread): frames of
 * [u32 LE select index][u32 LE length][SeriesResponse bytes].
 *
 * Consecutive frames with equal label sets are one run: a series split across frames, or, when the
 * endpoint removed the replica labels (`without_replica_labels`), the replicas of one series sent
 * one after the other. Each run's chunks are laid into overlap-free lanes, first fit in arrival
 * order (Thanos' overlap split, but without sorting first): a replica sent whole stays one lane, a
 * series split by time continues its lane, and every lane becomes one replica to merge.
 */
import { decodeXorChunk } from '../../chunkenc/xor.js';
import { compareLabels, compareStrings, type Labels } from '../../model/labels.js';
import type { Series } from '../../model/samples.js';
import { EncodedSeries, type ReadBudget } from '../prometheus/messages.js';
import { decodeAggrChunks, type AggrChunkData, type AggrValue } from './downsample.js';
import { readSeriesResponse, ThanosChunkEncoding, type AggrChunkRef, type ChunkRef } from './series-codec.js';

export class SeriesStreamError extends Error {
  override name = 'SeriesStreamError';
}

export interface SeriesSelectWindow {
  readonly mint: number;
  readonly maxt: number;
  /** Aggregates to read from downsampled chunks (Thanos' choice from the select's function). */
  readonly aggregates: readonly AggrValue[];
}

export interface DecodedSeriesResult {
  readonly series: Series[];
  readonly encoded: EncodedSeries[];
  /** The endpoint's warning frames, then what decoding noticed (e.g. skipped histogram chunks). */
  readonly warnings: string[];
  /** The endpoint's warning frames only: its answer is partial. */
  readonly partial: string[];
}

/** Frame header: select index and length, little-endian u32 each. */
export const FRAME_HEADER_BYTES = 8;
/** Largest SeriesResponse accepted (gRPC's own limit is set larger on the channel). */
export const MAX_SERIES_FRAME_BYTES = 256 * 1024 * 1024;

export function writeFrameHeader(buf: Uint8Array, at: number, select: number, length: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset + at, FRAME_HEADER_BYTES);
  v.setUint32(0, select, true);
  v.setUint32(4, length, true);
}

export class SeriesStreamDecoder {
  private readonly collectors: SelectCollector[];
  private pending: Uint8Array = new Uint8Array(0);
  private pendingLen = 0;
  frames = 0;
  bytes = 0;

  constructor(windows: readonly SeriesSelectWindow[], budget: ReadBudget | null) {
    this.collectors = windows.map((w) => new SelectCollector(w, budget));
  }

  get samples(): number {
    let n = 0;
    for (const c of this.collectors) n += c.samples;
    return n;
  }

  push(piece: Uint8Array): void {
    this.bytes += piece.length;
    let buf = piece;
    let pos = 0;
    let end = piece.length;
    if (this.pendingLen > 0) {
      // Join with the partial frame left from the previous piece.
      const joined = new Uint8Array(this.pendingLen + piece.length);
      joined.set(this.pending.subarray(0, this.pendingLen));
      joined.set(piece, this.pendingLen);
      buf = joined;
      end = joined.length;
      this.pendingLen = 0;
    }
    while (end - pos >= FRAME_HEADER_BYTES) {
      const v = new DataView(buf.buffer, buf.byteOffset + pos, FRAME_HEADER_BYTES);
      const select = v.getUint32(0, true);
      const length = v.getUint32(4, true);
      if (length > MAX_SERIES_FRAME_BYTES) throw new SeriesStreamError(`Series frame of ${length} bytes exceeds ${MAX_SERIES_FRAME_BYTES}`);
      if (end - pos - FRAME_HEADER_BYTES < length) break;
      const c = this.collectors[select];
      if (c === undefined) throw new SeriesStreamError(`frame for select ${select}, but the read had ${this.collectors.length}`);
      const start = pos + FRAME_HEADER_BYTES;
      c.addFrame(buf.subarray(start, start + length));
      this.frames++;
      pos = start + length;
    }
    if (pos < end) {
      const rest = end - pos;
      if (this.pending.length < rest) this.pending = new Uint8Array(Math.max(rest, 64 * 1024));
      this.pending.set(buf.subarray(pos, end));
      this.pendingLen = rest;
    }
  }

  finish(): DecodedSeriesResult[] {
    if (this.pendingLen > 0) throw new SeriesStreamError(`stream ended inside a frame (${this.pendingLen} bytes left)`);
    return this.collectors.map((c) => c.finish());
  }
}

/** A chunk of a run, its data copied out of the message (whose buffer is reused). */
interface KeptChunk {
  readonly minTime: number;
  readonly maxTime: number;
  /** The raw XOR chunk, or null when only aggregates came. */
  readonly raw: Uint8Array | null;
  readonly aggr: AggrChunkData | null;
  readonly samples: number;
}

interface Lane {
  readonly chunks: KeptChunk[];
  lastMax: number;
}

const SLAB_BYTES = 1 << 20;

class SelectCollector {
  readonly series: Series[] = [];
  readonly encoded: EncodedSeries[] = [];
  /** Warning frames the endpoint sent. */
  readonly partial: string[] = [];
  samples = 0;
  private runLabels: Labels | null = null;
  private lanes: Lane[] = [];
  private slab = new Uint8Array(0);
  private slabUsed = 0;
  private skippedHistograms = 0;

  constructor(
    private readonly window: SeriesSelectWindow,
    private readonly budget: ReadBudget | null,
  ) {}

  addFrame(msg: Uint8Array): void {
    readSeriesResponse(msg, {
      warning: (m) => this.partial.push(m),
      series: (labels, chunks, buf) => this.addSeries(labels, chunks, buf),
    });
  }

  private addSeries(labels: Labels, chunks: readonly AggrChunkRef[], buf: Uint8Array): void {
    const sorted = sortedLabels(labels);
    const continued = this.runLabels !== null && compareLabels(this.runLabels, sorted) === 0;
    let samples = 0;
    const kept: KeptChunk[] = [];
    const { mint, maxt } = this.window;
    for (const c of chunks) {
      // Chunks may extend beyond the window (the client clips); ones entirely outside are skipped.
      // A chunk without times (both 0) is decoded and clipped like any other.
      const timed = c.minTime !== 0 || c.maxTime !== 0;
      if (timed && (c.maxTime < mint || c.minTime > maxt)) continue;
      const k = this.keep(c, buf);
      if (k === null) continue;
      kept.push(k);
      samples += k.samples;
    }
    // Chunk order by min_time is only recommended (rpc.proto): sorted here, a lone series sent out
    // of order stays one lane instead of becoming two "replicas" that the penalty merge thins out.
    if (kept.length > 1) kept.sort((a, b) => a.minTime - b.minTime);
    this.budget?.reserve(continued ? 0 : 1, samples);
    this.samples += samples;
    if (!continued) {
      this.flushRun();
      this.runLabels = sorted;
    }
    for (const k of kept) this.place(k);
  }

  private keep(c: AggrChunkRef, buf: Uint8Array): KeptChunk | null {
    const raw = c.raw !== null && c.raw.end > c.raw.start ? c.raw : null;
    const parts = [c.count, c.sum, c.min, c.max, c.counter];
    const aggregated = parts.some((p) => p !== null);
    if (raw !== null && raw.type !== ThanosChunkEncoding.XOR) return this.skipNonXor(raw.type);
    if (!aggregated) {
      if (raw === null) return null; // an empty AggrChunk
      const data = this.copy(buf, raw);
      if (c.minTime === 0 && c.maxTime === 0 && headerCount(data) > 0) {
        // A sender that left the chunk's times out: read them from the samples (rare, so decoded).
        const ts = decodeXorChunk(data).timestamps;
        return { minTime: ts[0]!, maxTime: ts[ts.length - 1]!, raw: data, aggr: null, samples: headerCount(data) };
      }
      return { minTime: c.minTime, maxTime: c.maxTime, raw: data, aggr: null, samples: headerCount(data) };
    }
    // Downsampled: the aggregate is chosen per chunk as Thanos does (raw, when also present, is its fallback).
    for (const p of parts) if (p !== null && p.type !== ThanosChunkEncoding.XOR) return this.skipNonXor(p.type);
    const copy = (p: ChunkRef | null): Uint8Array | null => (p === null ? null : this.copy(buf, p));
    const aggr: AggrChunkData = {
      minTime: c.minTime,
      maxTime: c.maxTime,
      raw: copy(raw),
      count: copy(c.count),
      sum: copy(c.sum),
      min: copy(c.min),
      max: copy(c.max),
      counter: copy(c.counter),
    };
    let samples = 0;
    for (const p of [aggr.raw, aggr.count, aggr.sum, aggr.min, aggr.max, aggr.counter]) if (p !== null) samples = Math.max(samples, headerCount(p));
    return { minTime: c.minTime, maxTime: c.maxTime, raw: null, aggr, samples };
  }

  private skipNonXor(type: number): null {
    if (type === ThanosChunkEncoding.HISTOGRAM || type === ThanosChunkEncoding.FLOAT_HISTOGRAM) {
      this.skippedHistograms++;
      return null;
    }
    throw new SeriesStreamError(`unsupported chunk encoding ${type}`);
  }

  private copy(buf: Uint8Array, c: ChunkRef): Uint8Array {
    const n = c.end - c.start;
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Uint8Array(Math.max(n, SLAB_BYTES));
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    this.slab.set(buf.subarray(c.start, c.end), at);
    this.slabUsed += n;
    return this.slab.subarray(at, at + n);
  }

  /** First lane whose last chunk ends before this one starts; else a new lane. */
  private place(k: KeptChunk): void {
    for (const lane of this.lanes) {
      if (lane.lastMax < k.minTime) {
        lane.chunks.push(k);
        lane.lastMax = k.maxTime;
        return;
      }
    }
    this.lanes.push({ chunks: [k], lastMax: k.maxTime });
  }

  private flushRun(): void {
    const labels = this.runLabels;
    if (labels === null) return;
    for (const lane of this.lanes) this.emitLane(labels, lane);
    this.lanes = [];
    this.runLabels = null;
  }

  private emitLane(labels: Labels, lane: Lane): void {
    const { mint, maxt } = this.window;
    const chunks = lane.chunks;
    if (chunks.some((c) => c.aggr !== null)) {
      const data: AggrChunkData[] = chunks.map(
        (c) => c.aggr ?? { minTime: c.minTime, maxTime: c.maxTime, raw: c.raw, count: null, sum: null, min: null, max: null, counter: null },
      );
      const out = decodeAggrChunks(data, this.window.aggregates, mint, maxt);
      if (out.timestamps.length > 0) this.series.push({ labels, samples: out });
      return;
    }
    const bufs: Uint8Array[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let count = 0;
    for (const c of chunks) {
      const raw = c.raw!;
      bufs.push(raw);
      starts.push(0);
      ends.push(raw.length);
      count += c.samples;
    }
    const minTimes = chunks.map((c) => c.minTime);
    const maxTimes = chunks.map((c) => c.maxTime);
    this.encoded.push(new EncodedSeries(labels, bufs, starts, ends, count, mint, maxt, minTimes, maxTimes));
  }

  finish(): DecodedSeriesResult {
    this.flushRun();
    const warnings = [...this.partial];
    if (this.skippedHistograms > 0) warnings.push(`skipped ${this.skippedHistograms} native histogram chunk(s): not supported`);
    return { series: this.series, encoded: this.encoded, warnings, partial: this.partial };
  }
}

/** Samples a chunk's header announces. */
function headerCount(data: Uint8Array): number {
  return data.length >= 2 ? (data[0]! << 8) | data[1]! : 0;
}

/** Labels sorted by name (StoreAPI requires it; a careless endpoint is tolerated). */
function sortedLabels(ls: Labels): Labels {
  for (let i = 1; i < ls.length; i++) {
    if (compareStrings(ls[i - 1]!.name, ls[i]!.name) >= 0) return [...ls].sort((a, b) => compareStrings(a.name, b.name));
  }
  return ls;
}
