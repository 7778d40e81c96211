/**
 * Durations of range selectors, subqueries and offsets. A plain literal (`5m`, `300`, `-1h`) is
 * core PromQL; arithmetic (`[5m+1m]`, `offset (2*1m)`, min_of/max_of) is Prometheus 3's
 * experimental duration expressions, folded to a constant here. step() and range() depend on the
 * query: an expression using them is kept as a DurationExpr tree and folded when the query runs.
 */
import type { TokenCursor } from './cursor.js';
import { LiteralError, MAX_DURATION_SECONDS, parseDurationMs, parseNumber, secondsToMs } from './literals.js';
import type { Token } from './tokens.js';
import type { DurationExpr } from '../ast.js';

export interface DurationValue {
  /** 0 when `deferred` is set. */
  readonly ms: number;
  /** Set when the value depends on step()/range(). */
  readonly deferred: DurationExpr | null;
  /** A single (optionally signed) number or duration literal. */
  readonly literal: boolean;
  readonly pos: number;
}

interface Folded {
  readonly seconds: number;
  /** Exact ms when the value is a duration literal (avoids float round trips). */
  readonly exactMs: number | null;
  readonly literal: boolean;
  readonly pos: number;
  /** The expression when it depends on the query (seconds/exactMs are then meaningless). */
  readonly deferred: DurationExpr | null;
}

/** A folded operand as a DurationExpr leaf, for combining with a deferred one. */
function asExpr(f: Folded): DurationExpr {
  return f.deferred ?? { kind: 'const', seconds: f.seconds, exactMs: f.exactMs };
}

