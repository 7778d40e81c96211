/**
 * Bytes from `\x`/octal string escapes to a JS string. Go strings may hold invalid UTF-8, which a
 * JS string cannot: each byte that Go's utf8.DecodeRune rejects becomes the lone surrogate
 * U+DC00+byte (Python's "surrogateescape"), so it stays distinguishable from a real U+FFFD and
 * label-name validation (no lone surrogates) rejects it as Go rejects invalid UTF-8.
 */
export const ESCAPED_BYTE_BASE = 0xdc00;

export function decodeGoBytes(b: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const [cp, width] = decodeRune(b, i);
    out += cp < 0 ? String.fromCharCode(ESCAPED_BYTE_BASE + b[i]!) : String.fromCodePoint(cp);
    i += width;
  }
  return out;
}

/** One rune at b[i]: [code point, width], or [-1, 1] for an invalid byte (Go's RuneError, 1). */
function decodeRune(b: readonly number[], i: number): [number, number] {
  const c0 = b[i]!;
  if (c0 < 0x80) return [c0, 1];
  // Lead byte: sequence length and the allowed range of the second byte (excludes overlongs,
  // surrogates and code points above U+10FFFF, as Go's acceptRanges).
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  let cp: number;
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    n = 2;
    cp = c0 & 0x1f;
  } else if (c0 >= 0xe0 && c0 <= 0xef) {
    n = 3;
    cp = c0 & 0x0f;
    if (c0 === 0xe0) lo = 0xa0;
    if (c0 === 0xed) hi = 0x9f;
  } else if (c0 >= 0xf0 && c0 <= 0xf4) {
    n = 4;
    cp = c0 & 0x07;
    if (c0 === 0xf0) lo = 0x90;
    if (c0 === 0xf4) hi = 0x8f;
  } else return [-1, 1];
  if (i + n > b.length) return [-1, 1];
  for (let k = 1; k < n; k++) {
    const c = b[i + k]!;
    if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return [-1, 1];
    cp = (cp << 6) | (c & 0x3f);
  }
  return [cp, n];
}
