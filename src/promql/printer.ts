/**
 * Prints an AST back to PromQL in the style of Prometheus' printer.go (`sum by (job) (rate(x[5m]))`,
 * `a + on (b) group_left (c) d`, `x @ 10.000 offset 5m`). Parsing the output yields the same AST
 * (positions aside). Differences from Prometheus, both for exact round trips: matchers keep their
 * written order, and group_left/group_right print even after an empty `ignoring ()`.
 */
import type { AtModifier, BinaryExpr, DurationExpr, Expr, VectorMatching, VectorSelector } from './ast.js';
import { METRIC_NAME } from '../model/labels.js';
import { goQuote } from './parser/quote.js';

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'NumberLiteral':
      return formatNumber(e.value);
    case 'StringLiteral':
      return goQuote(e.value);
    case 'VectorSelector':
      return formatSelector(e) + formatAt(e.at) + formatOffset(e.offset, e.deferred?.offset);
    case 'MatrixSelector': {
      const range = e.deferred?.range ? formatDurationExpr(e.deferred.range) : formatDuration(e.range);
      return `${formatSelector(e.vector)}[${range}]${formatAt(e.vector.at)}${formatOffset(e.vector.offset, e.vector.deferred?.offset)}`;
    }
    case 'SubqueryExpr': {
      const range = e.deferred?.range ? formatDurationExpr(e.deferred.range) : formatDuration(e.range);
      const step = e.deferred?.step ? formatDurationExpr(e.deferred.step) : e.step ? formatDuration(e.step) : '';
      return `${formatExpr(e.expr)}[${range}:${step}]${formatAt(e.at)}${formatOffset(e.offset, e.deferred?.offset)}`;
    }
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
    case 'UnaryExpr':
      return `${e.op}${formatExpr(e.expr)}`;
    case 'BinaryExpr':
      return `${formatExpr(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${formatMatching(e)} ${formatExpr(e.rhs)}`;
    case 'AggregateExpr': {
      let op: string = e.op;
      if (e.without) op += ` without (${formatLabels(e.grouping)}) `;
      else if (e.grouping.length > 0) op += ` by (${formatLabels(e.grouping)}) `;
      const param = e.param ? `${formatExpr(e.param)}, ` : '';
      return `${op}(${param}${formatExpr(e.expr)})`;
    }
    case 'Call':
      return `${e.func.name}(${e.args.map(formatExpr).join(', ')})`;
  }
}

/** Prometheus' line length beyond which Pretty splits an expression. */
const MAX_CHARACTERS_PER_LINE = 100;

/**
 * Prometheus' Prettify (promql/parser/prettier.go), as `/api/v1/format_query` answers: an
 * expression longer than 100 bytes is split over lines, its children indented two spaces per level.
 */
export function prettyExpr(e: Expr, level = 0): string {
  const indent = '  '.repeat(level);
  const text = formatExpr(e);
  const split = Buffer.byteLength(text) > MAX_CHARACTERS_PER_LINE;
  switch (e.kind) {
    case 'AggregateExpr': {
      if (!split) return indent + text;
      let op: string = e.op;
      if (e.without) op += ` without (${formatLabels(e.grouping)}) `;
      else if (e.grouping.length > 0) op += ` by (${formatLabels(e.grouping)}) `;
      let s = `${indent}${op}(\n`;
      if (e.param) s += `${prettyExpr(e.param, level + 1)},\n`;
      return `${s}${prettyExpr(e.expr, level + 1)}\n${indent})`;
    }
    case 'BinaryExpr':
      if (!split) return indent + text;
      return `${prettyExpr(e.lhs, level + 1)}\n${indent}${e.op}${e.returnBool ? ' bool' : ''}${formatMatching(e)}\n${prettyExpr(e.rhs, level + 1)}`;
    case 'Call':
      if (!split || e.args.length === 0) return indent + text;
      return `${indent}${e.func.name}(\n${e.args.map((a) => prettyExpr(a, level + 1)).join(',\n')}\n${indent})`;
    case 'ParenExpr':
      if (!split) return indent + text;
      return `${indent}(\n${prettyExpr(e.expr, level + 1)}\n${indent})`;
    case 'SubqueryExpr':
      // As Prometheus: no indent of its own when it fits on the line.
      if (!split) return text;
      return prettyExpr(e.expr, level) + text.slice(formatExpr(e.expr).length);
    case 'UnaryExpr':
      return `${indent}${e.op}${prettyExpr(e.expr, level).trim()}`;
    default:
      return indent + text;
  }
}

