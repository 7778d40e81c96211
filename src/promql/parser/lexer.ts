/**
 * The PromQL lexer: a port of the state machine in Prometheus' promql/parser/lex.go, so that
 * tokens, keyword handling (case-insensitive, contextual inside braces) and lexer error messages
 * match. Lexing stops at the first error, which becomes the last token (kind ERROR).
 */
import { goQuoteRune, goUnicode } from './quote.js';
import { KEYWORDS, type Token, type TokenKind } from './tokens.js';

const enum Mode {
  Statements,
  Braces,
  /** Just after `[`, before the first number (Prometheus' lexDurationExpr). */
  Duration,
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlphaNumeric = (c: string): boolean => isAlpha(c) || isDigit(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

class LexError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

class Lexer {
  private pos = 0;
  private start = 0;
  private parenDepth = 0;
  private bracketOpen = false;
  private gotColon = false;
  private gotDuration = false;
  private mode = Mode.Statements;
  readonly tokens: Token[] = [];

  constructor(private readonly input: string) {}

  run(): Token[] {
    try {
      while (!this.lexNext()) {
        /* keep scanning */
      }
    } catch (err) {
      if (!(err instanceof LexError)) throw err;
      this.tokens.push({ kind: 'ERROR', pos: err.pos, end: this.input.length, val: err.message });
    }
    return this.tokens;
  }

  private peekChar(offset = 0): string {
    return this.input.charAt(this.pos + offset);
  }

  private emit(kind: TokenKind): void {
    this.tokens.push({ kind, pos: this.start, end: this.pos, val: this.input.slice(this.start, this.pos) });
    this.start = this.pos;
  }

  private fail(message: string): never {
    throw new LexError(message, this.start);
  }

  /** The whole code point at the current position (for messages about non-ASCII input). */
  private runeAt(pos: number): string {
    const cp = this.input.codePointAt(pos);
    return cp === undefined ? '' : String.fromCodePoint(cp);
  }

  private skipSpaceAndComments(allowComments: boolean): void {
    for (;;) {
      const c = this.peekChar();
      if (c !== '' && isSpace(c)) {
        this.pos++;
      } else if (allowComments && c === '#') {
        while (this.pos < this.input.length && this.input[this.pos] !== '\n' && this.input[this.pos] !== '\r') this.pos++;
      } else {
        break;
      }
    }
    this.start = this.pos;
  }

  /** Scans one token; returns true at the end of input. */
  private lexNext(): boolean {
    switch (this.mode) {
      case Mode.Braces:
        return this.lexInsideBraces();
      case Mode.Duration:
        return this.lexDurationExpr();
      default:
        return this.lexStatements();
    }
  }

  private lexStatements(): boolean {
    this.skipSpaceAndComments(true);
    if (this.pos >= this.input.length) {
      if (this.parenDepth !== 0) this.fail('unclosed left parenthesis');
      if (this.bracketOpen) this.fail('unclosed left bracket');
      this.emit('EOF');
      return true;
    }
    const c = this.input[this.pos]!;
    this.pos++;
    switch (c) {
      case ',': this.emit(','); return false;
      case '*': this.emit('*'); return false;
      case '/': this.emit('/'); return false;
      case '%': this.emit('%'); return false;
      case '+': this.emit('+'); return false;
      case '-': this.emit('-'); return false;
      case '^': this.emit('^'); return false;
      case '@': this.emit('@'); return false;
      case '=': {
        const n = this.peekChar();
        if (n === '=') {
          this.pos++;
          this.emit('==');
        } else if (n === '~') {
          this.fail(`unexpected character after '=': ${goQuoteRune('~')}`);
        } else {
          this.emit('=');
        }
        return false;
      }
      case '!': {
        const n = this.runeAt(this.pos);
        if (n !== '=') this.fail(`unexpected character after '!': ${n === '' ? "'\\uffff'" : goQuoteRune(n)}`);
        this.pos++;
        this.emit('!=');
        return false;
      }
      case '<':
      case '>': {
        if (this.peekChar() === '=') {
          this.pos++;
          this.emit(c === '<' ? '<=' : '>=');
        } else {
          this.emit(c);
        }
        return false;
      }
      case '(':
        this.emit('(');
        this.parenDepth++;
        return false;
      case ')':
        // As in Prometheus, the error replaces the token.
        if (this.parenDepth <= 0) this.fail(`unexpected right parenthesis ${goQuoteRune(')')}`);
        this.parenDepth--;
        this.emit(')');
        return false;
      case '{':
        this.emit('{');
        this.mode = Mode.Braces;
        return false;
      case '[':
        if (this.bracketOpen) this.fail(`unexpected left bracket ${goQuoteRune('[')}`);
        this.gotColon = false;
        this.gotDuration = false;
        this.emit('[');
        this.bracketOpen = true;
        this.mode = Mode.Duration;
        return false;
      case ']':
        if (!this.bracketOpen) this.fail(`unexpected right bracket ${goQuoteRune(']')}`);
        this.emit(']');
        this.bracketOpen = false;
        return false;
      case '"':
      case "'":
        this.lexString(c);
        return false;
      case '`':
        this.lexRawString();
        return false;
    }
    if (isDigit(c) || (c === '.' && isDigit(this.peekChar()))) {
      this.pos--;
      this.lexNumberOrDuration();
      return false;
    }
    if (isAlpha(c) || c === ':') {
      if (!this.bracketOpen) {
        this.pos--;
        this.lexKeywordOrIdentifier();
        return false;
      }
      if (c === ':') {
        if (this.gotColon) this.fail(`unexpected colon ${goQuoteRune(':')}`);
        this.emit(':');
        this.gotColon = true;
        return false;
      }
      this.pos--;
      if (this.scanDurationKeyword()) return false;
      this.pos++;
      this.fail(`unexpected character: ${goQuoteRune(c)}, expected ${goQuoteRune(':')}`);
    }
    this.fail(`unexpected character: ${goQuoteRune(this.runeAt(this.pos - 1))}`);
  }

  private lexInsideBraces(): boolean {
    this.skipSpaceAndComments(true);
    if (this.pos >= this.input.length) this.fail('unexpected end of input inside braces');
    const c = this.input[this.pos]!;
    this.pos++;
    if (isAlpha(c)) {
      while (this.pos < this.input.length && isAlphaNumeric(this.input[this.pos]!)) this.pos++;
      this.emit('IDENTIFIER');
      return false;
    }
    switch (c) {
      case ',':
        this.emit(',');
        return false;
      case '"':
      case "'":
        this.lexString(c);
        return false;
      case '`':
        this.lexRawString();
        return false;
      case '=':
        if (this.peekChar() === '~') {
          this.pos++;
          this.emit('=~');
        } else {
          this.emit('=');
        }
        return false;
      case '!': {
        const n = this.runeAt(this.pos);
        if (n === '~' || n === '=') {
          this.pos++;
          this.emit(n === '~' ? '!~' : '!=');
          return false;
        }
        this.fail(`unexpected character after '!' inside braces: ${n === '' ? "'\\uffff'" : goQuoteRune(n)}`);
        break;
      }
      case '{':
        this.fail(`unexpected left brace ${goQuoteRune('{')}`);
        break;
      case '}':
        this.emit('}');
        this.mode = Mode.Statements;
        return false;
    }
    this.fail(`unexpected character inside braces: ${goQuoteRune(this.runeAt(this.pos - 1))}`);
  }

  private lexDurationExpr(): boolean {
    this.skipSpaceAndComments(false);
    if (this.pos >= this.input.length) this.fail('unexpected end of input in duration expression');
    const c = this.input[this.pos]!;
    this.pos++;
    switch (c) {
      case ']':
        this.emit(']');
        this.bracketOpen = false;
        this.gotColon = false;
        this.mode = Mode.Statements;
        return false;
      case ':':
        if (!this.gotDuration) this.fail('unexpected colon before duration in duration expression');
        if (this.gotColon) this.fail('unexpected repeated colon in duration expression');
        this.emit(':');
        this.gotColon = true;
        return false;
      case '(':
        this.emit('(');
        this.parenDepth++;
        return false;
      case ')':
        // As in Prometheus, the error replaces the token.
        if (this.parenDepth <= 0) this.fail(`unexpected right parenthesis ${goQuoteRune(')')}`);
        this.parenDepth--;
        this.emit(')');
        return false;
      case '+': case '-': case '*': case '/': case '%': case '^': case ',':
        this.emit(c);
        return false;
    }
    if (isAlpha(c)) {
      this.pos--;
      if (this.scanDurationKeyword()) return false;
      this.pos++;
      this.fail(`unexpected character in duration expression: ${goQuoteRune(c)}`);
    }
    if (isDigit(c) || (c === '.' && isDigit(this.peekChar()))) {
      this.pos--;
      this.gotDuration = true;
      this.lexNumberOrDuration();
      // As in Prometheus, the rest of the brackets is lexed in the statement state.
      this.mode = Mode.Statements;
      return false;
    }
    this.fail(`unexpected character in duration expression: ${goQuoteRune(this.runeAt(this.pos - 1))}`);
  }

  /** step, range, min_of, max_of inside brackets. */
  private scanDurationKeyword(): boolean {
    let end = this.pos;
    while (end < this.input.length && isAlpha(this.input[end]!)) end++;
    const word = this.input.slice(this.pos, end).toLowerCase();
    if (word === 'step' || word === 'range' || word === 'min_of' || word === 'max_of') {
      this.pos = end;
      this.emit(word);
      return true;
    }
    return false;
  }

  private lexKeywordOrIdentifier(): void {
    while (this.pos < this.input.length) {
      const c = this.input[this.pos]!;
      if (!isAlphaNumeric(c) && c !== ':') break;
      this.pos++;
    }
    const word = this.input.slice(this.start, this.pos);
    const lower = word.toLowerCase();
    if (lower === 'inf' || lower === 'nan') {
      this.emit('NUMBER');
    } else if (KEYWORDS.has(lower)) {
      // fill/fill_left/fill_right are keywords only when followed by '(' so they stay usable as names.
      if ((lower === 'fill' || lower === 'fill_left' || lower === 'fill_right') && !this.followedByLeftParen()) {
        this.emit('IDENTIFIER');
      } else {
        this.emit(lower as TokenKind);
      }
    } else {
      this.emit(word.includes(':') ? 'METRIC_IDENTIFIER' : 'IDENTIFIER');
    }
  }

  private followedByLeftParen(): boolean {
    let p = this.pos;
    while (p < this.input.length && isSpace(this.input[p]!)) p++;
    return this.input[p] === '(';
  }

  private lexNumberOrDuration(): void {
    if (this.scanNumber()) {
      this.emit('NUMBER');
      return;
    }
    if (this.acceptRemainingDuration()) {
      this.emit('DURATION');
      return;
    }
    this.fail(`bad number or duration syntax: ${JSON.stringify(this.input.slice(this.start, this.pos))}`);
  }

  private accept(valid: string): boolean {
    const c = this.peekChar();
    if (c !== '' && valid.includes(c)) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Port of lex.go scanNumber: decimal, hex, float with exponent and `_` separators. */
  private scanNumber(): boolean {
    const initial = this.pos;
    let digits = '0123456789';
    if (this.accept('0') && this.accept('xX')) {
      this.accept('_');
      digits = '0123456789abcdefABCDEF';
    }
    this.accept('.');
    this.accept(digits);
    let dotConsumed = false;
    let exponentConsumed = false;
    const pattern = digits + '._eE';
    while (this.peekChar() !== '' && pattern.includes(this.peekChar())) {
      const c = this.peekChar();
      if (c === '.' && dotConsumed) {
        this.pos++;
        return false;
      }
      if ((c === 'e' || c === 'E') && exponentConsumed) {
        this.pos++;
        return false;
      }
      if (c === '.') {
        this.pos++;
        dotConsumed = true;
        if (this.accept('_.')) return false;
        if (digits.length > 10) return false;
        continue;
      }
      if (c === 'e' || c === 'E') {
        this.pos++;
        exponentConsumed = true;
        this.accept('+-');
        if (this.accept('._eE') || this.peekChar() === '') return false;
        continue;
      }
      if (c === '_') {
        this.pos++;
        if (this.accept('._eE') || this.peekChar() === '') return false;
        continue;
      }
      while (this.peekChar() !== '' && digits.includes(this.peekChar())) this.pos++;
    }
    if (this.pos === initial) return false;
    const next = this.peekChar();
    return next === '' || !isAlphaNumeric(next);
  }

  private acceptRemainingDuration(): boolean {
    if (!this.accept('smhdwy')) return false;
    this.accept('s');
    while (this.accept('0123456789')) {
      while (this.accept('0123456789')) {
        /* digits */
      }
      if (!this.accept('smhdw')) return false;
      this.accept('s');
    }
    const next = this.peekChar();
    return next === '' || !isAlphaNumeric(next);
  }

  private lexString(quote: string): void {
    for (;;) {
      if (this.pos >= this.input.length) this.fail('unterminated quoted string');
      const c = this.input[this.pos]!;
      this.pos++;
      if (c === '\\') {
        this.lexEscape(quote);
      } else if (c === '\n') {
        this.fail('unterminated quoted string');
      } else if (c === quote) {
        break;
      }
    }
    this.emit('STRING');
  }

  /** Validates one escape sequence (after the backslash), as Go's scanner does. */
  private lexEscape(quote: string): void {
    if (this.pos >= this.input.length) this.fail('escape sequence not terminated');
    const ch = this.runeAt(this.pos);
    this.pos += ch.length;
    let n: number;
    let base: number;
    let max: number;
    if ('abfnrtv\\'.includes(ch) || ch === quote) return;
    if (ch >= '0' && ch <= '7') {
      [n, base, max] = [3, 8, 255];
      this.pos--;
    } else if (ch === 'x') {
      [n, base, max] = [2, 16, 255];
    } else if (ch === 'u') {
      [n, base, max] = [4, 16, 0x10ffff];
    } else if (ch === 'U') {
      [n, base, max] = [8, 16, 0x10ffff];
    } else {
      this.fail(`unknown escape sequence ${goUnicode(ch)}`);
    }
    let x = 0;
    for (; n > 0; n--) {
      if (this.pos >= this.input.length) this.fail('escape sequence not terminated');
      const d = this.runeAt(this.pos);
      const v = parseInt(d, 16);
      if (Number.isNaN(v) || v >= base || d.length !== 1) this.fail(`illegal character ${goUnicode(d)} in escape sequence`);
      x = x * base + v;
      this.pos++;
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) this.fail('escape sequence is an invalid Unicode code point');
  }

  private lexRawString(): void {
    const close = this.input.indexOf('`', this.pos);
    if (close < 0) this.fail('unterminated raw string');
    this.pos = close + 1;
    this.emit('STRING');
  }
}

/** All tokens of `input`, ending with an EOF token or, on a lexer error, an ERROR token. */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}
