/**
 * Literal values: numbers (Go's ParseInt-with-base-0-then-ParseFloat, as Prometheus does),
 * durations (prometheus/common model.ParseDuration) and quoted strings (Go unquoting).
 */
import { decodeGoBytes } from './bytes-utf8.js';

/** A literal that failed to convert; the parser turns it into a ParseError at the token. */
export class LiteralError extends Error {}

const MAX_INT64 = 9223372036854775807n;
/** Largest |seconds| a Go time.Duration (int64 ns) holds. */
export const MAX_DURATION_SECONDS = 9223372036.854775807;

/** Go's underscoreOK: `_` only between digits (a base prefix counts as a digit). */
function underscoresOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && /[xXbBoO]/.test(s[1]!)) {
    hex = s[1] === 'x' || s[1] === 'X';
    i = 2;
    saw = '0';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
    } else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

function parseGoInt(s: string): number | null {
  let big: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) big = BigInt(s);
  else if (/^0[0-7]*$/.test(s)) big = s.length > 1 ? BigInt('0o' + s.slice(1)) : 0n;
  else if (/^[1-9][0-9]*$/.test(s)) {
    if (s.length < 16) return Number(s);
    big = BigInt(s);
  } else return null;
  return big > MAX_INT64 ? null : Number(big);
}

function parseGoFloat(s: string): number | null {
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === 'nan') return NaN;
  if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return null;
}

/** The value of a NUMBER token. */
export function parseNumber(text: string): number {
  let s = text;
  if (s.includes('_')) {
    if (!underscoresOK(s)) throw new LiteralError(`error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`);
    s = s.replaceAll('_', '');
  }
  const i = parseGoInt(s);
  if (i !== null) return i;
  const f = parseGoFloat(s);
  if (f !== null) return f;
  throw new LiteralError(`error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`);
}

const UNITS: ReadonlyMap<string, { readonly order: number; readonly ms: number }> = new Map([
  ['y', { order: 1, ms: 365 * 24 * 3600 * 1000 }],
  ['w', { order: 2, ms: 7 * 24 * 3600 * 1000 }],
  ['d', { order: 3, ms: 24 * 3600 * 1000 }],
  ['h', { order: 4, ms: 3600 * 1000 }],
  ['m', { order: 5, ms: 60 * 1000 }],
  ['s', { order: 6, ms: 1000 }],
  ['ms', { order: 7, ms: 1 }],
]);

const MAX_DURATION_MS = Number(MAX_INT64 / 1000000n);

/** model.ParseDuration, in milliseconds: units largest first, each at most once; "0" alone allowed. */
export function parseDurationMs(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new LiteralError('empty duration string');
  const invalid = (): LiteralError => new LiteralError(`not a valid duration string: ${JSON.stringify(s)}`);
  let total = 0;
  let lastOrder = 0;
  let i = 0;
  while (i < s.length) {
    const numStart = i;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
    if (i === numStart) throw invalid();
    const value = Number(s.slice(numStart, i));
    const unitStart = i;
    while (i < s.length && !(s[i]! >= '0' && s[i]! <= '9')) i++;
    if (i === unitStart) throw invalid();
    const unitText = s.slice(unitStart, i);
    const unit = UNITS.get(unitText);
    if (!unit) throw new LiteralError(`unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(s)}`);
    if (unit.order <= lastOrder) throw invalid();
    lastOrder = unit.order;
    total += value * unit.ms;
    if (total > MAX_DURATION_MS) throw new LiteralError('duration out of range');
  }
  return total;
}

/** Float seconds to integer ms as Prometheus does: round to ns, then truncate to ms. */
export function secondsToMs(seconds: number): number {
  const ms = seconds * 1000;
  if (Number.isInteger(ms)) return ms;
  return Math.trunc(Math.round(seconds * 1e9) / 1e6);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"',
};

/**
 * The value of a STRING token (quotes included). Escapes were validated by the lexer. `\x` and
 * octal escapes are bytes, as in Go, so consecutive ones are decoded together as UTF-8 (invalid
 * bytes kept as escaped-byte surrogates, see bytes-utf8.ts).
 */
export function unquoteString(raw: string): string {
  const body = raw.slice(1, -1);
  if (raw[0] === '`' || !body.includes('\\')) return body;
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length) out += decodeGoBytes(bytes);
    bytes = [];
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      flush();
      out += c;
      continue;
    }
    const e = body[++i]!;
    if (e === 'x') {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e >= '0' && e <= '7') {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      flush();
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + n), 16));
      i += n;
    } else {
      flush();
      out += SIMPLE_ESCAPES[e] ?? e;
    }
  }
  flush();
  return out;
}
