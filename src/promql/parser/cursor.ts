/** A cursor over the lexer's tokens, with Prometheus-style "unexpected ..." errors. */
import { ParseError } from '../errors.js';
import { lex } from './lexer.js';
import { describeToken, type Token, type TokenKind } from './tokens.js';

export class TokenCursor {
  private readonly tokens: Token[];
  private index = 0;
  /** Context named by the innermost enclosing rule with an error production (e.g. "aggregation"). */
  context = '';

  constructor(readonly query: string) {
    this.tokens = lex(query);
  }

  /** The current token; a lexer error surfaces here, when the parser first looks at it. */
  peek(): Token {
    const t = this.tokens[this.index]!;
    if (t.kind === 'ERROR') throw new ParseError(t.val, t.pos, this.query);
    return t;
  }

  /** The token after the current one, or EOF. Lexer errors there are not raised yet. */
  peekSecond(): TokenKind {
    const t = this.tokens[this.index + 1];
    return t ? t.kind : 'EOF';
  }

  is(kind: TokenKind): boolean {
    return this.peek().kind === kind;
  }

  advance(): Token {
    const t = this.peek();
    if (t.kind !== 'EOF') this.index++;
    return t;
  }

  /** End offset of the last consumed token. */
  lastEnd(): number {
    return this.index > 0 ? this.tokens[this.index - 1]!.end : 0;
  }

  error(message: string, pos: number): ParseError {
    return new ParseError(message, pos, this.query);
  }

  /** `unexpected <token>[ in <context>][, expected <expected>]` at the current token. */
  unexpected(context: string = this.context, expected = ''): ParseError {
    const t = this.peek();
    let msg = `unexpected ${describeToken(t)}`;
    if (context) msg += ` in ${context}`;
    if (expected) msg += `, expected ${expected}`;
    return new ParseError(msg, t.pos, this.query);
  }

  expect(kind: TokenKind, context?: string, expected?: string): Token {
    if (!this.is(kind)) throw this.unexpected(context, expected);
    return this.advance();
  }
}
