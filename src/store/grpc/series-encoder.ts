/**
 * The StoreAPI server's answer to a Series request, encoded in a query worker: warning frames
 * first (as Thanos' proxy sorts them), then one frame per series, sorted by labels, its samples in
 * XOR chunks of at most 120 as Prometheus' head cuts them. Pure, no I/O.
 */
import { encodeXorChunk } from '../../chunkenc/xor.js';
import { compareLabels, dropLabels, type Labels } from '../../model/labels.js';
import type { Series } from '../../model/samples.js';
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
}

/** Frames of the answer, each prefixed by its length. */
export function* seriesAnswerFrames(series: readonly Series[], warnings: readonly string[], opts: SeriesAnswerOptions): Generator<Uint8Array> {
  for (const w of warnings) yield prefixed(encodeWarningFrame(w));
  const drop = new Set(opts.withoutReplicaLabels);
  let items: { labels: Labels; series: Series }[] = series.map((s) => ({ labels: drop.size > 0 ? dropLabels(s.labels, drop) : s.labels, series: s }));
  // Stable: the replicas of one series (equal once their replica labels are gone) stay in the
  // order of their full label sets, adjacent.
  if (drop.size > 0) items.sort((a, b) => compareLabels(a.labels, b.labels));
  if (opts.limit > 0 && items.length > opts.limit) items = items.slice(0, opts.limit);
  const batch = opts.batchSize ?? 0;
  if (batch <= 1) {
    for (const it of items) yield prefixed(encodeSeriesFrame(it.labels, opts.skipChunks ? [] : xorChunks(it.series)));
    return;
  }
  for (let i = 0; i < items.length; i += batch) {
    const group = items.slice(i, i + batch).map((it) => encodeSeries(it.labels, opts.skipChunks ? [] : xorChunks(it.series)));
    yield prefixed(encodeBatchFrame(group));
  }
}

/** Cuts a series' samples into XOR chunks of at most SAMPLES_PER_CHUNK. */
export function xorChunks(s: Series): RawChunk[] {
  const { timestamps, values, stale } = s.samples;
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
