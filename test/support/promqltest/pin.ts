/**
 * The reference runner's `@` consistency check: pin every selector and subquery that lacks `@` to
 * the evaluation time (nothing inside subqueries is touched), then the query must give the same
 * result at other evaluation times. Expressions calling `@`-unsafe functions are not pinned.
 */
import type { Expr } from '../../../src/promql/ast.js';

/**
 * Prometheus' AtModifierUnsafeFunctions, plus the 3.x query-context functions start(), end(),
 * range() and step(): their value depends on the query, not on selectors, so pinning cannot hold
 * them fixed (functions.test expects `start()` at 0 to be 0, which a pinned run at −1s cannot give).
 */
const AT_UNSAFE = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'time', 'timestamp', 'start', 'end', 'range', 'step',
]);

export class UnsupportedNode extends Error {}

function pinAt<T extends { readonly at: unknown }>(node: T, ms: number): T {
  const at = node.at as { kind: string } | null;
  // `@ start()`/`@ end()` are replaced too: the reference pins every selector whose timestamp is unset.
  if (at !== null && at.kind === 'time') return node;
  return { ...node, at: { kind: 'time', ms } };
}

interface PinState {
  unsafe: boolean;
}

function pin(e: Expr, ms: number, st: PinState): Expr {
  switch (e.kind) {
    case 'NumberLiteral':
    case 'StringLiteral':
      return e;
    case 'VectorSelector':
      return pinAt(e, ms);
    case 'MatrixSelector':
      return { ...e, vector: pinAt(e.vector, ms) };
    case 'SubqueryExpr':
      return pinAt(e, ms);
    case 'ParenExpr':
    case 'UnaryExpr':
      return { ...e, expr: pin(e.expr, ms, st) };
    case 'BinaryExpr':
      return { ...e, lhs: pin(e.lhs, ms, st), rhs: pin(e.rhs, ms, st) };
    case 'AggregateExpr':
      return { ...e, expr: pin(e.expr, ms, st), param: e.param === null ? null : pin(e.param, ms, st) };
    case 'Call':
      if (AT_UNSAFE.has(e.func.name)) st.unsafe = true;
      return { ...e, args: e.args.map((a) => pin(a, ms, st)) };
    default:
      throw new UnsupportedNode(`unknown node kind ${(e as { kind: string }).kind}`);
  }
}

/** The pinned expression, or null when it uses an `@`-unsafe function. Throws UnsupportedNode. */
export function pinExpr(e: Expr, ms: number): Expr | null {
  const st: PinState = { unsafe: false };
  const out = pin(e, ms, st);
  return st.unsafe ? null : out;
}

/** The other evaluation times the pinned query is run at. */
export function pinnedEvalTimes(t: number): number[] {
  if (t === 0) return [-1000, 0, 1000];
  return [-10 * t, 0, Math.trunc(t / 5), t, 10 * t];
}

/** Every node of the tree (generic walk, so node kinds added later are still visited). */
export function* walkExpr(e: Expr): Generator<Expr> {
  yield e;
  for (const v of Object.values(e)) {
    const items: unknown[] = Array.isArray(v) ? v : [v];
    for (const x of items) {
      if (x !== null && typeof x === 'object' && 'kind' in x && 'pos' in x) yield* walkExpr(x as Expr);
    }
  }
}
