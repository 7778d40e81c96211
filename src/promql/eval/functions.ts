/**
 * Function dispatch table: name → implementation over a whole grid. Most entries are built from a
 * few shapes (range kernel, element-wise map, scalar constant); the rest live in special.ts.
 */
import type { Call } from '../ast.js';
import { PromQLError } from '../errors.js';
import * as K from '../functions/range.js';
import { clamp, clampMax, clampMin, DATE_FUNCTIONS, MATH_FUNCTIONS, round } from '../functions/math.js';
import type { Window } from '../functions/window.js';
import { gridTime, newStepSeries, type EvalValue, type Grid, type StepSeries } from '../value.js';
import { annotationText } from './annotations.js';
import { holdSamples, type EvalContext } from './context.js';
import { applyRangeKernel, nonCounterName, type RangeKernel } from './range-apply.js';
import { dropName, mergeSameLabels } from './series.js';
import { HISTOGRAM_FUNCTIONS } from './histograms.js';
import { info } from './info.js';
import { SPECIAL_FUNCTIONS } from './special.js';
import { isCallStepInvariant, isMovingSelector } from './step-invariant.js';
import { unwrapParens, type FunctionImpl, type NodeEvaluator } from './types.js';

type KernelFactory = (ev: NodeEvaluator, call: Call, grid: Grid) => RangeKernel;

/** A function of one range-vector argument (at `matrixArg`) and optional per-step scalars. */
function rangeFunction(factory: KernelFactory, opts: { keepName?: boolean; matrixArg?: number; counterInfo?: boolean } = {}): FunctionImpl {
  return (ev, call, grid) => {
    const kernel = factory(ev, call, grid);
    const arg = call.args[opts.matrixArg ?? 0]!;
    const input = ev.range(arg, grid);
    // Series of one selector mostly share a name: annotate each distinct name once (the set
    // dedups anyway, but building the text per series was a visible cost).
    let lastName = '';
    const onSeries = opts.counterInfo
      ? (labels: StepSeries['labels'], produced: boolean) => {
          if (!produced) return;
          const name = nonCounterName(labels);
          if (name === '' || name === lastName) return;
          lastName = name;
          ev.ctx.annotations.info(annotationText.possibleNonCounter(name), arg.pos);
        }
      : undefined;
    // Prometheus evaluates a call that is not step invariant per step, `@` windows moving
    // (step-invariant.ts). Only over a range selector: over a subquery it also stretches the
    // subquery's own grid, which is not reproduced (the window stays pinned at the `@` time).
    const ms = unwrapParens(arg);
    const movingAt = ms.kind === 'MatrixSelector' && (!isCallStepInvariant(call, ev.ctx.compat) || isMovingSelector(ms.vector));
    return { kind: 'vector', series: applyRangeKernel(ev.ctx, input, grid, opts.keepName ?? false, kernel, onSeries, movingAt) };
  };
}

const simple = (k: (w: Window) => number | null): KernelFactory => () => (w) => k(w);

/** Per-step values of scalar argument `i` (or `fallback` when it is absent). */
function scalarArg(ev: NodeEvaluator, call: Call, i: number, grid: Grid, fallback?: number): Float64Array {
  const a = call.args[i];
  if (a === undefined) return new Float64Array(grid.n).fill(fallback ?? NaN);
  return ev.scalar(a, grid);
}

/** Element-wise function of the vector argument at `vectorArg`; drops `__name__`. */
function mapFunction(
  f: (v: number, step: number, extra: readonly Float64Array[]) => number | null,
  extraArgs: (ev: NodeEvaluator, call: Call, grid: Grid) => Float64Array[] = () => [],
): FunctionImpl {
  return (ev, call, grid) => {
    const extra = extraArgs(ev, call, grid);
    const input = ev.vector(call.args[0]!, grid);
    return { kind: 'vector', series: mapSeries(ev, input, (v, i) => f(v, i, extra)) };
  };
}