const PRECEDENCE: Readonly<Record<string, number>> = { '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, '^': 6 };
const UNARY_PRECEDENCE = 5;

export class DurationParser {
  constructor(
    private readonly c: TokenCursor,
    private readonly experimental: boolean,
  ) {}

  /** True if the current token can start a duration expression. */
  startsDuration(): boolean {
    const t = this.c.peek();
    switch (t.kind) {
      case 'NUMBER': case 'DURATION': case '(': case '+': case '-': case 'step': case 'range': case 'min_of': case 'max_of':
        return true;
      case 'IDENTIFIER':
        return t.val === 'min_of' || t.val === 'max_of';
      default:
        return false;
    }
  }

  /** A full duration expression, as inside `[...]`. */
  parseExpr(): DurationValue {
    return this.finish(this.expr(0));
  }

  /** An offset value: a signed literal or a signed parenthesised/function duration expression. */
  parseOffset(): DurationValue {
    const t = this.c.peek();
    if (t.kind === '+' || t.kind === '-') {
      this.c.advance();
      const operand = this.primary();
      return this.finish(this.negate(t, operand));
    }
    return this.finish(this.primary());
  }

  private finish(f: Folded): DurationValue {
    if (f.deferred) return { ms: 0, deferred: f.deferred, literal: false, pos: f.pos };
    if (!Number.isFinite(f.seconds) || Math.abs(f.seconds) > MAX_DURATION_SECONDS) {
      throw this.c.error('duration out of range', f.pos);
    }
    return { ms: f.exactMs ?? secondsToMs(f.seconds), deferred: null, literal: f.literal, pos: f.pos };
  }

  private requireExperimental(pos: number): void {
    if (!this.experimental) throw this.c.error('experimental duration expression is not enabled', pos);
  }

  private expr(minPrec: number): Folded {
    let left = this.unary();
    for (;;) {
      const op = this.c.peek();
      const prec = PRECEDENCE[op.kind];
      if (prec === undefined || prec < minPrec) return left;
      this.requireExperimental(left.pos);
      this.c.advance();
      const right = this.expr(op.kind === '^' ? prec : prec + 1);
      left = this.binary(op, left, right);
    }
  }

  private unary(): Folded {
    const t = this.c.peek();
    if (t.kind !== '+' && t.kind !== '-') return this.primary();
    this.c.advance();
    return this.negate(t, this.expr(UNARY_PRECEDENCE + 1));
  }

  private negate(op: Token, f: Folded): Folded {
    if (op.kind === '+') return { ...f, pos: op.pos };
    const deferred: DurationExpr | null = f.deferred ? { kind: 'neg', expr: f.deferred } : null;
    return { seconds: -f.seconds, exactMs: f.exactMs === null ? null : -f.exactMs, literal: f.literal, pos: op.pos, deferred };
  }

  private binary(op: Token, l: Folded, r: Folded): Folded {
    let seconds: number;
    switch (op.kind) {
      case '+': seconds = l.seconds + r.seconds; break;
      case '-': seconds = l.seconds - r.seconds; break;
      case '*': seconds = l.seconds * r.seconds; break;
      case '/':
        if (r.literal && r.seconds === 0) throw this.c.error('division by zero', op.pos);
        seconds = l.seconds / r.seconds;
        break;
      case '%':
        if (r.literal && r.seconds === 0) throw this.c.error('modulo by zero', op.pos);
        seconds = l.seconds % r.seconds;
        break;
      default: seconds = Math.pow(l.seconds, r.seconds);
    }
    const deferred: DurationExpr | null =
      l.deferred || r.deferred ? { kind: 'binary', op: op.kind as '+' | '-' | '*' | '/' | '%' | '^', lhs: asExpr(l), rhs: asExpr(r) } : null;
    return { seconds, exactMs: null, literal: false, pos: l.pos, deferred };
  }

  private primary(): Folded {
    const t = this.c.peek();
    switch (t.kind) {
      case 'NUMBER':
      case 'DURATION':
        this.c.advance();
        return this.literal(t);
      case '(': {
        this.requireExperimental(t.pos);
        this.c.advance();
        const inner = this.expr(0);
        this.c.expect(')', this.c.context);
        const deferred: DurationExpr | null = inner.deferred ? { kind: 'paren', expr: inner.deferred } : null;
        return { ...inner, literal: false, pos: t.pos, deferred };
      }
      case 'step':
      case 'range': {
        this.requireExperimental(t.pos);
        this.c.advance();
        this.c.expect('(');
        this.c.expect(')');
        return { seconds: 0, exactMs: null, literal: false, pos: t.pos, deferred: { kind: t.kind } };
      }
      case 'min_of':
      case 'max_of':
      case 'IDENTIFIER':
        if (t.val === 'min_of' || t.val === 'max_of' || t.kind !== 'IDENTIFIER') return this.minMax(t);
    }
    throw this.c.unexpected();
  }

  private minMax(t: Token): Folded {
    this.requireExperimental(t.pos);
    this.c.advance();
    this.c.expect('(');
    const a = this.expr(0);
    this.c.expect(',');
    const b = this.expr(0);
    this.c.expect(')');
    const isMin = t.val.toLowerCase() === 'min_of';
    const seconds = isMin ? Math.min(a.seconds, b.seconds) : Math.max(a.seconds, b.seconds);
    const deferred: DurationExpr | null = a.deferred || b.deferred ? { kind: isMin ? 'min_of' : 'max_of', a: asExpr(a), b: asExpr(b) } : null;
    return { seconds, exactMs: null, literal: false, pos: t.pos, deferred };
  }

  private literal(t: Token): Folded {
    try {
      if (t.kind === 'DURATION') {
        const ms = parseDurationMs(t.val);
        return { seconds: ms / 1000, exactMs: ms, literal: true, pos: t.pos, deferred: null };
      }
      const seconds = parseNumber(t.val);
      if (Math.abs(seconds) > MAX_DURATION_SECONDS) throw new LiteralError('duration out of range');
      return { seconds, exactMs: null, literal: true, pos: t.pos, deferred: null };
    } catch (err) {
      if (err instanceof LiteralError) throw this.c.error(err.message, t.pos);
      throw err;
    }
  }
}
