/**
 * Aggregation operators over whole grids. Group membership depends only on labels, so it is
 * computed once per input series; the step loop only accumulates values.
 */
import type { AggregateExpr } from '../ast.js';
import { labelsKey, setLabel, METRIC_NAME, type Labels } from '../../model/labels.js';
import { PromQLError } from '../errors.js';
import { formatFloatPlain } from '../format.js';
import { AvgAccumulator, quantile, SumAccumulator, VarianceAccumulator } from '../functions/aggregate.js';
import { newStepSeries, type StepSeries } from '../value.js';
import type { EvalContext } from './context.js';
import { aggregateSimple, SIMPLE_OPS } from './aggregate-simple.js';
import { annotationText } from './annotations.js';
import { limitRatio } from './limit-ratio.js';
import { goFloatG } from './goformat.js';
import { kHeapPop, kHeapPush, kHeapReplaceTop, kHeapSortedDesc, type KItem } from './kheap.js';

interface Groups {
  readonly of: Int32Array;
  readonly labels: Labels[];
}

function groupLabels(ls: Labels, e: AggregateExpr, names: ReadonlySet<string>): Labels {
  if (e.without) return ls.filter((l) => !names.has(l.name) && l.name !== METRIC_NAME);
  if (names.size === 0) return [];
  return ls.filter((l) => names.has(l.name));
}

function assignGroups(input: readonly StepSeries[], e: AggregateExpr): Groups {
  const names = new Set(e.grouping);
  const index = new Map<string, number>();
  const labels: Labels[] = [];
  const of = new Int32Array(input.length);
  input.forEach((s, i) => {
    const ls = groupLabels(s.labels, e, names);
    const key = labelsKey(ls);
    let g = index.get(key);
    if (g === undefined) {
      index.set(key, (g = labels.length));
      labels.push(ls);
    }
    of[i] = g;
  });
  return { of, labels };
}

export function evalAggregation(
  ctx: EvalContext,
  e: AggregateExpr,
  input: StepSeries[],
  param: Float64Array | null,
  stringParam: string,
  n: number,
): StepSeries[] {
  switch (e.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
      return aggregateK(ctx, e, input, param!, n);
    case 'limit_ratio':
      return limitRatio(ctx, e, input, param!, n);
    case 'count_values':
      return countValues(ctx, e, input, stringParam, n);
    default:
      return aggregateValues(ctx, e, input, param, n);
  }
}

function aggregateValues(ctx: EvalContext, e: AggregateExpr, input: StepSeries[], param: Float64Array | null, n: number): StepSeries[] {
  const { of, labels } = assignGroups(input, e);
  if (SIMPLE_OPS.has(e.op)) return aggregateSimple(e.op, ctx.compat === '2', input, of, labels.map((ls) => newStepSeries(ls, n)), n);
  const G = labels.length;
  const out = labels.map((ls) => newStepSeries(ls, n));
  const seen = new Int32Array(G).fill(-1);
  const op = e.op;
  const value = new Float64Array(G);
  const count = new Float64Array(G);
  const nanStart = new Uint8Array(G);
  const sums = op === 'sum' ? labels.map(() => new SumAccumulator(ctx.compat)) : null;
  const avgs = op === 'avg' ? labels.map(() => new AvgAccumulator(ctx.compat)) : null;
  const vars = op === 'stddev' || op === 'stdvar' ? labels.map(() => new VarianceAccumulator(ctx.compat)) : null;
  const lists: number[][] | null = op === 'quantile' ? labels.map(() => []) : null;
  if (op === 'quantile' && param) warnQuantileParams(ctx, e, param);

  for (let i = 0; i < n; i++) {
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      if (s.present[i] === 0) continue;
      const f = s.values[i]!;
      const g = of[si]!;
      if (s.dropName) out[g]!.dropName = true;
      if (seen[g] !== i) {
        seen[g] = i;
        value[g] = f;
        count[g] = 1;
        if (sums) sums[g]!.init(f);
        else if (avgs) avgs[g]!.init(f);
        else if (vars) {
          vars[g]!.init(f);
          nanStart[g] = ctx.compat !== '2' && !Number.isFinite(f) ? 1 : 0;
        } else if (lists) {
          lists[g]!.length = 0;
          lists[g]!.push(f);
        }
        continue;
      }
      count[g]!++;
      switch (op) {
        case 'sum':
          sums![g]!.add(f);
          break;
        case 'avg':
          avgs![g]!.add(f);
          break;
        case 'max':
          if (value[g]! < f || value[g] !== value[g]) value[g] = f;
          break;
        case 'min':
          if (value[g]! > f || value[g] !== value[g]) value[g] = f;
          break;
        case 'stddev':
        case 'stdvar':
          vars![g]!.add(f);
          break;
        case 'quantile':
          lists![g]!.push(f);
          break;
        default:
          break;
      }
    }
    for (let g = 0; g < G; g++) {
      if (seen[g] !== i) continue;
      let v: number;
      switch (op) {
        case 'sum':
          v = sums![g]!.value();
          break;
        case 'avg':
          v = avgs![g]!.value();
          break;
        case 'count':
          v = count[g]!;
          break;
        case 'group':
          v = 1;
          break;
        case 'stddev':
          v = nanStart[g] ? NaN : vars![g]!.stddev();
          break;
        case 'stdvar':
          v = nanStart[g] ? NaN : vars![g]!.stdvar();
          break;
        case 'quantile':
          v = quantile(param![i]!, lists![g]!);
          break;
        default:
          v = value[g]!;
      }
      out[g]!.values[i] = v;
      out[g]!.present[i] = 1;
    }
  }
  return out.filter((s) => s.present.indexOf(1) !== -1);
}