export function mapSeries(ev: NodeEvaluator, input: readonly StepSeries[], f: (v: number, step: number) => number | null): StepSeries[] {
  const out: StepSeries[] = [];
  let held = 0;
  for (const s of input) {
    const r = newStepSeries(s.labels, s.values.length, s.dropName);
    let any = false;
    for (let i = 0; i < s.values.length; i++) {
      if (s.present[i] === 0) continue;
      const v = f(s.values[i]!, i);
      if (v === null) continue;
      r.values[i] = v;
      r.present[i] = 1;
      any = true;
      held++;
    }
    if (!any) continue;
    dropName(ev.ctx, r);
    out.push(r);
  }
  holdSamples(ev.ctx, held);
  return ev.ctx.delayedNameRemoval ? out : mergeSameLabels(out);
}

function scalarConstant(f: (t: number, grid: Grid) => number): FunctionImpl {
  return (_ev, _call, grid) => {
    const values = new Float64Array(grid.n);
    for (let i = 0; i < grid.n; i++) values[i] = f(gridTime(grid, i), grid);
    return { kind: 'scalar', values };
  };
}

function queryParam(f: (c: EvalContext) => number): FunctionImpl {
  return (ev, _call, grid) => ({ kind: 'scalar', values: new Float64Array(grid.n).fill(f(ev.ctx)) });
}

function scalarPair(f: (a: number, b: number) => number): FunctionImpl {
  return (ev, call, grid) => {
    const a = ev.scalar(call.args[0]!, grid);
    const b = ev.scalar(call.args[1]!, grid);
    return { kind: 'scalar', values: a.map((x, i) => f(x, b[i]!)) };
  };
}

/** Go math.Min / math.Max: NaN wins, and -0 is below +0 (as Math.min/max). */
const goMin = (a: number, b: number): number => Math.min(a, b);
const goMax = (a: number, b: number): number => Math.max(a, b);

/** Date functions: `f()` means `f(vector(time()))`. */
function dateFunction(f: (s: number) => number): FunctionImpl {
  const mapped = mapFunction((v) => f(v));
  return (ev, call, grid): EvalValue => {
    if (call.args.length > 0) return mapped(ev, call, grid);
    const s = newStepSeries([], grid.n);
    for (let i = 0; i < grid.n; i++) {
      s.values[i] = f(gridTime(grid, i) / 1000);
      s.present[i] = 1;
    }
    return { kind: 'vector', series: [s] };
  };
}

function quantileOverTime(): KernelFactory {
  return (ev, call, grid) => {
    const q = scalarArg(ev, call, 0, grid);
    return (w, i) => {
      const qi = q[i]!;
      if (!(qi >= 0 && qi <= 1)) ev.ctx.annotations.warn(annotationText.invalidQuantile(qi), call.args[0]!.pos);
      return K.quantileOverTime(qi, w);
    };
  };
}

function smoothing(): KernelFactory {
  return (ev, call, grid) => {
    const sf = scalarArg(ev, call, 1, grid);
    const tf = scalarArg(ev, call, 2, grid);
    return (w, i) => {
      const err = K.validateSmoothingFactors(sf[i]!, tf[i]!);
      if (err !== null) throw new PromQLError('execution', err);
      return K.doubleExponentialSmoothing(w, sf[i]!, tf[i]!);
    };
  };
}

