/** Hand-built PromQL ASTs for engine tests that must not depend on the parser. */
import type { AggregateExpr, AggregateOp, AtModifier, BinaryExpr, Call, Expr, MatrixSelector, SubqueryExpr, VectorMatching, VectorSelector } from '../../src/promql/ast.js';
import { LabelMatcher, type MatchType } from '../../src/model/matcher.js';
import { FUNCTIONS } from '../../src/promql/signatures.js';

const P = { start: 0, end: 0 };

export function sel(name: string, matchers: [string, MatchType, string][] = [], mod: { offset?: number; at?: AtModifier } = {}): VectorSelector {
  const ms = matchers.map(([n, t, v]) => new LabelMatcher(t, n, v));
  if (name) ms.unshift(new LabelMatcher('=', '__name__', name));
  return { kind: 'VectorSelector', name, matchers: ms, offset: mod.offset ?? 0, at: mod.at ?? null, pos: P };
}

export function mat(vs: VectorSelector, range: number): MatrixSelector {
  return { kind: 'MatrixSelector', vector: vs, range, pos: P };
}

export function sq(expr: Expr, range: number, step = 0, offset = 0, at: AtModifier | null = null): SubqueryExpr {
  return { kind: 'SubqueryExpr', expr, range, step, offset, at, pos: P };
}

export function num(value: number): Expr {
  return { kind: 'NumberLiteral', value, pos: P };
}

export function str(value: string): Expr {
  return { kind: 'StringLiteral', value, pos: P };
}

export function call(name: string, ...args: Expr[]): Call {
  const func = FUNCTIONS.get(name);
  if (!func) throw new Error(`no function ${name}`);
  return { kind: 'Call', func, args, pos: P };
}

export function agg(op: AggregateOp, expr: Expr, grouping: string[] = [], without = false, param: Expr | null = null): AggregateExpr {
  return { kind: 'AggregateExpr', op, expr, grouping, without, param, pos: P };
}

export function bin(op: BinaryExpr['op'], lhs: Expr, rhs: Expr, opts: { bool?: boolean; matching?: Partial<VectorMatching> } = {}): BinaryExpr {
  const vec = (e: Expr) => e.kind !== 'NumberLiteral' && !(e.kind === 'Call' && e.func.returnType === 'scalar');
  const setOp = op === 'and' || op === 'or' || op === 'unless';
  const matching: VectorMatching | null =
    vec(lhs) && vec(rhs)
      ? { card: setOp ? 'many-to-many' : 'one-to-one', on: false, matchingLabels: [], include: [], ...opts.matching }
      : null;
  return { kind: 'BinaryExpr', op, lhs, rhs, returnBool: opts.bool ?? false, matching, pos: P };
}
