import { RE2 } from 're2-wasm';

export type MatchType = '=' | '!=' | '=~' | '!~';

export class MatcherError extends Error {}

/**
 * A label matcher with Prometheus semantics: regexes are RE2, fully anchored, and `.` matches a
 * newline (Prometheus 3.x compiles `^(?s:re)$`). A missing label matches as the empty string.
 */
export class LabelMatcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  private readonly re: RE2 | null;
  /** Set when the regex is a plain alternation of literals, so matching needs no RE2 call. */
  private readonly literals: ReadonlySet<string> | null;

  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    if (type === '=~' || type === '!~') {
      this.literals = literalAlternatives(value);
      try {
        this.re = this.literals ? null : new RE2(`^(?s:${value})$`, 'u');
      } catch (err) {
        throw new MatcherError(`invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}`);
      }
    } else {
      this.re = null;
      this.literals = null;
    }
  }

  matches(v: string): boolean {
    switch (this.type) {
      case '=':
        return v === this.value;
      case '!=':
        return v !== this.value;
      case '=~':
        return this.regexMatches(v);
      case '!~':
        return !this.regexMatches(v);
    }
  }

  /** True when the matcher matches the empty string (i.e. also series without the label). */
  matchesEmpty(): boolean {
    return this.matches('');
  }

  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }

  private regexMatches(v: string): boolean {
    if (this.literals) return this.literals.has(v);
    return this.re!.test(v);
  }
}

/** `a|b|c` with no regex metacharacters → {a, b, c}; anything else → null. */
function literalAlternatives(re: string): ReadonlySet<string> | null {
  if (/[\\.^$*+?()[\]{}]/.test(re)) return null;
  return new Set(re.split('|'));
}
