/**
 * Recursive-descent PromQL parser following the grammar and actions of Prometheus'
 * promql/parser/generated_parser.y: precedence (`or` < `and unless` < comparisons < `+ -` <
 * `* / % atan2` < `^`, right-assoc; unary binds like `*`), postfix `[..]`, `offset`, `@` on the
 * nearest operand, and the syntax-time checks of the yacc actions. Type checks run afterwards
 * (check.ts), as in Prometheus, only once the whole query parsed.
 */
import type {
  AggregateExpr, AggregateOp, AtModifier, BinaryExpr, BinaryOp, Call, Cardinality, Expr, MatrixSelector,
  DeferredDurations, NumberLiteral, SubqueryExpr, VectorMatching, VectorSelector,
} from '../ast.js';
import { LabelMatcher, MatcherError, type MatchType } from '../../model/matcher.js';
import { METRIC_NAME } from '../../model/labels.js';
import { lookupFunction } from '../signatures.js';
import type { PromQLCompat } from '../types.js';
import { TokenCursor } from './cursor.js';
import { DurationParser, type DurationValue } from './durations.js';
import { LiteralError, parseDurationMs, parseNumber, unquoteString } from './literals.js';
import { AGGREGATORS, type Token, type TokenKind } from './tokens.js';

export interface GrammarOptions {
  readonly compat: PromQLCompat;
  readonly enableExperimentalFunctions: boolean;
}

const BINARY_PRECEDENCE: Partial<Record<TokenKind, number>> = {
  or: 1, and: 2, unless: 2,
  '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3,
  '+': 4, '-': 4,
  '*': 5, '/': 5, '%': 5, atan2: 5,
  '^': 6,
};
const POW_PRECEDENCE = 6;

/** Keywords that may name a metric outside braces (yacc `metric_identifier`). */
const METRIC_KEYWORDS: ReadonlySet<string> = new Set([
  ...AGGREGATORS, 'by', 'without', 'and', 'or', 'unless', 'offset', 'start', 'end', 'step', 'range', 'anchored', 'smoothed',
]);

/** Keywords that may name a label in grouping clauses (yacc `maybe_label`). */
const LABEL_KEYWORDS: ReadonlySet<string> = new Set([
  ...AGGREGATORS, 'bool', 'by', 'group_left', 'group_right', 'ignoring', 'and', 'or', 'unless', 'offset', 'on',
  'start', 'end', 'atan2', 'step', 'range', 'anchored', 'smoothed',
]);

