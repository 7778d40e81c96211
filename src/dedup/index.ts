/**
 * Deduplication front end: groups a select's series into replica groups and merges every group of
 * two or more replicas (penalty or chain). Runs in the query worker that evaluates the query.
 */
import type { Series } from '../model/samples.js';
import { dropNaN } from './counter.js';
import { groupReplicas } from './group.js';
import { mergePacked } from './merge-packed.js';
import { packGroups, unpackOutput } from './packing.js';
import type { DedupOptions } from './types.js';

export type { DedupFunc, DedupOptions } from './types.js';
export { isCounterFunc } from './counter.js';
export { groupReplicas, type ReplicaGroup } from './group.js';
export { mergePenalty } from './penalty.js';
export { mergeChain } from './chain.js';

/**
 * Merges replica groups; single-replica groups pass through. Returns series sorted by labels,
 * replica labels removed.
 *
 * Takes ownership of the input series' sample arrays: a pass-through series is returned with the
 * very same arrays, so the caller must not modify or reuse them afterwards. Merged series are views
 * (subarrays) on one shared output buffer: never transfer or detach their `samples.*.buffer`.
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
