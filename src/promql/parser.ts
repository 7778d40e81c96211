/**
 * PromQL parsing entry points. The parser follows Prometheus 3.x's promql/parser (grammar,
 * lexer, error texts and positions); see parser/grammar.ts for why it is hand-written.
 */
import type { Expr } from './ast.js';
import { ParseError, PromQLError } from './errors.js';
import type { LabelMatcher } from '../model/matcher.js';
import type { PromQLCompat } from './types.js';
import { TypeChecker } from './parser/check.js';
import { Grammar } from './parser/grammar.js';
import { LiteralError, parseDurationMs } from './parser/literals.js';

export interface ParseOptions {
  compat: PromQLCompat;
  enableExperimentalFunctions: boolean;
}

const DEFAULTS: ParseOptions = { compat: '3', enableExperimentalFunctions: false };

/** Parses and type-checks a query. Throws ParseError (kind bad_data). */
export function parseExpr(query: string, opts?: Partial<ParseOptions>): Expr {
  const options = opts ? { ...DEFAULTS, ...opts } : DEFAULTS;
  try {
    const raw = new Grammar(query, options).parseQuery();
    return new TypeChecker(query).check(raw);
  } catch (err) {
    // Recursive descent: pathological nesting exhausts the stack. Report it as bad input.
    if (err instanceof RangeError) throw new ParseError('expression is nested too deeply', 0, query);
    throw err;
  }
}

/**
 * Parses a series selector such as a `match[]` parameter. Like Prometheus' ParseMetricSelector it
 * does not require a non-empty matcher; the API layer checks that.
 */
export function parseMetricSelector(selector: string, opts?: Partial<ParseOptions>): LabelMatcher[] {
  const options = opts ? { ...DEFAULTS, ...opts } : DEFAULTS;
  return [...new Grammar(selector, options).parseSelectorOnly().matchers];
}

/** A Prometheus duration string ("1h30m", "5m", "0") in ms. Throws PromQLError (bad_data). */
export function parseDuration(s: string): number {
  try {
    return parseDurationMs(s);
  } catch (err) {
    if (err instanceof LiteralError) throw new PromQLError('bad_data', err.message);
    throw err;
  }
}
