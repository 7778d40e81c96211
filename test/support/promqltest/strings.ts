/** Go-style quoted strings ("…" with escapes, '…', `…`) as they appear in test scripts. */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/**
 * Reads a quoted string starting at `s[start]` (which must be a quote character). Returns the
 * unescaped text and the index just past the closing quote; throws when it is malformed.
 */
export function readQuoted(s: string, start: number): { value: string; end: number } {
  const quote = s[start];
  if (quote === '`') {
    const close = s.indexOf('`', start + 1);
    if (close < 0) throw new Error('unterminated raw string');
    return { value: s.slice(start + 1, close), end: close + 1 };
  }
  if (quote !== '"' && quote !== "'") throw new Error(`expected a quoted string at ${start}`);
  const bytes: number[] = [];
  const pushText = (t: string): void => {
    for (const b of Buffer.from(t, 'utf8')) bytes.push(b);
  };
  let i = start + 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === quote) return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (c === '\n') break;
    if (c !== '\\') {
      const cp = s.codePointAt(i)!;
      pushText(String.fromCodePoint(cp));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) break;
    if (SIMPLE_ESCAPES[e] !== undefined) {
      pushText(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === 'x') {
      bytes.push(hex(s, i + 2, 2));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      pushText(String.fromCodePoint(hex(s, i + 2, n)));
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const oct = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) throw new Error(`invalid octal escape in ${s}`);
      bytes.push(parseInt(oct, 8));
      i += 4;
    } else {
      throw new Error(`unknown escape sequence \\${e}`);
    }
  }
  throw new Error('unterminated quoted string');
}

function hex(s: string, from: number, n: number): number {
  const t = s.slice(from, from + n);
  if (t.length !== n || !/^[0-9a-fA-F]+$/.test(t)) throw new Error(`invalid hex escape in ${s}`);
  return parseInt(t, 16);
}

/** Unquotes a whole string (like Go's strconv.Unquote); throws unless it is exactly one literal. */
export function unquote(s: string): string {
  const r = readQuoted(s, 0);
  if (r.end !== s.length) throw new Error('trailing text after quoted string');
  return r.value;
}
