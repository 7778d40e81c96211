/**
 * The StoreAPI server's answer to a Series request, encoded in a query worker: warning frames
 * first (as Thanos' proxy sorts them), then one frame per series, sorted by labels, its samples in
 * XOR chunks of at most 120 as Prometheus' head cuts them. Pure, no I/O.
 */
import { decodeXorRangeInto, encodeXorChunk, SampleBuffer, xorChunkPrefix } from '../../chunkenc/xor.js';
import { compareLabels, dropLabels, type Labels } from '../../model/labels.js';
import { clipSamples, type Samples, type Series } from '../../model/samples.js';
import type { EncodedSeries } from '../prometheus/messages.js';
import { xxhash64 } from '../../promql/functions/xxhash64.js';
import { encodeBatchFrame, encodeSeries, encodeSeriesFrame, encodeWarningFrame, type RawChunk } from './series-codec.js';

/** Prometheus' head cuts a chunk at 120 samples. */
export const SAMPLES_PER_CHUNK = 120;
/** Each frame goes to the main thread behind its length (u32 LE). */
export const LENGTH_PREFIX_BYTES = 4;

export interface SeriesAnswerOptions {
  /** Labels to remove (the request's without_replica_labels); order is kept on what remains. */
  readonly withoutReplicaLabels: readonly string[];
  /** At most this many series (0 = all). */
  readonly limit: number;
  readonly skipChunks: boolean;
  /** response_batch_size: series per SeriesBatch frame; 0 or 1 = one Series frame each. */
  readonly batchSize?: number;
  /** shard_info: only this shard's series (hashed on the labels as sent). */
  readonly shard?: SeriesShard | null;
}

/** Thanos' ShardInfo: a series belongs to shard xxhash64(its chosen labels) % total. */
export interface SeriesShard {
  readonly index: number;
  readonly total: number;
  /** true: hash the listed labels; false: every label but the listed ones. */
  readonly by: boolean;
  readonly labels: readonly string[];
}

const SEP = 0xff;

/**
 * Thanos' ShardMatcher: xxhash64 over name 0xff value 0xff of the chosen labels (`by`: the listed
 * ones; else all others), modulo the shard count. Applied to the labels as sent, so the replicas
 * of a series (equal once without_replica_labels are gone) stay in one shard.
 */
export function inShard(labels: Labels, shard: SeriesShard): boolean {
  const chosen = new Set(shard.labels);
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const l of labels) {
    if (chosen.has(l.name) !== shard.by) continue;
    const n = utf8.encode(l.name);
    const v = utf8.encode(l.value);
    parts.push(n, v);
    size += n.length + v.length + 2;
  }
  const buf = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < parts.length; i += 2) {
    buf.set(parts[i]!, at);
    at += parts[i]!.length;
    buf[at++] = SEP;
    buf.set(parts[i + 1]!, at);
    at += parts[i + 1]!.length;
    buf[at++] = SEP;
  }
  return xxhash64(buf) % BigInt(shard.total) === BigInt(shard.index);
}

const utf8 = new TextEncoder();

/** A series to send: decoded (merged), or as an endpoint sent it (its chunks passed on). */
export type AnswerSeries = Series | { readonly labels: Labels; readonly encoded: EncodedSeries };

