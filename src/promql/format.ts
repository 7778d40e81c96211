/**
 * Number and time formatting of the Prometheus HTTP API (util/jsonutil/marshal.go) and Go's
 * strconv.FormatFloat(v, 'f', -1, 64). JS and Go both print the shortest round-trip digits,
 * so only the notation needs fixing up.
 */

/**
 * Vector/matrix sample values: plain decimal for 1e-6 <= |v| < 1e21 (and 0), else Go 'e' form
 * with a signed exponent of at least two digits (`1e-07`, `1.5e+300`). NaN, +Inf, -Inf, -0.
 */
export function formatSampleValue(v: number): string {
  // Fast path: integers in the safe range (String() is plain there).
  if (Number.isSafeInteger(v)) return v === 0 && 1 / v < 0 ? '-0' : String(v);
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  // JS switches to exponent form at exactly the same thresholds as Prometheus (1e-6, 1e21).
  const e = s.indexOf('e');
  if (e < 0) return s;
  const digits = s.length - e - 2;
  if (digits >= 2) return s;
  return s.slice(0, e + 2) + '0' + s.slice(e + 2);
}

/** Go strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatPlain(v: number): string {
  if (Number.isSafeInteger(v)) return v === 0 && 1 / v < 0 ? '-0' : String(v);
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.charCodeAt(0) === 45;
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // value = 0.digits × 10^(exp + 1); digits[0] is the units digit before shifting.
  const pointPos = 1 + exp; // digits before the decimal point
  let out: string;
  if (pointPos <= 0) out = '0.' + '0'.repeat(-pointPos) + digits;
  else if (pointPos >= digits.length) out = digits + '0'.repeat(pointPos - digits.length);
  else out = digits.slice(0, pointPos) + '.' + digits.slice(pointPos);
  return neg ? '-' + out : out;
}

/** Scalars (and count_values labels) use the plain form. */
export const formatScalarValue = formatFloatPlain;

/**
 * Sample timestamps (ms) as Prometheus writes them: integer seconds, then `.` and exactly three
 * digits when the millisecond part is non-zero (`1700000000.500`, `-1.500`).
 */
export function formatTimestampSeconds(ms: number): string {
  let sign = '';
  if (ms < 0) {
    sign = '-';
    ms = -ms;
  }
  const frac = ms % 1000;
  const secs = (ms - frac) / 1000;
  if (frac === 0) return sign + secs;
  return sign + secs + (frac < 10 ? '.00' : frac < 100 ? '.0' : '.') + frac;
}
