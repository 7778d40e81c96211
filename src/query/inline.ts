/**
 * The inline path: tiny queries evaluated on the main thread instead of a query worker.
 *
 * A query frontend asks for the newest 30 s of every dashboard panel on each refresh: 1-3 steps
 * over a few dozen series. In a worker such a query costs more in handoffs than in work (the task,
 * the select batch, every stream's begin/data/end and the answer each cross threads, each worker
 * compiles the same code on its own, and a worker at lower priority waits for the CPU): measured
 * 4.7 ms for 40 series × 2 points, of which 0.3 ms is the work itself (docs/benchmarks.md).
 *
 * A query runs inline only when its work is bounded before anything is fetched, and stays bounded
 * while its data arrives; everything else goes to a worker as before, so /-/healthy stays
 * responsive under heavy queries:
 *   - instant or range query with at most INLINE_MAX_STEPS steps,
 *   - the query text at most INLINE_MAX_QUERY_CHARS long, its syntax tree at most INLINE_MAX_DEPTH
 *     deep (the main thread has the default stack, the workers 256 MB), no subquery (a subquery
 *     multiplies the steps),
 *   - while the endpoints' answers are decoded, samples + series × steps stay within
 *     INLINE_MAX_COST (evaluation work is linear in both). A query that goes over is abandoned at
 *     that point (its reads stopped, nothing of it kept) and run again in a worker from scratch,
 *     which gives the very answer a worker would have given in the first place.
 * The evaluation code is the workers' (QueryExecutor), so answers are the same byte for byte.
 */
import type { Expr } from '../promql/ast.js';
import { parseExpr } from '../promql/parser.js';
import type { QueryTask } from './protocol.js';

/** Steps of a range query (1 for an instant query) up to which a query may run inline. */
export const INLINE_MAX_STEPS = 16;
/**
 * Samples decoded (as the chunk headers announce them) + series × steps of an inline query before
 * it moves to a worker. The dashboard's tiny panels cost 100-2000. Measured on the bench machine
 * (2 vCPU, docs/benchmarks.md): main-thread CPU per query 2.3 ms at ~2 k, 2.9 ms near this budget;
 * /-/healthy p99 under 4 clients looping such queries 3.4-7.6 ms (3.1-4.7 ms with all in workers).
 */
export const INLINE_MAX_COST = 25_000;
export const INLINE_MAX_QUERY_CHARS = 1024;
export const INLINE_MAX_DEPTH = 24;
/** Inline queries at once; more wait for none and go to workers. */
export const INLINE_MAX_CONCURRENT = 16;

/** Steps the task evaluates (1 for an instant query). */
export function taskSteps(task: QueryTask): number {
  return task.kind === 'range' && task.step > 0 ? Math.floor((task.end - task.start) / task.step) + 1 : 1;
}

/** True when the task's shape allows it to run inline (its data is checked while it arrives). */
export function inlineEligible(task: QueryTask): boolean {
  if (task.kind !== 'instant' && task.kind !== 'range') return false;
  if (task.query.length > INLINE_MAX_QUERY_CHARS) return false;
  if (!(taskSteps(task) <= INLINE_MAX_STEPS)) return false;
  let expr: Expr;
  try {
    expr = parseExpr(task.query, { compat: task.compat });
  } catch {
    return false; // the worker reports the error, as before
  }
  return bounded(expr, 0);
}

function bounded(e: Expr, depth: number): boolean {
  if (depth > INLINE_MAX_DEPTH) return false;
  const d = depth + 1;
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'VectorSelector':
      return true;
    case 'MatrixSelector':
      return bounded(e.vector, d);
    case 'SubqueryExpr':
      return false;
    case 'ParenExpr':
    case 'UnaryExpr':
      return bounded(e.expr, d);
    case 'BinaryExpr':
      return bounded(e.lhs, d) && bounded(e.rhs, d);
    case 'AggregateExpr':
      return bounded(e.expr, d) && (e.param === null || bounded(e.param, d));
    case 'Call':
      return e.args.every((a) => bounded(a, d));
  }
}
