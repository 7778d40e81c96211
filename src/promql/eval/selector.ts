/**
 * Instant and range selectors over fetched series. Each series' columns are walked once across all
 * steps with a moving index, since step reference times never decrease.
 */
import type { MatrixSelector, VectorSelector } from '../ast.js';
import type { Series } from '../../model/samples.js';
import { newStepSeries, gridTime, type Grid, type RangeInput, type RangeSeries, type StepSeries } from '../value.js';
import { checkAbort, holdSamples, resolveAt, type EvalContext } from './context.js';
import { isMovingSelector } from './step-invariant.js';

/**
 * `x offset o @ a` at every step: the newest sample at or before the reference time, if it lies
 * within the lookback window ((ref - lookback, ref] in 3.x, closed in 2.x) and is not a staleness
 * marker. With `sampleTime`, the value is the sample's timestamp in seconds (for timestamp()).
 */
export function evalVectorSelector(
  ctx: EvalContext,
  vs: VectorSelector,
  grid: Grid,
  sampleTime = false,
): StepSeries[] {
  const series = ctx.data.get(vs) ?? [];
  const at = resolveAt(vs.at, ctx);
  const lookback = ctx.lookback;
  const closed = ctx.compat === '2';
  // Prometheus quirk (2.42 and 3.x): timestamp(x offset o @ t) looks for the sample at t itself (it
  // ignores the offset) among the samples fetched for t − o, i.e. in [t − o − lookback, t − o].
  const offsetIgnored = sampleTime && at !== null && vs.offset !== 0;
  // Quirk: an `@` selector in an aggregation parameter moves with the step (step-invariant.ts).
  const moving = !sampleTime && at !== null && isMovingSelector(vs);
  const dataStart = offsetIgnored || moving ? at - vs.offset - lookback : -Infinity;
  const dataEnd = offsetIgnored || moving ? at - vs.offset : Infinity;
  const out: StepSeries[] = [];
  let held = 0;
  for (const s of series) {
    checkAbort(ctx);
    const { timestamps: ts, values: vals, stale } = s.samples;
    const len = ts.length;
    let res: StepSeries | null = null;
    let j = 0; // number of samples with t <= ref
    for (let i = 0; i < grid.n; i++) {
      const ref = offsetIgnored ? at : moving ? at + (gridTime(grid, i) - grid.start) - vs.offset : (at ?? gridTime(grid, i)) - vs.offset;
      while (j < len && ts[j]! <= ref && ts[j]! <= dataEnd) j++;
      if (j === 0) continue;
      const k = j - 1;
      const t = ts[k]!;
      if (closed ? t < ref - lookback : t <= ref - lookback) continue;
      // The fetched range starts at dataStart, inclusive in 2.x and exclusive in 3.x (as its lookback).
      if (closed ? t < dataStart : t <= dataStart) continue;
      if (stale !== null && stale[k] !== 0) continue;
      if (res === null) res = newStepSeries(s.labels, grid.n);
      res.values[i] = sampleTime ? t / 1000 : vals[k]!;
      res.present[i] = 1;
      held++;
    }
    if (res !== null) out.push(res);
  }
  holdSamples(ctx, held);
  return out;
}

const cleanCache = new WeakMap<Series, RangeSeries>();

/** The series' samples without staleness markers (range selectors skip them). */
export function withoutStale(s: Series): RangeSeries {
  const stale = s.samples.stale;
  if (stale === null) return { labels: s.labels, t: s.samples.timestamps, v: s.samples.values, dropName: false };
  const hit = cleanCache.get(s);
  if (hit) return hit;
  let n = 0;
  for (let i = 0; i < stale.length; i++) if (stale[i] === 0) n++;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0, k = 0; i < stale.length; i++) {
    if (stale[i] !== 0) continue;
    t[k] = s.samples.timestamps[i]!;
    v[k++] = s.samples.values[i]!;
  }
  const r: RangeSeries = { labels: s.labels, t, v, dropName: false };
  cleanCache.set(s, r);
  return r;
}

export function rangeInputFromSelector(ctx: EvalContext, ms: MatrixSelector): RangeInput {
  const series = (ctx.data.get(ms.vector) ?? []).map(withoutStale);
  return { series, range: ms.range, offset: ms.vector.offset, at: resolveAt(ms.vector.at, ctx) };
}

/** Index window [from, to) of `t` for the window ending at `ref`: (ref-range, ref] or [ref-range, ref]. */
export function windowBounds(t: Float64Array, ref: number, range: number, closed: boolean, from: number, to: number): [number, number] {
  const lo = ref - range;
  const len = t.length;
  if (closed) while (from < len && t[from]! < lo) from++;
  else while (from < len && t[from]! <= lo) from++;
  if (to < from) to = from;
  while (to < len && t[to]! <= ref) to++;
  return [from, to];
}
