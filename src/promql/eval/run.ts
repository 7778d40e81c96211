/**
 * One query from parsed AST to API value: plan and fetch all selects, evaluate the tree over the
 * query grid, then shape the top-level result as Prometheus does.
 */
import { exprType, type Expr } from '../ast.js';
import { type Labels } from '../../model/labels.js';
import type { Querier } from '../../storage/querier.js';
import { PromQLError } from '../errors.js';
import type { EngineOptions, MatrixSeries, QueryOptions, QueryResult, QueryValue, VectorSample } from '../types.js';
import { gridTime, makeGrid, type Grid, type StepSeries } from '../value.js';
import { Annotations } from './annotations.js';
import { abortError, checkAbort, holdSamples, type EvalContext } from './context.js';
import { hasDeferredDurations, resolveDurations } from './durations.js';
import { Evaluator } from './evaluator.js';
import { fetchAll, planSelects } from './plan.js';
import { dropMetadataLabels, mergeSameLabels, SAME_LABELSET } from './series.js';
import { windowBounds } from './selector.js';
import { toMatrix } from './to-matrix.js';
import { unwrapParens } from './types.js';
import { operatorTree, type EvalProfile } from '../explain.js';

export interface RunParams {
  readonly expr: Expr;
  /** Query text, for annotation positions. */
  readonly query: string;
  readonly start: number;
  readonly end: number;
  /** 0 for instant queries. */
  readonly step: number;
  readonly querier: Querier;
  readonly engine: EngineOptions;
  readonly options: QueryOptions;
  readonly delayedNameRemoval: boolean;
}

export function rangeQueryTypeError(expr: Expr): PromQLError | null {
  const t = exprType(expr);
  if (t === 'scalar' || t === 'vector') return null;
  const name = t === 'matrix' ? 'range vector' : t;
  return new PromQLError('bad_data', `invalid expression type "${name}" for range query, must be Scalar or instant Vector`);
}

export async function runQuery(params: RunParams): Promise<QueryResult> {
  // step()/range() inside durations become plain numbers before anything looks at the tree.
  const p = hasDeferredDurations(params.expr)
    ? { ...params, expr: resolveDurations(params.expr, { queryStep: params.step, queryStart: params.start, queryEnd: params.end }) }
    : params;
  const instant = p.step === 0;
  if (!instant) {
    const err = rangeQueryTypeError(p.expr);
    if (err) throw err;
  }
  const grid = makeGrid(p.start, p.end, instant ? 1 : p.step);
  const lookback = p.options.lookbackDelta > 0 ? p.options.lookbackDelta : p.engine.lookbackDelta;
  const signal = p.options.signal;
  const plans = planSelects(p.expr, grid, {
    compat: p.options.compat,
    lookback,
    defaultEvalInterval: p.engine.defaultEvaluationInterval,
    queryStart: p.start,
    queryEnd: p.end,
    queryStep: p.step,
  });
  let fetched;
  try {
    fetched = await fetchAll(p.querier, plans, signal);
  } catch (err) {
    if (err instanceof PromQLError) throw err;
    if (signal.aborted) throw abortError(signal);
    throw new PromQLError('internal', `expanding series: ${(err as Error).message}`);
  }
  const ctx: EvalContext = {
    compat: p.options.compat,
    lookback,
    defaultEvalInterval: p.engine.defaultEvaluationInterval,
    maxSamples: p.engine.maxSamples,
    signal,
    deadline: p.options.deadline ?? Number.POSITIVE_INFINITY,
    interrupted: p.options.interrupted,
    queryStart: p.start,
    queryEnd: p.end,
    queryStep: p.step,
    delayedNameRemoval: p.delayedNameRemoval,
    data: fetched.data,
    annotations: new Annotations(p.query),
    samples: 0,
  };
  const profile: EvalProfile | null = p.options.analyze === true ? new Map() : null;
  const evalStarted = performance.now();
  const value = evaluateTop(new Evaluator(ctx, profile), p.expr, grid, instant);
  const analysis = profile !== null ? { analysis: { tree: operatorTree(p.expr, profile), evalMs: performance.now() - evalStarted } } : {};
  if (p.options.annotations === false) return { value, warnings: [...new Set(fetched.warnings)], infos: [], ...analysis };
  const warnings = [...new Set([...fetched.warnings, ...ctx.annotations.warnings])];
  return { value, warnings, infos: [...ctx.annotations.infos], ...analysis };
}

function evaluateTop(ev: Evaluator, expr: Expr, grid: Grid, instant: boolean): QueryValue {
  const top = unwrapParens(expr);
  if (instant && (top.kind === 'MatrixSelector' || top.kind === 'SubqueryExpr')) return rawMatrix(ev, top, grid);
  const v = ev.eval(expr, grid);
  checkAbort(ev.ctx);
  switch (v.kind) {
    case 'string':
      return { type: 'string', t: grid.start, v: v.value };
    case 'scalar':
      if (instant) return { type: 'scalar', t: grid.start, v: v.values[0]! };
      return {
        type: 'matrix',
        series: [{ labels: [], timestamps: Float64Array.from({ length: grid.n }, (_, i) => gridTime(grid, i)), values: v.values }],
      };
    case 'vector': {
      const series = finalNames(ev.ctx, v.series);
      if (instant) {
        const samples: VectorSample[] = [];
        for (const s of series) if (s.present[0] !== 0) samples.push({ labels: s.labels, t: grid.start, v: s.values[0]! });
        return { type: 'vector', samples };
      }
      return { type: 'matrix', series: toMatrix(series, grid) };
    }
  }
}

/** Applies delayed `__name__` removal and fails on label sets that collide at the same step. */
function finalNames(ctx: EvalContext, series: StepSeries[]): StepSeries[] {
  if (!ctx.delayedNameRemoval) return series;
  let changed = false;
  for (const s of series) {
    if (!s.dropName) continue;
    const ls = dropMetadataLabels(s.labels);
    if (ls !== s.labels) {
      s.labels = ls;
      changed = true;
    }
  }
  return changed ? mergeSameLabels(series) : series;
}

/** An instant query of a range selector or subquery: the raw samples of its window. */
function rawMatrix(ev: Evaluator, e: Expr, grid: Grid): QueryValue {
  const input = ev.range(e, grid);
  const ref = (input.at ?? grid.start) - input.offset;
  const out: MatrixSeries[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const s of input.series) {
    const [from, to] = windowBounds(s.t, ref, input.range, ev.ctx.compat === '2', 0, 0);
    if (to === from) continue;
    let labels: Labels = s.labels;
    if (s.dropName && ev.ctx.delayedNameRemoval) labels = dropMetadataLabels(labels);
    const key = JSON.stringify(labels);
    if (seen.has(key)) throw new PromQLError('execution', SAME_LABELSET);
    seen.add(key);
    total += to - from;
    out.push({ labels, timestamps: s.t.slice(from, to), values: s.v.slice(from, to) });
  }
  holdSamples(ev.ctx, total);
  return { type: 'matrix', series: out };
}
