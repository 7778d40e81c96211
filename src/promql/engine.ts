/**
 * The PromQL engine: parses a query, then plans, fetches and evaluates it (see eval/run.ts) with
 * Prometheus 3.x semantics, or 2.x where QueryOptions.compat asks for it.
 */
import type { Expr } from './ast.js';
import { PromQLError } from './errors.js';
import { parseExpr } from './parser.js';
import type { Querier } from '../storage/querier.js';
import type { EngineOptions, PromQLCompat, QueryOptions, QueryResult } from './types.js';
import { rangeQueryTypeError, runQuery } from './eval/run.js';

export interface EngineExtras {
  /**
   * Prometheus 3.x delayed `__name__` removal (feature flag promql-delayed-name-removal, which
   * Prometheus' own PromQL test suite runs with). Default true.
   */
  readonly delayedNameRemoval?: boolean;
}

export class Engine {
  readonly options: EngineOptions;
  private readonly delayedNameRemoval: boolean;

  constructor(opts: EngineOptions, extras: EngineExtras = {}) {
    this.options = opts;
    this.delayedNameRemoval = extras.delayedNameRemoval ?? true;
  }

  /** Parses and type-checks without evaluating; range queries must yield a scalar or instant vector. */
  parse(query: string, compat: PromQLCompat, kind: 'instant' | 'range' = 'instant'): Expr {
    const expr = parseExpr(query, { compat, enableExperimentalFunctions: this.options.enableExperimentalFunctions });
    if (kind === 'range') {
      const err = rangeQueryTypeError(expr);
      if (err) throw err;
    }
    return expr;
  }

  instantQuery(querier: Querier, query: string, timeMs: number, opts: QueryOptions): Promise<QueryResult> {
    return this.run(() => this.evalInstant(querier, this.parse(query, opts.compat), query, timeMs, opts));
  }

  rangeQuery(querier: Querier, query: string, startMs: number, endMs: number, stepMs: number, opts: QueryOptions): Promise<QueryResult> {
    return this.run(() => {
      if (!(stepMs > 0)) throw new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
      return this.evalRange(querier, this.parse(query, opts.compat, 'range'), query, startMs, endMs, stepMs, opts);
    });
  }

  /** Evaluates a pre-parsed expression at one instant; `query` is only used for annotation positions. */
  evalInstant(querier: Querier, expr: Expr, query: string, timeMs: number, opts: QueryOptions): Promise<QueryResult> {
    return runQuery({ expr, query, start: timeMs, end: timeMs, step: 0, querier, engine: this.options, options: opts, delayedNameRemoval: this.delayedNameRemoval });
  }

  /** Evaluates a pre-parsed expression over start..end every step ms. */
  evalRange(querier: Querier, expr: Expr, query: string, startMs: number, endMs: number, stepMs: number, opts: QueryOptions): Promise<QueryResult> {
    return runQuery({ expr, query, start: startMs, end: endMs, step: stepMs, querier, engine: this.options, options: opts, delayedNameRemoval: this.delayedNameRemoval });
  }

  private async run(f: () => Promise<QueryResult>): Promise<QueryResult> {
    try {
      return await f();
    } catch (err) {
      if (err instanceof PromQLError) throw err;
      if (err instanceof RangeError) throw new PromQLError('execution', `unexpected error: ${err.message}`);
      throw new PromQLError('internal', (err as Error).message ?? String(err));
    }
  }
}
