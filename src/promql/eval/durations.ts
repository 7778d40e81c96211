/**
 * Folds the step()/range() duration expressions the parser deferred (experimental, 3.12) once the
 * query's step and range are known, giving an AST with plain ms everywhere. The arithmetic is the
 * parser's constant folding (seconds, then ms), so `[5m+step()]` and `[5m+15s]` agree.
 */
import type { DeferredDurations, DurationExpr, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from '../ast.js';
import { PromQLError } from '../errors.js';
import { MAX_DURATION_SECONDS, secondsToMs } from '../parser/literals.js';

interface QueryParams {
  /** Outer query step in ms, 0 for instant queries. */
  readonly queryStep: number;
  readonly queryStart: number;
  readonly queryEnd: number;
}

function seconds(d: DurationExpr, q: QueryParams): number {
  switch (d.kind) {
    case 'const':
      return d.seconds;
    case 'step':
      return q.queryStep / 1000;
    case 'range':
      return (q.queryEnd - q.queryStart) / 1000;
    case 'neg':
      return -seconds(d.expr, q);
    case 'paren':
      return seconds(d.expr, q);
    case 'min_of':
      return Math.min(seconds(d.a, q), seconds(d.b, q));
    case 'max_of':
      return Math.max(seconds(d.a, q), seconds(d.b, q));
    case 'binary': {
      const l = seconds(d.lhs, q);
      const r = seconds(d.rhs, q);
      switch (d.op) {
        case '+': return l + r;
        case '-': return l - r;
        case '*': return l * r;
        case '/': return l / r;
        case '%': return l % r;
        case '^': return Math.pow(l, r);
      }
    }
  }
}

function toMs(d: DurationExpr, q: QueryParams, positive: boolean): number {
  const s = seconds(d, q);
  if (!Number.isFinite(s) || Math.abs(s) > MAX_DURATION_SECONDS) throw new PromQLError('bad_data', 'duration out of range');
  const ms = secondsToMs(s);
  if (positive && ms <= 0) throw new PromQLError('bad_data', 'duration must be greater than 0');
  return ms;
}

export function hasDeferredDurations(e: Expr): boolean {
  switch (e.kind) {
    case 'VectorSelector':
      return e.deferred !== undefined;
    case 'MatrixSelector':
      return e.deferred !== undefined || e.vector.deferred !== undefined;
    case 'SubqueryExpr':
      return e.deferred !== undefined || hasDeferredDurations(e.expr);
    case 'NumberLiteral':
    case 'StringLiteral':
      return false;
    case 'ParenExpr':
    case 'UnaryExpr':
      return hasDeferredDurations(e.expr);
    case 'BinaryExpr':
      return hasDeferredDurations(e.lhs) || hasDeferredDurations(e.rhs);
    case 'AggregateExpr':
      return hasDeferredDurations(e.expr) || (e.param !== null && hasDeferredDurations(e.param));
    case 'Call':
      return e.args.some(hasDeferredDurations);
  }
}

/** `e` with every deferred range, step and offset replaced by its value for query `q`. */
export function resolveDurations(e: Expr, q: QueryParams): Expr {
  switch (e.kind) {
    case 'VectorSelector':
      return resolveSelector(e, q);
    case 'MatrixSelector': {
      const { deferred, ...rest } = e;
      const m: MatrixSelector = { ...rest, vector: resolveSelector(e.vector, q) };
      return deferred?.range ? { ...m, range: toMs(deferred.range, q, true) } : m;
    }
    case 'SubqueryExpr': {
      const { deferred, ...rest } = e;
      return { ...rest, expr: resolveDurations(e.expr, q), ...resolved(deferred, q) } satisfies SubqueryExpr;
    }
    case 'NumberLiteral':
    case 'StringLiteral':
      return e;
    case 'ParenExpr':
    case 'UnaryExpr':
      return { ...e, expr: resolveDurations(e.expr, q) };
    case 'BinaryExpr':
      return { ...e, lhs: resolveDurations(e.lhs, q), rhs: resolveDurations(e.rhs, q) };
    case 'AggregateExpr':
      return { ...e, expr: resolveDurations(e.expr, q), param: e.param === null ? null : resolveDurations(e.param, q) };
    case 'Call':
      return { ...e, args: e.args.map((a) => resolveDurations(a, q)) };
  }
}

function resolveSelector(vs: VectorSelector, q: QueryParams): VectorSelector {
  if (vs.deferred === undefined) return vs;
  const { deferred, ...rest } = vs;
  return { ...rest, ...resolved(deferred, q) };
}

function resolved(d: DeferredDurations | undefined, q: QueryParams): { range?: number; step?: number; offset?: number } {
  const out: { range?: number; step?: number; offset?: number } = {};
  if (d?.range) out.range = toMs(d.range, q, true);
  if (d?.step) out.step = toMs(d.step, q, true);
  if (d?.offset) out.offset = toMs(d.offset, q, false);
  return out;
}
