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

interface Entry {
  readonly series: Series;
  /** Values of the replica labels in list order; '' for a missing label. */
  readonly replicaValues: readonly string[];
}

function compareReplicaValues(a: Entry, b: Entry): number {
  const x = a.replicaValues;
  const y = b.replicaValues;
  for (let i = 0; i < x.length; i++) {
    const c = compareStrings(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Drops the replica labels, groups series whose remaining labels are equal, orders each group by its
 * replica-label values (compared label by label in the iteration order of `replicaLabels`, code-point
 * order, a missing label first; full ties keep input order), and returns the groups sorted by labels.
 */
export function groupReplicas(series: readonly Series[], replicaLabels: ReadonlySet<string>): ReplicaGroup[] {
  const names = [...replicaLabels];
  const byKey = new Map<string, { labels: Labels; entries: Entry[] }>();
  for (const s of series) {
    const labels = dropLabels(s.labels, replicaLabels);
    const key = labelsKey(labels);
    const replicaValues = labels === s.labels ? names.map(() => '') : names.map((n) => getLabel(s.labels, n));
    const entry: Entry = { series: s, replicaValues };
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, { labels, entries: [entry] });
    else group.entries.push(entry);
  }
  const out: ReplicaGroup[] = [];
  for (const g of byKey.values()) {
    if (g.entries.length > 1) g.entries.sort(compareReplicaValues);
    out.push({ labels: g.labels, replicas: g.entries.map((e) => e.series) });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}