/**
 * A copy of the AST whose selectors' matchers are in the order Prometheus prints them (it sorts the
 * printed matchers as strings), for answers that must match Prometheus' text (format_query).
 */
export function withSortedMatchers(e: Expr): Expr {
  const copy = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(copy);
    if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return x;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = copy(v);
    if (out.kind === 'VectorSelector') {
      const text = (m: { name: string; type: string; value: string }) => `${formatLabelName(m.name)}${m.type}${goQuote(m.value)}`;
      out.matchers = [...(out.matchers as VectorSelector['matchers'])].sort((a, b) => compareBytes(text(a), text(b)));
    }
    return out;
  };
  return copy(e) as Expr;
}

/** Go's string order (bytes of the UTF-8 encoding). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function formatMatching(e: BinaryExpr): string {
  const vm: VectorMatching | null = e.matching;
  if (!vm) return '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length === 0 && !vm.on && !grouped) return '';
  let s = ` ${vm.on ? 'on' : 'ignoring'} (${formatLabels(vm.matchingLabels)})`;
  if (grouped) s += ` ${vm.card === 'many-to-one' ? 'group_left' : 'group_right'} (${formatLabels(vm.include)})`;
  return s;
}

function formatLabelName(name: string): string {
  return LEGACY_NAME.test(name) ? name : goQuote(name);
}

function formatLabels(names: readonly string[]): string {
  return names.map(formatLabelName).join(', ');
}

function formatSelector(vs: VectorSelector): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    // The matcher implied by the name outside the braces is not repeated.
    if (m.name === METRIC_NAME && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    parts.push(`${formatLabelName(m.name)}${m.type}${goQuote(m.value)}`);
  }
  if (parts.length === 0) return vs.name;
  return `${vs.name}{${parts.join(',')}}`;
}

function formatAt(at: AtModifier | null): string {
  if (!at) return '';
  if (at.kind !== 'time') return ` @ ${at.kind}()`;
  return ` @ ${(at.ms / 1000).toFixed(3)}`;
}

function formatOffset(ms: number, deferred: DurationExpr | undefined): string {
  // A deferred offset is a (signed) primary: step(), range(), min_of/max_of or a parenthesised expression.
  if (deferred) return ` offset ${formatDurationExpr(deferred)}`;
  if (ms > 0) return ` offset ${formatDuration(ms)}`;
  if (ms < 0) return ` offset -${formatDuration(-ms)}`;
  return '';
}

const DURATION_UNITS: readonly (readonly [string, number, boolean])[] = [
  ['y', 365 * 24 * 3600 * 1000, true],
  ['w', 7 * 24 * 3600 * 1000, true],
  ['d', 24 * 3600 * 1000, false],
  ['h', 3600 * 1000, false],
  ['m', 60 * 1000, false],
  ['s', 1000, false],
  ['ms', 1, false],
];

/** prometheus/common model.Duration.String(): years and weeks only when exact. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, mult, exact] of DURATION_UNITS) {
    if (exact && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}

/** Go's `%v` of a float64: shortest round-trip digits, exponent form below 1e-4 and from 1e6. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  // strconv 'g' with shortest precision switches to %e when exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

/**
 * A step()/range() duration expression. The tree came from a precedence parser and keeps explicit
 * parentheses as nodes, so printing operators bare parses back to the same tree.
 */
function formatDurationExpr(d: DurationExpr): string {
  switch (d.kind) {
    case 'const':
      if (d.exactMs === null) return formatNumber(d.seconds);
      return d.exactMs < 0 ? `-${formatDuration(-d.exactMs)}` : formatDuration(d.exactMs);
    case 'step':
    case 'range':
      return `${d.kind}()`;
    case 'neg':
      return `-${formatDurationExpr(d.expr)}`;
    case 'paren':
      return `(${formatDurationExpr(d.expr)})`;
    case 'min_of':
    case 'max_of':
      return `${d.kind}(${formatDurationExpr(d.a)}, ${formatDurationExpr(d.b)})`;
    case 'binary':
      return `${formatDurationExpr(d.lhs)} ${d.op} ${formatDurationExpr(d.rhs)}`;
  }
}