const AGGREGATORS_WITH_PARAM: ReadonlySet<string> = new Set(['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);
const EXPERIMENTAL_AGGREGATORS: ReadonlySet<string> = new Set(['limitk', 'limit_ratio']);
const MATCH_OPS: ReadonlySet<string> = new Set(['=', '!=', '=~', '!~']);
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `matching` as written, before type checking decides whether it applies. */
export interface RawBinaryExpr extends BinaryExpr {
  readonly matching: VectorMatching;
}

export class Grammar {
  private readonly c: TokenCursor;
  private readonly durations: DurationParser;

  constructor(
    query: string,
    private readonly opts: GrammarOptions,
  ) {
    this.c = new TokenCursor(query);
    this.durations = new DurationParser(this.c, opts.enableExperimentalFunctions);
  }

  /** A whole query. BinaryExpr nodes carry their written matching; check.ts finalises it. */
  parseQuery(): Expr {
    if (this.c.is('EOF')) throw this.c.error('no expression found in input', 0);
    const e = this.expr(0);
    if (!this.c.is('EOF')) throw this.c.unexpected('');
    return e;
  }

  /** A lone vector selector (match[] parameters). */
  parseSelectorOnly(): VectorSelector {
    const t = this.c.peek();
    let vs: VectorSelector;
    if (t.kind === 'IDENTIFIER' || t.kind === 'METRIC_IDENTIFIER' || METRIC_KEYWORDS.has(t.kind) || t.kind === '{') {
      vs = this.vectorSelector();
    } else {
      throw this.c.unexpected('');
    }
    if (!this.c.is('EOF')) throw this.c.unexpected('');
    return vs;
  }

  private expr(minPrec: number): Expr {
    let left = this.unary();
    for (;;) {
      const opTok = this.c.peek();
      const prec = BINARY_PRECEDENCE[opTok.kind];
      if (prec === undefined || prec < minPrec) return left;
      this.c.advance();
      const mods = this.binaryModifiers();
      const right = this.expr(opTok.kind === '^' ? prec : prec + 1);
      left = this.binary(left, opTok, mods, right);
    }
  }

  private binary(lhs: Expr, opTok: Token, mods: { returnBool: boolean; matching: VectorMatching }, rhs: Expr): Expr {
    const node: RawBinaryExpr = {
      kind: 'BinaryExpr',
      op: opTok.kind as BinaryOp,
      lhs,
      rhs,
      returnBool: mods.returnBool,
      matching: mods.matching,
      pos: { start: lhs.pos.start, end: rhs.pos.end },
    };
    return node;
  }

  private binaryModifiers(): { returnBool: boolean; matching: VectorMatching } {
    let returnBool = false;
    if (this.c.is('bool')) {
      this.c.advance();
      returnBool = true;
    }
    let card: Cardinality = 'one-to-one';
    let on = false;
    let matchingLabels: readonly string[] = [];
    let include: readonly string[] = [];
    const t = this.c.peek();
    if (t.kind === 'on' || t.kind === 'ignoring') {
      this.c.advance();
      on = t.kind === 'on';
      matchingLabels = this.groupingLabels();
      const g = this.c.peek();
      if (g.kind === 'group_left' || g.kind === 'group_right') {
        this.c.advance();
        card = g.kind === 'group_left' ? 'many-to-one' : 'one-to-many';
        if (this.c.is('(')) include = this.groupingLabels();
      }
    }
    const f = this.c.peek();
    if (f.kind === 'fill' || f.kind === 'fill_left' || f.kind === 'fill_right') {
      throw this.c.error('binop fill modifiers are experimental and not enabled', f.pos);
    }
    return { returnBool, matching: { card, on, matchingLabels, include } };
  }

  private unary(): Expr {
    const t = this.c.peek();
    if (t.kind !== '+' && t.kind !== '-') return this.postfix(this.primary());
    this.c.advance();
    const operand = this.expr(POW_PRECEDENCE);
    const pos = { start: t.pos, end: operand.pos.end };
    // Prometheus folds a sign into a number literal operand.
    if (operand.kind === 'NumberLiteral') {
      return { kind: 'NumberLiteral', value: t.kind === '-' ? -operand.value : operand.value, pos };
    }
    return { kind: 'UnaryExpr', op: t.kind, expr: operand, pos };
  }

  private primary(): Expr {
    const t = this.c.peek();
    switch (t.kind) {
      case 'NUMBER':
        this.c.advance();
        return { kind: 'NumberLiteral', value: this.literal(t, parseNumber), pos: { start: t.pos, end: t.end } };
      case 'DURATION':
        this.c.advance();
        return { kind: 'NumberLiteral', value: this.literal(t, parseDurationMs) / 1000, pos: { start: t.pos, end: t.end } };
      case 'STRING':
        this.c.advance();
        return { kind: 'StringLiteral', value: unquoteString(t.val), pos: { start: t.pos, end: t.end } };
      case '(': {
        this.c.advance();
        const inner = this.expr(0);
        const close = this.c.expect(')');
        return { kind: 'ParenExpr', expr: inner, pos: { start: t.pos, end: close.end } };
      }
      case '{':
      case 'METRIC_IDENTIFIER':
        return this.vectorSelector();
      case 'IDENTIFIER':
        return this.c.peekSecond() === '(' ? this.call() : this.vectorSelector();
    }
    if (AGGREGATORS.has(t.kind)) {
      const next = this.c.peekSecond();
      return next === '(' || next === 'by' || next === 'without' ? this.aggregate() : this.vectorSelector();
    }
    if (t.kind === 'start' || t.kind === 'end' || t.kind === 'step' || t.kind === 'range') {
      return this.c.peekSecond() === '(' ? this.call() : this.vectorSelector();
    }
    if (METRIC_KEYWORDS.has(t.kind)) return this.vectorSelector();
    throw this.c.unexpected();
  }

  private literal<T>(t: Token, convert: (s: string) => T): T {
    try {
      return convert(t.val);
    } catch (err) {
      if (err instanceof LiteralError) throw this.c.error(err.message, t.pos);
      throw err;
    }
  }

  // ---- selectors ----

  private vectorSelector(): VectorSelector {
    const first = this.c.peek();
    let name = '';
    let end = first.end;
    if (first.kind !== '{') {
      this.c.advance();
      name = first.val;
    }
    const matchers: LabelMatcher[] = name ? [new LabelMatcher('=', METRIC_NAME, name)] : [];
    if (this.c.is('{')) {
      this.labelMatchers(matchers);
      end = this.c.lastEnd();
    }
    return { kind: 'VectorSelector', name, matchers, offset: 0, at: null, pos: { start: first.pos, end } };
  }

  private labelMatchers(out: LabelMatcher[]): void {
    this.c.advance();
    const ctx = 'label matching';
    while (!this.c.is('}')) {
      const t = this.c.peek();
      if (t.kind === 'IDENTIFIER') {
        this.c.advance();
        out.push(this.matcherAfterName(t, t.val));
      } else if (t.kind === 'STRING' && this.opts.compat !== '2') {
        this.c.advance();
        const name = unquoteString(t.val);
        if (MATCH_OPS.has(this.c.peek().kind)) out.push(this.matcherAfterName(t, name));
        else out.push(new LabelMatcher('=', METRIC_NAME, name));
      } else {
        throw this.c.unexpected(ctx, 'identifier or "}"');
      }
      if (this.c.is(',')) this.c.advance();
      else if (!this.c.is('}')) throw this.c.unexpected(ctx, '"," or "}"');
    }
    this.c.advance();
  }

  private matcherAfterName(nameTok: Token, name: string): LabelMatcher {
    const ctx = 'label matching';
    const op = this.c.peek();
    if (!MATCH_OPS.has(op.kind)) throw this.c.unexpected(ctx, 'label matching operator');
    this.c.advance();
    const v = this.c.peek();
    if (v.kind !== 'STRING') throw this.c.unexpected(ctx, 'string');
    this.c.advance();
    try {
      return new LabelMatcher(op.kind as MatchType, name, unquoteString(v.val));
    } catch (err) {
      if (err instanceof MatcherError) throw this.c.error(err.message, nameTok.pos);
      throw err;
    }
  }

  // ---- postfix modifiers ----

  private postfix(e: Expr): Expr {
    for (;;) {
      const t = this.c.peek();
      switch (t.kind) {
        case '[':
          e = this.rangeOrSubquery(e);
          break;
        case 'offset':
          e = this.offset(e);
          break;
        case '@':
          e = this.at(e);
          break;
        case 'anchored':
        case 'smoothed':
          throw this.c.error(`${t.kind} modifier is experimental and not enabled`, e.pos.start);
        default:
          return e;
      }
    }
  }

  private rangeOrSubquery(e: Expr): Expr {
    const open = this.c.advance();
    if (!this.durations.startsDuration()) {
      throw this.c.unexpected('subquery or range selector', 'number, duration, step(), or range()');
    }
    const rangeD = this.durations.parseExpr();
    const range = this.positiveDuration(rangeD);
    const t = this.c.peek();
    if (t.kind === ']') {
      this.c.advance();
      const m = this.matrix(e, open, range);
      return rangeD.deferred ? { ...m, deferred: { range: rangeD.deferred } } : m;
    }
    if (t.kind !== ':') throw this.c.unexpected('subquery or range', '":" or "]"');
    this.c.advance();
    let step = 0;
    let stepD: DurationValue | null = null;
    if (!this.c.is(']')) {
      if (!this.durations.startsDuration()) {
        throw this.c.unexpected('subquery selector', 'number, duration, step(), range(), or "]"');
      }
      stepD = this.durations.parseExpr();
      step = this.positiveDuration(stepD);
      if (!this.c.is(']')) throw this.c.unexpected('subquery selector', '"]"');
    }
    const close = this.c.advance();
    const sq: SubqueryExpr = { kind: 'SubqueryExpr', expr: e, range, step, offset: 0, at: null, pos: { start: e.pos.start, end: close.end } };
    if (!rangeD.deferred && !stepD?.deferred) return sq;
    const deferred: DeferredDurations = {
      ...(rangeD.deferred ? { range: rangeD.deferred } : {}),
      ...(stepD?.deferred ? { step: stepD.deferred } : {}),
    };
    return { ...sq, deferred };
  }

  /** A range or step: must be positive (checked when the query runs for step()/range() ones). */
  private positiveDuration(d: DurationValue): number {
    if (d.deferred) return 0;
    if (d.ms <= 0) throw this.c.error('duration must be greater than 0', d.pos);
    return d.ms;
  }

  private matrix(e: Expr, open: Token, range: number): MatrixSelector {
    let msg = '';
    if (e.kind !== 'VectorSelector') msg = 'ranges only allowed for vector selectors';
    else if (e.offset !== 0 || e.deferred?.offset) msg = 'no offset modifiers allowed before range';
    else if (e.at !== null) msg = 'no @ modifiers allowed before range';
    if (msg || e.kind !== 'VectorSelector') throw this.c.error(msg, open.pos);
    return { kind: 'MatrixSelector', vector: e, range, pos: { start: e.pos.start, end: this.c.lastEnd() } };
  }

  private offset(e: Expr): Expr {
    this.c.advance();
    if (!this.durations.startsDuration()) throw this.c.unexpected('offset', 'number, duration, step(), or range()');
    const d = this.durations.parseOffset();
    const ms = d.ms;
    const end = this.c.lastEnd();
    const twice = (): never => {
      throw this.c.error('offset may not be set multiple times', e.pos.start);
    };
    const withOffset = <T extends { deferred?: DeferredDurations }>(n: T): T =>
      d.deferred ? { ...n, deferred: { ...n.deferred, offset: d.deferred } } : n;
    switch (e.kind) {
      case 'VectorSelector':
        if (e.offset !== 0 || e.deferred?.offset) twice();
        return withOffset({ ...e, offset: ms, pos: { start: e.pos.start, end } });
      case 'MatrixSelector':
        if (e.vector.offset !== 0 || e.vector.deferred?.offset) twice();
        return { ...e, vector: withOffset({ ...e.vector, offset: ms }), pos: { start: e.pos.start, end } };
      case 'SubqueryExpr':
        if (e.offset !== 0 || e.deferred?.offset) twice();
        return withOffset({ ...e, offset: ms, pos: { start: e.pos.start, end } });
      default:
        throw this.c.error(
          'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
          e.pos.start,
        );
    }
  }


  private at(e: Expr): Expr {
    this.c.advance();
    const at = this.atValue(e);
    const end = this.c.lastEnd();
    const twice = (): never => {
      throw this.c.error('@ <timestamp> may not be set multiple times', e.pos.start);
    };
    switch (e.kind) {
      case 'VectorSelector':
        if (e.at) twice();
        return { ...e, at, pos: { start: e.pos.start, end } };
      case 'MatrixSelector':
        if (e.vector.at) twice();
        return { ...e, vector: { ...e.vector, at }, pos: { start: e.pos.start, end } };
      case 'SubqueryExpr':
        if (e.at) twice();
        return { ...e, at, pos: { start: e.pos.start, end } };
      default:
        throw this.c.error('@ modifier must be preceded by an instant vector selector or range vector selector or a subquery', e.pos.start);
    }
  }

  private atValue(e: Expr): AtModifier {
    let t = this.c.peek();
    if (t.kind === 'start' || t.kind === 'end') {
      this.c.advance();
      this.c.expect('(');
      this.c.expect(')');
      return { kind: t.kind };
    }
    let sign = 1;
    if (t.kind === '+' || t.kind === '-') {
      sign = t.kind === '-' ? -1 : 1;
      this.c.advance();
      t = this.c.peek();
    }
    if (t.kind !== 'NUMBER' && t.kind !== 'DURATION') throw this.c.unexpected('@', 'timestamp');
    this.c.advance();
    const seconds = sign * (t.kind === 'NUMBER' ? this.literal(t, parseNumber) : this.literal(t, parseDurationMs) / 1000);
    if (!Number.isFinite(seconds) || Math.abs(seconds) >= 9223372036854775807) {
      throw this.c.error(`timestamp out of bounds for @ modifier: ${goFloatF(seconds)}`, e.pos.start);
    }
    return { kind: 'time', ms: roundHalfAwayFromZero(seconds * 1000) };
  }

  // ---- calls and aggregations ----

  private callArgs(): { args: Expr[]; end: number } {
    this.c.expect('(');
    const args: Expr[] = [];
    if (!this.c.is(')')) {
      for (;;) {
        args.push(this.expr(0));
        if (this.c.is(',')) {
          const comma = this.c.advance();
          if (this.c.is(')')) throw this.c.error('trailing commas not allowed in function call args', comma.pos);
          continue;
        }
        if (!this.c.is(')')) throw this.c.unexpected();
        break;
      }
    }
    return { args, end: this.c.advance().end };
  }

  private call(): Call {
    const nameTok = this.c.advance();
    const { args, end } = this.callArgs();
    const func = lookupFunction(nameTok.val, this.opts.compat);
    if (!func) throw this.c.error(`unknown function with name "${nameTok.val}"`, nameTok.pos);
    if (func.experimental && !this.opts.enableExperimentalFunctions) {
      throw this.c.error(`function "${nameTok.val}" is not enabled`, nameTok.pos);
    }
    return { kind: 'Call', func, args, pos: { start: nameTok.pos, end } };
  }

  private aggregate(): AggregateExpr {
    const opTok = this.c.advance();
    const op = opTok.kind as AggregateOp;
    const outer = this.c.context;
    this.c.context = 'aggregation';
    let grouping: readonly string[] = [];
    let without = false;
    const modifier = (): void => {
      without = this.c.advance().kind === 'without';
      grouping = this.groupingLabels();
    };
    if (this.c.is('by') || this.c.is('without')) modifier();
    const { args, end: bodyEnd } = this.callArgs();
    let end = bodyEnd;
    if (this.c.is('by') || this.c.is('without')) {
      modifier();
      end = this.c.lastEnd();
    }
    this.c.context = outer;
    const pos = { start: opTok.pos, end };
    if (args.length === 0) throw this.c.error('no arguments for aggregate expression provided', pos.start);
    let wanted = 1;
    let param: Expr | null = null;
    if (AGGREGATORS_WITH_PARAM.has(op)) {
      if (EXPERIMENTAL_AGGREGATORS.has(op) && !this.opts.enableExperimentalFunctions) {
        throw this.c.error(`${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`, pos.start);
      }
      wanted = 2;
      param = args[0]!;
    }
    if (args.length !== wanted) {
      throw this.c.error(`wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`, pos.start);
    }
    return { kind: 'AggregateExpr', op, expr: args[wanted - 1]!, param, grouping, without, pos };
  }

  /** `( label, ... )` in by/without/on/ignoring/group_x clauses. */
  private groupingLabels(): string[] {
    const ctx = 'grouping opts';
    if (!this.c.is('(')) throw this.c.unexpected(ctx, '"("');
    this.c.advance();
    const labels: string[] = [];
    while (!this.c.is(')')) {
      const t = this.c.peek();
      let name: string;
      if (t.kind === 'IDENTIFIER' || t.kind === 'METRIC_IDENTIFIER' || LABEL_KEYWORDS.has(t.kind)) {
        name = t.val;
        if (this.opts.compat === '2' && !LEGACY_LABEL_NAME.test(name)) throw this.c.unexpected(ctx, 'label');
      } else if (t.kind === 'STRING' && this.opts.compat !== '2') {
        name = unquoteString(t.val);
      } else {
        throw this.c.unexpected(ctx, 'label');
      }
      if (name === '') throw this.c.error(`invalid label name for grouping: ""`, t.pos);
      this.c.advance();
      labels.push(name);
      if (this.c.is(',')) this.c.advance();
      else if (!this.c.is(')')) throw this.c.unexpected(ctx, '"," or ")"');
    }
    this.c.advance();
    return labels;
  }
}

/** Go's math.Round: halves away from zero. */
function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Go's `%f`. */
function goFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  return x.toFixed(6);
}

export type { NumberLiteral };
