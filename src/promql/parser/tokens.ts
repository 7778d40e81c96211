/**
 * Token kinds of the PromQL lexer and their descriptions in error messages, following
 * Prometheus' lexer items (`unexpected <op:+>`, `unexpected identifier "foo"`, ...).
 */
import { goQuoteRune, goQuote } from './quote.js';

export type TokenKind =
  | 'EOF'
  | 'ERROR'
  | 'IDENTIFIER'
  | 'METRIC_IDENTIFIER'
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | '(' | ')' | '{' | '}' | '[' | ']' | ',' | ':' | '='
  | '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~' | '@'
  | Keyword;

export type Keyword =
  | 'and' | 'or' | 'unless' | 'atan2'
  | AggregatorKeyword
  | 'offset' | 'smoothed' | 'anchored' | 'by' | 'without' | 'on' | 'ignoring' | 'group_left'
  | 'group_right' | 'fill' | 'fill_left' | 'fill_right' | 'bool'
  | 'start' | 'end' | 'step' | 'range'
  // Only inside `[...]` duration expressions.
  | 'min_of' | 'max_of';

export type AggregatorKeyword =
  | 'sum' | 'avg' | 'count' | 'min' | 'max' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk'
  | 'count_values' | 'quantile' | 'limitk' | 'limit_ratio';

export interface Token {
  readonly kind: TokenKind;
  /** Offset of the first character. */
  readonly pos: number;
  /** Offset just past the last character. */
  readonly end: number;
  /** Source text; for ERROR tokens, the error message. */
  readonly val: string;
}

const OPERATOR_WORDS = new Set(['and', 'or', 'unless', 'atan2']);
export const AGGREGATORS: ReadonlySet<string> = new Set<AggregatorKeyword>([
  'sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk',
  'count_values', 'quantile', 'limitk', 'limit_ratio',
]);
const MODIFIER_KEYWORDS = new Set([
  'offset', 'smoothed', 'anchored', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'fill', 'fill_left', 'fill_right', 'bool',
]);

/** Lower-cased words the lexer turns into keyword tokens outside braces (plus inf/nan numbers). */
export const KEYWORDS: ReadonlySet<string> = new Set([
  ...OPERATOR_WORDS, ...AGGREGATORS, ...MODIFIER_KEYWORDS, 'start', 'end', 'step', 'range',
]);

const SYMBOL_OPERATORS = new Set(['+', '-', '*', '/', '%', '^', '==', '!=', '<', '<=', '>', '>=', '=~', '!~', '@']);

/** How Prometheus names a token after "unexpected ". */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return 'end of input';
    case 'ERROR':
      return t.val;
    case 'IDENTIFIER':
      return `identifier ${goQuote(t.val)}`;
    case 'METRIC_IDENTIFIER':
      return `metric identifier ${goQuote(t.val)}`;
    case 'NUMBER':
      return `number ${quoteShort(t.val)}`;
    case 'DURATION':
      return `duration ${quoteShort(t.val)}`;
    case 'STRING':
      return `string ${quoteShort(t.val)}`;
  }
  if (SYMBOL_OPERATORS.has(t.kind) || OPERATOR_WORDS.has(t.kind)) return `<op:${t.val}>`;
  if (AGGREGATORS.has(t.kind)) return `<aggr:${t.val}>`;
  if (MODIFIER_KEYWORDS.has(t.kind)) return `<${t.val}>`;
  return goQuote(t.val);
}

/** Go's `%.10q...` for long values, `%q` otherwise. */
function quoteShort(s: string): string {
  const runes = Array.from(s);
  return runes.length > 10 ? `${goQuote(runes.slice(0, 10).join(''))}...` : goQuote(s);
}

export { goQuoteRune };
