/**
 * sum/count/min/max/group walking series by series (cache-friendly columns). For every group and
 * step the values are still combined in input order, so results equal the step-major loop.
 * Each operator has its own column loop so the hot loop carries no per-sample dispatch.
 */
import type { StepSeries } from '../value.js';

export const SIMPLE_OPS: ReadonlySet<string> = new Set(['sum', 'count', 'min', 'max', 'group']);

/**
 * `of[si]` is the group of input series si; `out[g]` the (fresh, empty) output of group g.
 * Returns the groups that have at least one sample.
 */
export function aggregateSimple(op: string, compat2: boolean, input: readonly StepSeries[], of: Int32Array, out: StepSeries[], n: number): StepSeries[] {
  const kahan = op === 'sum' && !compat2;
  const comp = kahan ? out.map(() => new Float64Array(n)) : null;
  for (let si = 0; si < input.length; si++) {
    const s = input[si]!;
    const g = of[si]!;
    const r = out[g]!;
    if (s.dropName) r.dropName = true;
    switch (op) {
      case 'sum':
        if (comp !== null) kahanColumn(s, r, comp[g]!, n);
        else plainSumColumn(s, r, n);
        break;
      case 'count':
        countColumn(s, r, n);
        break;
      case 'max':
        maxColumn(s, r, n);
        break;
      case 'min':
        minColumn(s, r, n);
        break;
      default:
        groupColumn(s, r, n);
    }
  }
  if (comp !== null) {
    for (let g = 0; g < out.length; g++) {
      const r = out[g]!;
      const c = comp[g]!;
      for (let i = 0; i < n; i++) if (r.present[i] !== 0) r.values[i]! += c[i]!;
    }
  }
  return out.filter((s) => s.present.indexOf(1) !== -1);
}

/**
 * Prometheus 3.x kahanSumInc (Neumaier) inlined on the group's sum and compensation columns:
 * the same operations in the same order as functions/aggregate.ts kahanSumInc.
 */
function kahanColumn(s: StepSeries, r: StepSeries, c: Float64Array, n: number): void {
  const { present: sp, values: sv } = s;
  const { present: rp, values: rv } = r;
  for (let i = 0; i < n; i++) {
    if (sp[i] === 0) continue;
    const f = sv[i]!;
    if (rp[i] === 0) {
      rp[i] = 1;
      rv[i] = f;
      continue;
    }
    const sum = rv[i]!;
    const t = sum + f;
    if (t === Infinity || t === -Infinity) c[i] = 0;
    else if (Math.abs(sum) >= Math.abs(f)) c[i] = c[i]! + (sum - t + f);
    else c[i] = c[i]! + (f - t + sum);
    rv[i] = t;
  }
}

/** 2.x sum: plain addition, no compensation. */
function plainSumColumn(s: StepSeries, r: StepSeries, n: number): void {
  const { present: sp, values: sv } = s;
  const { present: rp, values: rv } = r;
  for (let i = 0; i < n; i++) {
    if (sp[i] === 0) continue;
    if (rp[i] === 0) {
      rp[i] = 1;
      rv[i] = sv[i]!;
    } else rv[i]! += sv[i]!;
  }
}

function countColumn(s: StepSeries, r: StepSeries, n: number): void {
  const sp = s.present;
  const { present: rp, values: rv } = r;
  for (let i = 0; i < n; i++) {
    if (sp[i] === 0) continue;
    if (rp[i] === 0) {
      rp[i] = 1;
      rv[i] = 1;
    } else rv[i]!++;
  }
}

/** NaN is replaced by any later value (Prometheus: `group.floatValue < s.F || isNaN(group.floatValue)`). */
function maxColumn(s: StepSeries, r: StepSeries, n: number): void {
  const { present: sp, values: sv } = s;
  const { present: rp, values: rv } = r;
  for (let i = 0; i < n; i++) {
    if (sp[i] === 0) continue;
    const f = sv[i]!;
    if (rp[i] === 0) {
      rp[i] = 1;
      rv[i] = f;
    } else if (rv[i]! < f || rv[i] !== rv[i]) rv[i] = f;
  }
}

function minColumn(s: StepSeries, r: StepSeries, n: number): void {
  const { present: sp, values: sv } = s;
  const { present: rp, values: rv } = r;
  for (let i = 0; i < n; i++) {
    if (sp[i] === 0) continue;
    const f = sv[i]!;
    if (rp[i] === 0) {
      rp[i] = 1;
      rv[i] = f;
    } else if (rv[i]! > f || rv[i] !== rv[i]) rv[i] = f;
  }
}

function groupColumn(s: StepSeries, r: StepSeries, n: number): void {
  const sp = s.present;
  const { present: rp, values: rv } = r;
  for (let i = 0; i < n; i++) {
    if (sp[i] === 0 || rp[i] !== 0) continue;
    rp[i] = 1;
    rv[i] = 1;
  }
}