/** Frames of the answer, each prefixed by its length. */
export function* seriesAnswerFrames(series: readonly AnswerSeries[], warnings: readonly string[], opts: SeriesAnswerOptions): Generator<Uint8Array> {
  for (const w of warnings) yield prefixed(encodeWarningFrame(w));
  const drop = new Set(opts.withoutReplicaLabels);
  const items: { labels: Labels; series: AnswerSeries }[] = series.map((s) => ({ labels: drop.size > 0 ? dropLabels(s.labels, drop) : s.labels, series: s }));
  // Stable: the replicas of one series (equal once their replica labels are gone) stay in the
  // order of their full label sets, adjacent.
  if (drop.size > 0) items.sort((a, b) => compareLabels(a.labels, b.labels));
  const limit = opts.limit > 0 ? opts.limit : Infinity;
  const batch = opts.batchSize ?? 0;
  let sent = 0;
  let group: Uint8Array[] = [];
  const shard = opts.shard ?? null;
  for (const it of items) {
    if (sent >= limit) break;
    if (shard !== null && !inShard(it.labels, shard)) continue;
    const chunks = opts.skipChunks ? [] : xorChunks(it.series);
    // A series whose chunks only overlapped the window has no sample in it: not sent.
    if (!opts.skipChunks && chunks.length === 0) continue;
    sent++;
    if (batch <= 1) {
      const frame = encodeSeriesFrame(it.labels, chunks, LENGTH_PREFIX_BYTES);
      new DataView(frame.buffer).setUint32(0, frame.length - LENGTH_PREFIX_BYTES, true);
      yield frame;
      continue;
    }
    group.push(encodeSeries(it.labels, chunks));
    if (group.length === batch) {
      yield prefixed(encodeBatchFrame(group));
      group = [];
    }
  }
  if (group.length > 0) yield prefixed(encodeBatchFrame(group));
}

/**
 * A series' chunks. An endpoint's own chunks go on unchanged when they hold at most
 * SAMPLES_PER_CHUNK samples inside the window (Prometheus sends them so); any other chunk, and
 * merged samples, are cut anew.
 */
export function xorChunks(s: AnswerSeries): RawChunk[] {
  if ('samples' in s) return cut(s.samples);
  const { mint, maxt } = s.encoded.window;
  const out: RawChunk[] = [];
  for (const c of s.encoded.chunks()) {
    const n = c.data.length >= 2 ? (c.data[0]! << 8) | c.data[1]! : 0;
    if (n === 0) continue;
    const inside = c.minTime >= mint && c.maxTime <= maxt;
    if (n <= SAMPLES_PER_CHUNK && inside) {
      out.push(c);
      continue;
    }
    scratch.clear();
    mark.bit = 0;
    decodeXorRangeInto(c.data, 0, c.data.length, scratch, -Infinity, Infinity, mark);
    const all = { timestamps: scratch.timestamps.subarray(0, scratch.length), values: scratch.values.subarray(0, scratch.length), stale: scratch.stale?.subarray(0, scratch.length) ?? null };
    if (inside && !scratch.unordered) {
      // Prometheus cuts by time, so a chunk may hold more than 120 samples: its first 120 are
      // kept as they are (bits copied), only the rest is encoded again.
      out.push({ minTime: all.timestamps[0]!, maxTime: all.timestamps[SAMPLES_PER_CHUNK - 1]!, data: xorChunkPrefix(c.data, SAMPLES_PER_CHUNK, mark.bit) });
      for (const piece of cut(clipSamples(all, all.timestamps[SAMPLES_PER_CHUNK]!, Infinity))) out.push(piece);
      continue;
    }
    for (const piece of cut(clipSamples(all, mint, maxt))) out.push(piece);
  }
  return out;
}

/** Decoding space for chunks cut anew (one worker thread: reused for every chunk). */
const scratch = new SampleBuffer(4 * SAMPLES_PER_CHUNK);
const mark = { index: SAMPLES_PER_CHUNK - 1, bit: 0 };

/** Cuts samples into XOR chunks of at most SAMPLES_PER_CHUNK. */
function cut(samples: Samples): RawChunk[] {
  const { timestamps, values, stale } = samples;
  const out: RawChunk[] = [];
  for (let i = 0; i < timestamps.length; i += SAMPLES_PER_CHUNK) {
    const j = Math.min(i + SAMPLES_PER_CHUNK, timestamps.length);
    out.push({
      minTime: timestamps[i]!,
      maxTime: timestamps[j - 1]!,
      data: encodeXorChunk(timestamps.subarray(i, j), values.subarray(i, j), stale === null ? null : stale.subarray(i, j)),
    });
  }
  return out;
}

function prefixed(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + frame.length);
  new DataView(out.buffer).setUint32(0, frame.length, true);
  out.set(frame, LENGTH_PREFIX_BYTES);
  return out;
}
