/** What function implementations may ask of the evaluator (kept apart to avoid import cycles). */
import type { Call, Expr } from '../ast.js';
import type { EvalValue, Grid, RangeInput, StepSeries } from '../value.js';
import type { EvalContext } from './context.js';

export interface NodeEvaluator {
  readonly ctx: EvalContext;
  vector(e: Expr, grid: Grid): StepSeries[];
  scalar(e: Expr, grid: Grid): Float64Array;
  /** A range-vector argument (range selector or subquery) prepared for windowing. */
  range(e: Expr, grid: Grid): RangeInput;
  string(e: Expr): string;
}

export type FunctionImpl = (ev: NodeEvaluator, call: Call, grid: Grid) => EvalValue;

export function unwrapParens(e: Expr): Expr {
  while (e.kind === 'ParenExpr') e = e.expr;
  return e;
}
