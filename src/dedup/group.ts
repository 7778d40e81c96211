/**
 * Groups the series of a select into replica groups (the dedup unit).
 *
 * Unlike Thanos, which only groups equal label sets that arrive adjacent, we group by the label set
 * left after removing every replica label wherever the series are in the input, because we sort
 * ourselves. A series carrying only some replica labels, or none, joins the group of its remaining
 * labels (Thanos PR #4375 semantics).
 */
import { compareLabels, compareStrings, dropLabels, getLabel, labelsKey, type Labels } from '../model/labels.js';
import type { Series } from '../model/samples.js';

export interface ReplicaGroup {
  /** Labels without any replica label. */
  readonly labels: Labels;
  /** The group's series with their original labels, in replica order (the preferred one first). */
  readonly replicas: readonly Series[];
}

interface Pending {
  readonly labels: Labels;
  readonly series: Series[];
}

/** labelsKey of `ls` without the replica labels, built without an intermediate label array. */
function keyWithout(ls: Labels, drop: ReadonlySet<string>): string {
  let key = '';
  for (const l of ls) if (!drop.has(l.name)) key += l.name + '\xff' + l.value + '\xfe';
  return key;
}

function replicaOrder(names: readonly string[]): (a: Series, b: Series) => number {
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
 */
export function groupReplicas(series: readonly Series[], replicaLabels: ReadonlySet<string>): ReplicaGroup[] {
  const byKey = new Map<string, Pending>();
  for (const s of series) {
    const key = replicaLabels.size === 0 ? labelsKey(s.labels) : keyWithout(s.labels, replicaLabels);
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, { labels: dropLabels(s.labels, replicaLabels), series: [s] });
    else group.series.push(s);
  }
  const order = replicaOrder([...replicaLabels]);
  const out: ReplicaGroup[] = [];
  let sorted = true;
  for (const g of byKey.values()) {
    if (g.series.length > 1) g.series.sort(order);
    if (sorted && out.length > 0 && compareLabels(out[out.length - 1]!.labels, g.labels) > 0) sorted = false;
    out.push({ labels: g.labels, replicas: g.series });
  }
  // Inputs usually arrive sorted (store order), so the check above often saves the sort.
  return sorted ? out : out.sort((a, b) => compareLabels(a.labels, b.labels));
}
