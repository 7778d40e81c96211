/** Go-style quoting (`%q`, `%#U`), used in error messages and by the printer. */
import { ESCAPED_BYTE_BASE } from './bytes-utf8.js';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\',
};

function escapeChar(ch: string, quote: string): string {
  if (ch === quote) return '\\' + ch;
  const simple = SIMPLE_ESCAPES[ch];
  if (simple) return simple;
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  // An invalid UTF-8 byte from a string escape (see bytes-utf8.ts): Go quotes it as \xNN.
  if (cp >= ESCAPED_BYTE_BASE + 0x80 && cp <= ESCAPED_BYTE_BASE + 0xff) return '\\x' + (cp - ESCAPED_BYTE_BASE).toString(16);
  if ((cp >= 0x80 && cp < 0xa0) || cp === 0xad || cp === 0x2028 || cp === 0x2029 || (cp >= 0xd800 && cp < 0xe000) || cp === 0xfeff) {
    return '\\u' + cp.toString(16).padStart(4, '0');
  }
  return ch;
}

/** Go's strconv.Quote (`%q` of a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeChar(ch, '"');
  return out + '"';
}

/** Go's `%q` of a rune. */
export function goQuoteRune(ch: string): string {
  return `'${escapeChar(ch, "'")}'`;
}

/** Go's `%#U` of a rune: `U+0071 'q'`. */
export function goUnicode(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}
