/**
 * Scalar math of PromQL: the one-argument math functions, round/clamp, date functions, and
 * binary arithmetic/comparison with Go semantics.
 *
 * Checked against Prometheus 2.42 (linux/amd64): ln, log2, log10, sqrt, asin, acos, atan, atan2,
 * asinh, acosh, atanh and ^ with integer exponents are bit-identical. exp, sin, cos, tan, sinh,
 * cosh, tanh (JS built-ins) and ^ with fractional exponents (uses exp) can differ in the last ulp:
 * Go uses its own Cephes-style code and an amd64 assembly Exp.
 */
import { goLog10, goLog2, goPow } from './gomath.js';
import { goAcos, goAsin, goAtan, goAtan2 } from './gotrig.js';

function sgn(v: number): number {
  return v < 0 ? -1 : v > 0 ? 1 : v;
}

export const MATH_FUNCTIONS: ReadonlyMap<string, (v: number) => number> = new Map<string, (v: number) => number>([
  ['abs', Math.abs],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
  ['exp', Math.exp],
  ['sqrt', Math.sqrt],
  ['ln', Math.log],
  ['log2', goLog2],
  ['log10', goLog10],
  ['sgn', sgn],
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['tan', Math.tan],
  ['asin', goAsin],
  ['acos', goAcos],
  ['atan', goAtan],
  ['sinh', Math.sinh],
  ['cosh', Math.cosh],
  ['tanh', Math.tanh],
  ['asinh', Math.asinh],
  ['acosh', Math.acosh],
  ['atanh', Math.atanh],
  ['deg', (v: number) => (v * 180) / Math.PI],
  ['rad', (v: number) => (v * Math.PI) / 180],
]);

/**
 * round(v, toNearest): Prometheus computes `Floor(v*inv+0.5)/inv` with inv = 1/toNearest, so
 * halves round up (towards +Inf): round(2.5) = 3, round(-2.5) = -2, round(-0.5) = +0.
 */
export function round(v: number, toNearest: number = 1): number {
  const inv = 1 / toNearest;
  return Math.floor(v * inv + 0.5) / inv;
}

/** Go math.Max: +Inf wins even over NaN; otherwise NaN propagates; Max(-0, +0) = +0. */
export function goMax(x: number, y: number): number {
  if (x === Infinity || y === Infinity) return Infinity;
  return Math.max(x, y);
}

/** Go math.Min: -Inf wins even over NaN; otherwise NaN propagates; Min(-0, +0) = -0. */
export function goMin(x: number, y: number): number {
  if (x === -Infinity || y === -Infinity) return -Infinity;
  return Math.min(x, y);
}

/**
 * Prometheus' rule: clamp() outputs nothing at all when max < min (the evaluator checks this
 * once per step and drops every series).
 */
export function clampDropsAll(min: number, max: number): boolean {
  return max < min;
}

/** clamp(v, min, max) = Max(min, Min(max, v)); NaN when max < min (see clampDropsAll). */
export function clamp(v: number, min: number, max: number): number {
  if (max < min) return NaN;
  return goMax(min, goMin(max, v));
}

/** clamp_min(v, min) = clamp(v, min, +Inf). */
export function clampMin(v: number, min: number): number {
  return goMax(min, goMin(Infinity, v));
}

/** clamp_max(v, max) = clamp(v, -Inf, max). */
export function clampMax(v: number, max: number): number {
  return goMax(-Infinity, goMin(max, v));
}

// ---- date functions (UTC) ----

/** Days since 1970-01-01 → civil date (H. Hinnant's algorithm). Results left in module scratch. */
let cYear = 0;
let cMonth = 0;
let cDay = 0;
function civilFromDays(z: number): void {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  cDay = doy - Math.floor((153 * mp + 2) / 5) + 1;
  cMonth = mp < 10 ? mp + 3 : mp - 9;
  cYear = yoe + era * 400 + (cMonth <= 2 ? 1 : 0);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const CUM_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Go converts the value with int64(v) (truncation); NaN/±Inf have no defined date here → NaN. */
function dateFn(f: (secs: number) => number): (unixSeconds: number) => number {
  return (v: number) => {
    if (v !== v || v === Infinity || v === -Infinity) return NaN;
    return f(Math.trunc(v));
  };
}

function days(s: number): number {
  return Math.floor(s / 86400);
}

export const DATE_FUNCTIONS: ReadonlyMap<string, (unixSeconds: number) => number> = new Map<string, (unixSeconds: number) => number>([
  ['day_of_month', dateFn((s) => (civilFromDays(days(s)), cDay))],
  ['day_of_week', dateFn((s) => (((days(s) + 4) % 7) + 7) % 7)],
  [
    'day_of_year',
    dateFn((s) => {
      civilFromDays(days(s));
      return CUM_DAYS[cMonth - 1]! + cDay + (cMonth > 2 && isLeap(cYear) ? 1 : 0);
    }),
  ],
  [
    'days_in_month',
    dateFn((s) => {
      civilFromDays(days(s));
      return cMonth === 2 && isLeap(cYear) ? 29 : MONTH_DAYS[cMonth - 1]!;
    }),
  ],
  ['hour', dateFn((s) => Math.floor((s - days(s) * 86400) / 3600))],
  ['minute', dateFn((s) => Math.floor(((s - days(s) * 86400) % 3600) / 60))],
  ['month', dateFn((s) => (civilFromDays(days(s)), cMonth))],
  ['year', dateFn((s) => (civilFromDays(days(s)), cYear))],
]);

// ---- binary operators ----

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type CompareOp = '==' | '!=' | '>' | '<' | '>=' | '<=';

/** Arithmetic with Go semantics: % is math.Mod (same as JS %), ^ is math.Pow, atan2 math.Atan2. */
export function arith(op: ArithOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return goPow(a, b);
    case 'atan2':
      return goAtan2(a, b);
  }
}

/** Comparison; every comparison involving NaN is false except `!=`. */
export function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
  }
}
