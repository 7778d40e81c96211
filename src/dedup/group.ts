/**
 * Groups the series of a select into replica groups (the dedup unit).
 *
 * Unlike Thanos, which only groups equal label sets that arrive adjacent, we group by the label set
 * left after removing every replica label wherever the series are in the input, because we sort
 * ourselves. A series carrying only some replica labels, or none, joins the group of its remaining
 * labels (Thanos PR #4375 semantics).
 */
import { compareLabels, compareStrings, dropLabels, getLabel, type Labels } from '../model/labels.js';
import type { Series } from '../model/samples.js';

export interface ReplicaGroup<T extends Labelled = Series> {
  /** Labels without any replica label. */
  readonly labels: Labels;
  /** The group's series with their original labels, in replica order (the preferred one first). */
  readonly replicas: readonly T[];
}

/** Anything with a label set: decoded series, or series whose chunks are not decoded yet. */
export interface Labelled {
  readonly labels: Labels;
}

function replicaOrder(names: readonly string[]): (a: Labelled, b: Labelled) => number {
  return (a, b) => {
    for (const n of names) {
      const c = compareStrings(getLabel(a.labels, n), getLabel(b.labels, n));
      if (c !== 0) return c;
    }
    return 0;
  };
}

/**
 * Drops the replica labels, groups series whose remaining labels are equal, orders each group by its
 * replica-label values (compared label by label in the iteration order of `replicaLabels`, code-point
 * order, a missing label first; full ties keep input order), and returns the groups sorted by labels.
 *
 * Grouping is a stable sort by the reduced labels, then a walk over equal neighbours. A select's
 * series arrive as one sorted run per store, which the sort (TimSort) merges in about linear time:
 * a few label comparisons per series, no key strings to build and hash, and the groups come out
 * already sorted.
 */
export function groupReplicas<T extends Labelled>(series: readonly T[], replicaLabels: ReadonlySet<string>): ReplicaGroup<T>[] {
  const n = series.length;
  // Labels without replica labels, computed once per series (shared with the input when it has none).
  const reduced = new Array<Labels>(n);
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    reduced[i] = dropLabels(series[i]!.labels, replicaLabels);
    idx[i] = i;
  }
  idx.sort((a, b) => compareLabels(reduced[a]!, reduced[b]!) || a - b);
  const order = replicaOrder([...replicaLabels]);
  const out: ReplicaGroup<T>[] = [];
  for (let i = 0; i < n; ) {
    const labels = reduced[idx[i]!]!;
    let j = i + 1;
    while (j < n && compareLabels(labels, reduced[idx[j]!]!) === 0) j++;
    const replicas: T[] = [];
    for (let k = i; k < j; k++) replicas.push(series[idx[k]!]!);
    // Two replicas (the usual HA pair) need one comparison, not a sort.
    if (replicas.length === 2) {
      if (order(replicas[0]!, replicas[1]!) > 0) replicas.reverse();
    } else if (replicas.length > 2) replicas.sort(order);
    out.push({ labels, replicas });
    i = j;
  }
  return out;
}
