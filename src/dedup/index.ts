/**
 * Deduplication front end: groups a select's series into replica groups and merges every group of
 * two or more replicas (penalty or chain), in worker threads for big requests.
 */
import type { Samples, Series } from '../model/samples.js';
import { dropNaN } from './counter.js';
import { groupReplicas } from './group.js';
import { mergePacked } from './merge-packed.js';
import { packGroups, unpackOutput } from './packing.js';
import { DedupPool } from './pool.js';
import type { DedupOptions } from './types.js';

export type { DedupFunc, DedupOptions } from './types.js';
export { isCounterFunc } from './counter.js';
export { groupReplicas, type ReplicaGroup } from './group.js';
export { mergePenalty } from './penalty.js';
export { mergeChain } from './chain.js';

/**
 * Requests whose replica groups hold at most this many samples are merged on the calling thread.
 * Measured (test/bench/dedup.ts, 2 replicas): inline 0.15 ms vs 0.36 ms through a worker at 15k
 * samples, 0.63 vs 0.86 ms at 61k; at 246k they are even (3.4 vs 3.5 ms) but inline would block the
 * event loop for milliseconds. So: inline up to 64k samples (well under a millisecond).
 */
export const INLINE_MAX_SAMPLES = 65_536;
/** Smallest task worth a worker trip when a request is split across threads (same scale). */
export const MIN_TASK_SAMPLES = 65_536;

/**
 * Merges replica groups on the calling thread (a query worker): `dedup` below without the pool.
 * Same ownership rules. Returns series sorted by labels, replica labels removed.
 */
export function dedupSeries(series: Series[], replicaLabels: ReadonlySet<string>, opts: DedupOptions): Series[] {
  const groups = groupReplicas(series, replicaLabels);
  const out: Series[] = new Array<Series>(groups.length);
  const multi: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (g.replicas.length === 1) {
      const s = g.replicas[0]!.samples;
      out[i] = { labels: g.labels, samples: opts.counter ? dropNaN(s) : s };
    } else multi.push(i);
  }
  if (multi.length > 0) {
    const merged = unpackOutput(mergePacked(packGroups(multi.map((i) => groups[i]!.replicas.map((r) => r.samples))), opts));
    for (let k = 0; k < multi.length; k++) out[multi[k]!] = { labels: groups[multi[k]!]!.labels, samples: merged[k]! };
  }
  return out;
}

export class Deduplicator {
  /** Samples in/out counters for metrics. */
  readonly stats: { samplesIn: number; samplesOut: number } = { samplesIn: 0, samplesOut: 0 };
  private readonly pool: DedupPool;
  private readonly threads: number;

  constructor(opts: { threads: number }) {
    this.pool = new DedupPool(opts.threads);
    this.threads = opts.threads;
  }

  /**
   * Merges replica groups; single-replica groups pass through without a worker trip. Returns series
   * sorted by labels, replica labels removed.
   *
   * Takes ownership of the input series' sample arrays: a pass-through series is returned with the
   * very same arrays, so the caller must not modify or reuse them afterwards. Dedup itself never
   * writes or detaches them: merged groups are first copied into task buffers, and only those are
   * transferred to the workers (and back). Merged series are views (subarrays) on one shared task
   * buffer per task: never transfer or detach `samples.*.buffer` of an output series.
   */
  async dedup(series: Series[], replicaLabels: ReadonlySet<string>, opts: DedupOptions, signal?: AbortSignal): Promise<Series[]> {
    signal?.throwIfAborted();
    const groups = groupReplicas(series, replicaLabels);
    const out: Series[] = new Array<Series>(groups.length);
    const multi: number[] = [];
    const multiSizes: number[] = [];
    let samplesIn = 0;
    let samplesOut = 0;
    let multiSamples = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (g.replicas.length === 1) {
        const s = g.replicas[0]!.samples;
        const samples = opts.counter ? dropNaN(s) : s;
        samplesIn += s.timestamps.length;
        samplesOut += samples.timestamps.length;
        out[i] = { labels: g.labels, samples };
        continue;
      }
      let n = 0;
      for (const r of g.replicas) n += r.samples.timestamps.length;
      samplesIn += n;
      multiSamples += n;
      multi.push(i);
      multiSizes.push(n);
    }
    if (multi.length > 0) {
      const replicasOf = (from: number, to: number) => multi.slice(from, to).map((i) => groups[i]!.replicas.map((r) => r.samples));
      let merged: Samples[][];
      if (multiSamples <= INLINE_MAX_SAMPLES) {
        merged = [unpackOutput(mergePacked(packGroups(replicasOf(0, multi.length)), opts))];
      } else {
        // Pack and post one task at a time: workers start on the first while the next is packed.
        const parts = splitTasks(multiSizes, multiSamples, this.threads);
        merged = await Promise.all(
          parts.map(([from, to]) => this.pool.run({ opts, input: packGroups(replicasOf(from, to)) }, signal).then(unpackOutput)),
        );
      }
      let k = 0;
      for (const part of merged) {
        for (const samples of part) {
          const i = multi[k++]!;
          samplesOut += samples.timestamps.length;
          out[i] = { labels: groups[i]!.labels, samples };
        }
      }
    }
    this.stats.samplesIn += samplesIn;
    this.stats.samplesOut += samplesOut;
    return out;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Splits groups (by sample counts) into contiguous task ranges: about one per thread, none under
 * MIN_TASK_SAMPLES unless it is the only one.
 */
export function splitTasks(sizes: readonly number[], total: number, threads: number): Array<[number, number]> {
  const tasks = Math.max(1, Math.min(threads, Math.floor(total / MIN_TASK_SAMPLES)));
  const ranges: Array<[number, number]> = [];
  let from = 0;
  let acc = 0;
  for (let i = 0; i < sizes.length && ranges.length < tasks - 1; i++) {
    acc += sizes[i]!;
    if (acc >= (total * (ranges.length + 1)) / tasks) {
      ranges.push([from, i + 1]);
      from = i + 1;
    }
  }
  if (from < sizes.length || ranges.length === 0) ranges.push([from, sizes.length]);
  return ranges;
}
