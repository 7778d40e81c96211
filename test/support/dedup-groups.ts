/** Runs dedupSeries over unlabelled replica groups: group i's replicas become series {g="i", replica="rN"}. */
import { dedupSeries } from '../../src/dedup/index.js';
import type { DedupOptions } from '../../src/dedup/types.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import type { Samples, Series } from '../../src/model/samples.js';

export function mergeGroups(groups: readonly (readonly Samples[])[], opts: DedupOptions): Samples[] {
  const series: Series[] = [];
  groups.forEach((g, i) =>
    g.forEach((samples, r) => series.push({ labels: labelsFromRecord({ g: String(i).padStart(6, '0'), replica: `r${r}` }), samples })),
  );
  const merged = dedupSeries(series, new Set(['replica']), opts);
  // A group without replicas has no series: it merges to nothing.
  let k = 0;
  return groups.map((g) => (g.length === 0 ? EMPTY : merged[k++]!.samples));
}

const EMPTY: Samples = { timestamps: new Float64Array(0), values: new Float64Array(0), stale: null };
