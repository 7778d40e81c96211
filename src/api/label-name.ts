/**
 * Prometheus 3 accepts UTF-8 label names in the path in an escaped form: `U__` followed by the name
 * with `_` as `__` and other characters as `_<hex code point>_`.
 */
export function decodeLabelName(raw: string): string {
  if (!raw.startsWith('U__')) return raw;
  let out = '';
  const s = raw.slice(3);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    if (s[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const close = s.indexOf('_', i + 1);
    const code = close > i ? Number.parseInt(s.slice(i + 1, close), 16) : Number.NaN;
    if (Number.isNaN(code)) return raw;
    out += String.fromCodePoint(code);
    i = close;
  }
  return out;
}
