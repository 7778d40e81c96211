/**
 * Prometheus' step-invariance analysis (engine.go preprocessExprHelper; the same rules in 2.42 and
 * 3.14): which subtrees it evaluates once, at the first step of their grid, and copies to the other
 * steps. For truly invariant subtrees this changes nothing; it matters where the analysis is wrong,
 * and promdedup reproduces that in both dialects (checked against 2.42 itself, read in 3.14):
 * - an aggregation counts as invariant when its input is, whatever its parameter: `topk(scalar(x),
 *   y @ t)` uses the k of the first step at every step;
 * - a range-vector function over `m @ t` that is not invariant as a whole (predict_linear, which is
 *   @-unsafe, or one with a step-dependent scalar argument) is evaluated per step with the `@`
 *   turned into an offset from the grid start, so its window moves with the step (see range-apply.ts).
 */
import type { Call, Expr, VectorSelector } from '../ast.js';
import type { PromQLCompat } from '../types.js';
import { unwrapParens } from './types.js';

/** Functions Prometheus never treats as step invariant (AtModifierUnsafeFunctions; 3.x adds start/end/range/step). */
const AT_UNSAFE = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'predict_linear', 'time', 'timestamp',
  'start', 'end', 'range', 'step',
]);

export function isStepInvariant(e: Expr, compat: PromQLCompat): boolean {
  switch (e.kind) {
    case 'VectorSelector':
      return e.at !== null;
    case 'MatrixSelector':
      return e.vector.at !== null;
    case 'SubqueryExpr':
      return e.at !== null;
    case 'AggregateExpr':
      return isStepInvariant(e.expr, compat);
    case 'BinaryExpr':
      return isStepInvariant(e.lhs, compat) && isStepInvariant(e.rhs, compat);
    case 'Call':
      return isCallStepInvariant(e, compat);
    case 'ParenExpr':
    case 'UnaryExpr':
      return isStepInvariant(e.expr, compat);
    case 'NumberLiteral':
    case 'StringLiteral':
      return true;
  }
}

export function isCallStepInvariant(c: Call, compat: PromQLCompat): boolean {
  let invariant = !AT_UNSAFE.has(c.func.name);
  // Every argument is analysed (as Prometheus does), even once the answer is known.
  for (const a of c.args) invariant = isStepInvariant(a, compat) && invariant;
  // 3.x: timestamp() of `@` selectors (parentheses aside) is invariant after all.
  if (!invariant && compat === '3' && c.func.name === 'timestamp') {
    return c.args.every((a) => {
      const u = unwrapParens(a);
      return u.kind === 'VectorSelector' && u.at !== null;
    });
  }
  return invariant;
}

/**
 * Selectors with `@` that Prometheus evaluates per step with the `@` turned into an offset from the grid
 * start (so their reference time moves with the step, over data fetched only up to `@` − offset):
 * those inside an aggregation's parameter, which its analysis never visits. Marked by the evaluator
 * before it evaluates such a parameter.
 */
const moving = new WeakSet<VectorSelector>();

export function markMovingSelectors(e: Expr): void {
  switch (e.kind) {
    case 'VectorSelector':
      if (e.at !== null) moving.add(e);
      return;
    case 'MatrixSelector':
      if (e.vector.at !== null) moving.add(e.vector);
      return;
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'AggregateExpr':
      markMovingSelectors(e.expr);
      if (e.kind === 'AggregateExpr' && e.param !== null) markMovingSelectors(e.param);
      return;
    case 'BinaryExpr':
      markMovingSelectors(e.lhs);
      markMovingSelectors(e.rhs);
      return;
    case 'Call':
      for (const a of e.args) markMovingSelectors(a);
      return;
    case 'NumberLiteral':
    case 'StringLiteral':
      return;
  }
}

export function isMovingSelector(vs: VectorSelector): boolean {
  return moving.has(vs);
}
