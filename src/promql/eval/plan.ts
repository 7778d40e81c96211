/**
 * Storage planning: walk the AST once, work out for every selector the time window its evaluation
 * will read (through offsets, `@` and nested subqueries) and Prometheus-style select hints, then
 * issue all selects in parallel before evaluation starts.
 */
import type { Expr, VectorSelector } from '../ast.js';
import type { Series } from '../../model/samples.js';
import type { Querier, SelectHints } from '../../storage/querier.js';
import type { PromQLCompat } from '../types.js';
import type { Grid } from '../value.js';
import { abortError, resolveAt } from './context.js';
import { refRange, subqueryGrid } from './grid.js';
import { infoHints, infoSelect } from './info-select.js';

export interface PlanContext {
  readonly compat: PromQLCompat;
  readonly lookback: number;
  readonly defaultEvalInterval: number;
  readonly queryStart: number;
  readonly queryEnd: number;
  /** Step of the outer query (0 for instant queries), reported in hints. */
  readonly queryStep: number;
}

export interface PlannedSelect {
  readonly node: VectorSelector;
  readonly hints: SelectHints;
}

interface PathInfo {
  /**
   * Name of the nearest enclosing function or aggregation (Prometheus' extractFuncFromPath), unless
   * a binary operator is nearer.
   */
  readonly func: string;
  /** Grouping of the directly enclosing aggregation. */
  readonly grouping: readonly string[];
  readonly by: boolean;
}

const NO_PATH: PathInfo = { func: '', grouping: [], by: false };

export function planSelects(expr: Expr, grid: Grid, ctx: PlanContext): PlannedSelect[] {
  const out: PlannedSelect[] = [];
  walk(expr, grid, ctx.queryStep, NO_PATH, ctx, out);
  return out;
}

function walk(e: Expr, grid: Grid, step: number, path: PathInfo, ctx: PlanContext, out: PlannedSelect[]): void {
  if (grid.n === 0) return;
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
      return;
    case 'VectorSelector':
      out.push({ node: e, hints: selectorHints(e, grid, step, 0, path, ctx) });
      return;
    case 'MatrixSelector':
      out.push({ node: e.vector, hints: selectorHints(e.vector, grid, step, e.range, path, ctx) });
      return;
    case 'SubqueryExpr': {
      const inner = subqueryGrid(e, grid, resolveAt(e.at, ctx), ctx.defaultEvalInterval, ctx.compat);
      walk(e.expr, inner, inner.step, { ...path, grouping: [], by: false }, ctx, out);
      return;
    }
    case 'ParenExpr':
      walk(e.expr, grid, step, path, ctx, out);
      return;
    case 'UnaryExpr':
      walk(e.expr, grid, step, path, ctx, out);
      return;
    case 'BinaryExpr':
      walk(e.lhs, grid, step, NO_PATH, ctx, out);
      walk(e.rhs, grid, step, NO_PATH, ctx, out);
      return;
    case 'AggregateExpr': {
      // Prometheus' extractFuncFromPath: the aggregation's name (Thanos reads max(x) from the MAX chunk).
      const p: PathInfo = { func: e.op, grouping: e.grouping, by: !e.without };
      if (e.param) walk(e.param, grid, step, NO_PATH, ctx, out);
      walk(e.expr, grid, step, p, ctx, out);
      return;
    }
    case 'Call':
      if (e.func.name === 'info') {
        // The second argument is a label selector for the info series, not an input.
        walk(e.args[0]!, grid, step, { func: 'info', grouping: [], by: false }, ctx, out);
        out.push({ node: infoSelect(e).node, hints: infoHints(e, grid, step, ctx) });
        return;
      }
      for (const a of e.args) walk(a, grid, step, { func: e.func.name, grouping: [], by: false }, ctx, out);
      return;
  }
}

function selectorHints(
  vs: VectorSelector,
  grid: Grid,
  step: number,
  range: number,
  path: PathInfo,
  ctx: PlanContext,
): SelectHints {
  const [refMin, refMax] = refRange(grid, vs.offset, resolveAt(vs.at, ctx));
  const span = range > 0 ? range : ctx.lookback;
  // 3.x windows are left-open, so the oldest useful sample is one ms later than in 2.x.
  const start = refMin - span + (ctx.compat === '2' ? 0 : 1);
  return {
    start,
    end: refMax,
    step,
    func: path.func,
    range,
    grouping: path.grouping,
    by: path.by,
  };
}

/** Runs all planned selects concurrently; returns the series per selector node and storage warnings. */
export async function fetchAll(
  querier: Querier,
  plans: readonly PlannedSelect[],
  signal: AbortSignal,
): Promise<{ data: Map<VectorSelector, Series[]>; warnings: string[] }> {
  const data = new Map<VectorSelector, Series[]>();
  const warnings: string[] = [];
  if (signal.aborted) throw abortError(signal);
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
  });
  aborted.catch(() => undefined);
  const results = await Promise.race([
    Promise.all(plans.map((p) => querier.select(p.node.matchers, p.hints, signal))),
    aborted,
  ]);
  if (signal.aborted) throw abortError(signal);
  plans.forEach((p, i) => {
    const r = results[i]!;
    // A node may be planned more than once only if it is shared; keep the widest answer.
    data.set(p.node, r.series);
    for (const w of r.warnings) warnings.push(w);
  });
  return { data, warnings };
}