const TABLE = new Map<string, FunctionImpl>([
  ['rate', rangeFunction((ev) => (w) => K.extrapolatedRate(w, true, true, ev.ctx.compat), { counterInfo: true })],
  ['increase', rangeFunction((ev) => (w) => K.extrapolatedRate(w, true, false, ev.ctx.compat), { counterInfo: true })],
  ['delta', rangeFunction((ev) => (w) => K.extrapolatedRate(w, false, false, ev.ctx.compat))],
  ['irate', rangeFunction(simple((w) => K.instantValue(w, true)))],
  ['idelta', rangeFunction(simple((w) => K.instantValue(w, false)))],
  ['resets', rangeFunction(simple(K.resets))],
  ['changes', rangeFunction(simple(K.changes))],
  ['deriv', rangeFunction(simple(K.deriv))],
  [
    'predict_linear',
    rangeFunction((ev, call, grid) => {
      const secs = scalarArg(ev, call, 1, grid);
      return (w, i) => K.predictLinear(w, secs[i]!);
    }),
  ],
  ['sum_over_time', rangeFunction(simple(K.sumOverTime))],
  ['avg_over_time', rangeFunction((ev) => (w) => K.avgOverTime(w, ev.ctx.compat))],
  ['min_over_time', rangeFunction(simple(K.minOverTime))],
  ['max_over_time', rangeFunction(simple(K.maxOverTime))],
  ['count_over_time', rangeFunction(simple(K.countOverTime))],
  ['present_over_time', rangeFunction(simple(K.presentOverTime))],
  ['last_over_time', rangeFunction(simple(K.lastOverTime), { keepName: true })],
  ['first_over_time', rangeFunction(simple(K.firstOverTime), { keepName: true })],
  ['stddev_over_time', rangeFunction(simple(K.stddevOverTime))],
  ['stdvar_over_time', rangeFunction(simple(K.stdvarOverTime))],
  ['mad_over_time', rangeFunction((ev) => (w) => K.madOverTime(w, ev.ctx.compat))],
  ['ts_of_min_over_time', rangeFunction(simple(K.tsOfMinOverTime))],
  ['ts_of_max_over_time', rangeFunction(simple(K.tsOfMaxOverTime))],
  ['ts_of_last_over_time', rangeFunction(simple(K.tsOfLastOverTime))],
  ['ts_of_first_over_time', rangeFunction(simple(K.tsOfFirstOverTime))],
  ['quantile_over_time', rangeFunction(quantileOverTime(), { matrixArg: 1 })],
  ['double_exponential_smoothing', rangeFunction(smoothing())],
  ['holt_winters', rangeFunction(smoothing())],
  [
    'round',
    mapFunction(
      (v, i, [to]) => round(v, to![i]!),
      (ev, call, grid) => [scalarArg(ev, call, 1, grid, 1)],
    ),
  ],
  [
    'clamp',
    mapFunction(
      (v, i, [lo, hi]) => (hi![i]! < lo![i]! ? null : clamp(v, lo![i]!, hi![i]!)),
      (ev, call, grid) => [scalarArg(ev, call, 1, grid), scalarArg(ev, call, 2, grid)],
    ),
  ],
  ['clamp_min', mapFunction((v, i, [lo]) => clampMin(v, lo![i]!), (ev, call, grid) => [scalarArg(ev, call, 1, grid)])],
  ['clamp_max', mapFunction((v, i, [hi]) => clampMax(v, hi![i]!), (ev, call, grid) => [scalarArg(ev, call, 1, grid)])],
  ['time', scalarConstant((t) => t / 1000)],
  ['pi', scalarConstant(() => Math.PI)],
  // Experimental 3.12 query-parameter functions: the outer query's parameters, at every step.
  ['start', queryParam((c) => c.queryStart / 1000)],
  ['end', queryParam((c) => c.queryEnd / 1000)],
  ['step', queryParam((c) => c.queryStep / 1000)],
  ['range', queryParam((c) => (c.queryEnd - c.queryStart) / 1000)],
  ['info', info],
  ['min_of', scalarPair(goMin)],
  ['max_of', scalarPair(goMax)],
]);

for (const [name, f] of MATH_FUNCTIONS) TABLE.set(name, mapFunction((v) => f(v)));
for (const [name, f] of DATE_FUNCTIONS) TABLE.set(name, dateFunction(f));
for (const [name, impl] of SPECIAL_FUNCTIONS) TABLE.set(name, impl);
for (const [name, impl] of HISTOGRAM_FUNCTIONS) TABLE.set(name, impl);

export const FUNCTION_IMPLS: ReadonlyMap<string, FunctionImpl> = TABLE;
