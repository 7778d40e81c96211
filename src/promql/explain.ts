/**
 * The operator tree of a query, in the shape Thanos' /api/v1/query_explain and `analyze=true`
 * answer with (`name`, `children`; with analysis also `executionTime`, `totalSamples`). The
 * evaluator works node by node, so every AST node is an operator; parentheses are transparent.
 * With a profile (the evaluator's time and output samples per node) the tree carries them. Pure.
 */
import type { Expr } from './ast.js';
import { formatDuration, formatExpr } from './printer.js';

export interface OperatorNode {
  readonly name: string;
  readonly children: OperatorNode[];
  /** Inclusive evaluation time of the node, ms (analysis only). */
  readonly ms?: number;
  /** Samples the node produced (analysis only). */
  readonly samples?: number;
}

/** What the evaluator measured per node (only nodes it evaluated through `eval`). */
export type EvalProfile = Map<Expr, { ms: number; samples: number }>;

export function operatorTree(e: Expr, profile?: EvalProfile): OperatorNode {
  while (e.kind === 'ParenExpr') e = e.expr;
  const measured = profile?.get(e);
  const node = (name: string, children: readonly Expr[]): OperatorNode => ({
    name,
    children: children.map((c) => operatorTree(c, profile)),
    ...(measured !== undefined ? { ms: measured.ms, samples: measured.samples } : {}),
  });
  switch (e.kind) {
    case 'NumberLiteral':
      return node(`[number] ${formatExpr(e)}`, []);
    case 'StringLiteral':
      return node(`[string] ${formatExpr(e)}`, []);
    case 'VectorSelector':
      return node(`[vectorSelector] ${formatExpr(e)}`, []);
    case 'MatrixSelector':
      return node(`[matrixSelector] ${formatExpr(e)}`, []);
    case 'SubqueryExpr':
      return node(`[subquery] [${formatDuration(e.range)}:${e.step > 0 ? formatDuration(e.step) : ''}]`, [e.expr]);
    case 'UnaryExpr':
      return node(`[unary] ${e.op}`, [e.expr]);
    case 'BinaryExpr': {
      const m = e.matching;
      const matching = m === null ? '' : `${m.on ? ` on(${m.matchingLabels.join(', ')})` : m.matchingLabels.length > 0 ? ` ignoring(${m.matchingLabels.join(', ')})` : ''}${m.card === 'many-to-one' ? ' group_left' : m.card === 'one-to-many' ? ' group_right' : ''}`;
      return node(`[binary] ${e.op}${e.returnBool ? ' bool' : ''}${matching}`, [e.lhs, e.rhs]);
    }
    case 'AggregateExpr': {
      const grouping = e.without ? ` without (${e.grouping.join(', ')})` : e.grouping.length > 0 ? ` by (${e.grouping.join(', ')})` : '';
      return node(`[aggregate] ${e.op}${grouping}`, e.param !== null ? [e.param, e.expr] : [e.expr]);
    }
    case 'Call':
      return node(`[function] ${e.func.name}`, e.args);
  }
}

/** Go's time.Duration String() for a duration in ms (350µs, 1.234567ms, 2.5s, 1m30s). */
export function goDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const secs = `${trim(s)}s`;
  return h > 0 ? `${h}h${m}m${secs}` : m > 0 ? `${m}m${secs}` : secs;
}

function trim(x: number): string {
  return String(Number(x.toFixed(9)));
}
