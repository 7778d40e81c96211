/**
 * `/api/v1/parse_query`'s answer (Prometheus 3.x web/api/v1/translate_ast.go): the AST as the web
 * UI's tree view reads it. Prometheus builds Go maps, which marshal with their keys sorted: every
 * object here lists its keys in that order. The experimental modifiers (anchored, smoothed, fill)
 * are not enabled in promdedup's parser, so they are always false / null.
 */
import type { AtModifier, Expr, VectorSelector } from '../promql/ast.js';
import { formatFloatPlain } from '../promql/format.js';

export function translateAst(e: Expr): unknown {
  switch (e.kind) {
    case 'AggregateExpr':
      return {
        expr: translateAst(e.expr),
        grouping: [...e.grouping],
        op: e.op,
        param: e.param ? translateAst(e.param) : null,
        type: 'aggregation',
        without: e.without,
      };
    case 'BinaryExpr':
      return {
        bool: e.returnBool,
        lhs: translateAst(e.lhs),
        matching: e.matching
          ? {
              card: e.matching.card,
              fillValues: { lhs: null, rhs: null },
              include: [...e.matching.include],
              labels: [...e.matching.matchingLabels],
              on: e.matching.on,
            }
          : null,
        op: e.op,
        rhs: translateAst(e.rhs),
        type: 'binaryExpr',
      };
    case 'Call':
      return {
        args: e.args.map(translateAst),
        func: { argTypes: [...e.func.argTypes], name: e.func.name, returnType: e.func.returnType, variadic: e.func.variadic },
        type: 'call',
      };
    case 'MatrixSelector':
      return selector(e.vector, 'matrixSelector', e.range);
    case 'SubqueryExpr':
      return {
        alignEvalTime: false,
        expr: translateAst(e.expr),
        offset: e.offset,
        range: e.range,
        startOrEnd: startOrEnd(e.at),
        step: e.step,
        timestamp: timestamp(e.at),
        type: 'subquery',
      };
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatFloatPlain(e.value) };
    case 'ParenExpr':
      return { expr: translateAst(e.expr), type: 'parenExpr' };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: e.value };
    case 'UnaryExpr':
      return { expr: translateAst(e.expr), op: e.op, type: 'unaryExpr' };
    case 'VectorSelector':
      return selector(e, 'vectorSelector', null);
  }
}

function selector(vs: VectorSelector, type: string, range: number | null): unknown {
  return {
    anchored: false,
    matchers: vs.matchers.map((m) => ({ name: m.name, type: m.type, value: m.value })),
    name: vs.name,
    offset: vs.offset,
    ...(range !== null ? { range } : {}),
    smoothed: false,
    startOrEnd: startOrEnd(vs.at),
    timestamp: timestamp(vs.at),
    type,
  };
}

function timestamp(at: AtModifier | null): number | null {
  return at !== null && at.kind === 'time' ? at.ms : null;
}

function startOrEnd(at: AtModifier | null): string | null {
  return at !== null && at.kind !== 'time' ? at.kind : null;
}