function warnQuantileParams(ctx: EvalContext, e: AggregateExpr, param: Float64Array): void {
  let min = Infinity;
  let max = -Infinity;
  let nan = false;
  for (const q of param) {
    if (q !== q) nan = true;
    else {
      if (q < min) min = q;
      if (q > max) max = q;
    }
  }
  const pos = e.param!.pos;
  if (nan) ctx.annotations.warn(annotationText.invalidQuantile(NaN), pos);
  if (max > 1) ctx.annotations.warn(annotationText.invalidQuantile(max), pos);
  if (min < 0) ctx.annotations.warn(annotationText.invalidQuantile(min), pos);
}

/** Prometheus' bounds (engine.go): the largest float64 below 2^63, and −2^63. */
const MAX_INT64 = 9223372036854774784;
const MIN_INT64 = -9223372036854775808;

/**
 * Prometheus 2.x checks k at every step, whether or not the group has samples:
 * `!convertibleToInt64(k)` (NaN and ±Inf included) fails the whole query.
 */
function checkK2(param: Float64Array): void {
  for (const k of param) {
    if (!(k <= MAX_INT64 && k >= MIN_INT64)) throw new PromQLError('execution', `Scalar value ${goFloatG(k)} overflows int64`);
  }
}

/**
 * Prometheus 3.x checks the parameter over all steps once, after an early return when every k < 1
 * (false: nothing to select). Go's math.Max is NaN when any k is, so NaN fails before that return.
 */
function checkK3(param: Float64Array): boolean {
  let max = -Infinity;
  let min = Infinity;
  let nan = false;
  for (const k of param) {
    if (k !== k) nan = true;
    if (k > max) max = k;
    if (k < min) min = k;
  }
  if (nan) throw new PromQLError('execution', 'Parameter value is NaN');
  if (max < 1) return false;
  if (min <= MIN_INT64) throw new PromQLError('execution', `Scalar value ${goFloatG(min)} underflows int64`);
  if (max >= MAX_INT64) throw new PromQLError('execution', `Scalar value ${goFloatG(max)} overflows int64`);
  return true;
}

/**
 * topk / bottomk / limitk with Prometheus' heap moves, so ties resolve the same way: series are
 * offered in input order per step; 3.x replaces the top and runs heap.Fix, 2.x pops and pushes.
 */
function aggregateK(ctx: EvalContext, e: AggregateExpr, input: StepSeries[], param: Float64Array, n: number): StepSeries[] {
  const v2 = ctx.compat === '2';
  if (v2) checkK2(param);
  else if (!checkK3(param)) return [];
  const { of, labels } = assignGroups(input, e);
  const G = labels.length;
  const heaps: KItem[][] = labels.map(() => []);
  const seen = new Int32Array(G).fill(-1);
  const outOf = new Map<number, StepSeries>();
  const out: StepSeries[] = [];
  const reverse = e.op === 'bottomk';
  for (let i = 0; i < n; i++) {
    const k = Math.min(Math.trunc(param[i]!), input.length);
    if (k < 1) continue;
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      if (s.present[i] === 0) continue;
      const g = of[si]!;
      const f = s.values[i]!;
      const h = heaps[g]!;
      if (seen[g] !== i) {
        seen[g] = i;
        h.length = 0;
      }
      if (e.op === 'limitk') {
        if (h.length < k) kHeapPush(h, { si, f }, false);
        continue;
      }
      if (h.length < k) kHeapPush(h, { si, f }, reverse);
      else {
        const top = h[0]!.f;
        const better = reverse ? top > f : top < f;
        if (v2) {
          // Prometheus 2.x: a NaN top is always evicted; k = 1 replaces in situ, otherwise
          // heap.Pop then heap.Push (which places ties differently from 3.x's replace-and-Fix).
          if (better || top !== top) {
            if (k === 1) h[0] = { si, f };
            else {
              kHeapPop(h, reverse);
              kHeapPush(h, { si, f }, reverse);
            }
          }
        } else if (better || (top !== top && f === f)) kHeapReplaceTop(h, { si, f }, reverse);
      }
    }
    for (let g = 0; g < G; g++) {
      if (seen[g] !== i) continue;
      const items = e.op === 'limitk' ? heaps[g]! : kHeapSortedDesc(heaps[g]!, reverse);
      for (const it of items) {
        let r = outOf.get(it.si);
        if (r === undefined) {
          const s = input[it.si]!;
          r = newStepSeries(s.labels, n, s.dropName);
          outOf.set(it.si, r);
          out.push(r);
        }
        r.values[i] = it.f;
        r.present[i] = 1;
      }
    }
  }
  return out;
}

function countValues(ctx: EvalContext, e: AggregateExpr, input: StepSeries[], label: string, n: number): StepSeries[] {
  const names = new Set(e.grouping);
  if (!e.without) names.add(label);
  const byKey = new Map<string, StepSeries>();
  const stamp = new Map<StepSeries, number>();
  const out: StepSeries[] = [];
  for (let i = 0; i < n; i++) {
    for (const s of input) {
      if (s.present[i] === 0) continue;
      const ls = groupLabels(setLabel(s.labels, label, formatFloatPlain(s.values[i]!)), e, names);
      const key = labelsKey(ls);
      let r = byKey.get(key);
      if (r === undefined) {
        r = newStepSeries(ls, n);
        byKey.set(key, r);
        out.push(r);
      }
      if (stamp.get(r) !== i) {
        stamp.set(r, i);
        r.values[i] = 0;
        r.present[i] = 1;
      }
      r.values[i]!++;
    }
  }
  void ctx;
  return out;
}
