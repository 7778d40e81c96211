/**
 * A range query's vector result as API matrix series: only the steps where each series has a
 * sample, series sorted by labels. Copies are avoided where the layout allows it, since a large
 * result would otherwise be duplicated once more just before formatting.
 */
import { compareLabels } from '../../model/labels.js';
import type { MatrixSeries } from '../types.js';
import { gridTime, type Grid, type StepSeries } from '../value.js';

export function toMatrix(series: StepSeries[], grid: Grid): MatrixSeries[] {
  const out: MatrixSeries[] = [];
  let allSteps: Float64Array | null = null;
  for (const s of series) {
    const p = s.present;
    let n = 0;
    for (let i = 0; i < grid.n; i++) n += p[i]!;
    if (n === 0) continue;
    allSteps ??= Float64Array.from({ length: grid.n }, (_, i) => gridTime(grid, i));
    if (n === grid.n) {
      out.push({ labels: s.labels, timestamps: allSteps, values: s.values });
      continue;
    }
    let first = 0;
    while (p[first] === 0) first++;
    let last = grid.n - 1;
    while (p[last] === 0) last--;
    if (n === last - first + 1) {
      // One run of consecutive steps (the usual shape, e.g. rate() missing only its first steps):
      // views on the shared timestamp column and on the series' own values.
      out.push({ labels: s.labels, timestamps: allSteps.subarray(first, last + 1), values: s.values.subarray(first, last + 1) });
      continue;
    }
    const timestamps = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = first, k = 0; i <= last; i++) {
      if (p[i] === 0) continue;
      timestamps[k] = gridTime(grid, i);
      values[k++] = s.values[i]!;
    }
    out.push({ labels: s.labels, timestamps, values });
  }
  // Input already in label order (the usual case) costs TimSort one comparison per series.
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}
