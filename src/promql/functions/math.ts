/**
 * Scalar math of PromQL: the one-argument math functions, round/clamp, date functions, and
 * binary arithmetic/comparison with Go semantics.
 *
 * Every kernel is a port of what Go's math package runs on linux/amd64 (Prometheus' release
 * platform): the assembly Exp (FMA path, see setGoExpFma) and Log, the pure-Go Cephes/FreeBSD code
 * for the rest; sqrt, floor, ceil, abs and % (math.Mod is exact) equal the JS built-ins. Checked
 * against a real Prometheus by test/integration/go-math.test.ts.
 */
import { goExp, goLog, goLog10, goLog2, goPow } from './gomath.js';
import { goAcosh, goAsinh, goAtanh, goCosh, goSinh, goTanh } from './gohyper.js';
import { goAcos, goAsin, goAtan, goAtan2, goCos, goSin, goTan } from './gotrig.js';

function sgn(v: number): number {
  return v < 0 ? -1 : v > 0 ? 1 : v;
}

export const MATH_FUNCTIONS: ReadonlyMap<string, (v: number) => number> = new Map<string, (v: number) => number>([
  ['abs', Math.abs],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
  ['exp', goExp],
  ['sqrt', Math.sqrt],
  ['ln', goLog],
  ['log2', goLog2],
  ['log10', goLog10],
  ['sgn', sgn],
  ['sin', goSin],
  ['cos', goCos],
  ['tan', goTan],
  ['asin', goAsin],
  ['acos', goAcos],
  ['atan', goAtan],
  ['sinh', goSinh],
  ['cosh', goCosh],
  ['tanh', goTanh],
  ['asinh', goAsinh],
  ['acosh', goAcosh],
  ['atanh', goAtanh],
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

/*
 * Prometheus evaluates time.Unix(int64(v), 0).UTC(). On amd64 int64(v) truncates, and NaN, ±Inf
 * and |v| ≥ 2^63 all become MinInt64 (CVTTSD2SQ's "integer indefinite"). Go's calendar then works
 * on abs = uint64(sec + 9223372028715321600) seconds since 1 January of year −292277022399, with
 * uint64 wrap-around. Below 2^53 seconds nothing wraps and the plain Gregorian calendar in doubles
 * is exact; beyond that (rare) the uint64 arithmetic runs on BigInt.
 */

/** Results of the last dateOf() call (module scratch: nothing allocates on the common path). */
let cYear = 0;
let cMonth = 0; // 1..12
let cDay = 0; // 1..31
let cYday = 0; // 0-based day of the year
let cWeekday = 0; // 0 = Sunday
let cSecOfDay = 0;

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const CUM_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Month and day of month from cYear and the 0-based cYday. */
function monthDay(): void {
  let d = cYday;
  if (isLeap(cYear)) {
    if (d === 59) {
      cMonth = 2;
      cDay = 29;
      return;
    }
    if (d > 59) d--;
  }
  let m = Math.floor(d / 31);
  if (d >= CUM_DAYS[m + 1]!) m++;
  cMonth = m + 1;
  cDay = d - CUM_DAYS[m]! + 1;
}

/** Days since 1970-01-01 → civil date (H. Hinnant's algorithm). */
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
  cYday = CUM_DAYS[cMonth - 1]! + cDay - 1 + (cMonth > 2 && isLeap(cYear) ? 1 : 0);
}

const TWO53 = 9007199254740992;
const TWO63 = 9223372036854775808;
const UNIX_TO_ABS = 9223372028715321600n; // unixToInternal + internalToAbsolute
const ABSOLUTE_ZERO_YEAR = -292277022399;

function dateOf(v: number): void {
  if (Math.abs(v) < TWO53) {
    const sec = Math.trunc(v);
    let days = Math.floor(sec / 86400);
    if (days * 86400 > sec) days--;
    else if ((days + 1) * 86400 <= sec) days++;
    cSecOfDay = sec - days * 86400;
    cWeekday = (((days + 4) % 7) + 7) % 7;
    civilFromDays(days);
    return;
  }
  dateOfSlow(v);
}

/** Go's absDate/absWeekday on the uint64 `abs`, for |v| ≥ 2^53 and NaN/±Inf. */
function dateOfSlow(v: number): void {
  const sec = v === v && v >= -TWO63 && v < TWO63 ? BigInt(Math.trunc(v)) : -(2n ** 63n);
  const abs = BigInt.asUintN(64, sec + UNIX_TO_ABS);
  cSecOfDay = Number(abs % 86400n);
  cWeekday = Math.floor(Number(BigInt.asUintN(64, abs + 86400n) % 604800n) / 86400);
  let d = Number(abs / 86400n); // < 2^48: exact below
  let n = Math.floor(d / 146097);
  let y = 400 * n;
  d -= 146097 * n;
  n = Math.floor(d / 36524);
  n -= n >> 2;
  y += 100 * n;
  d -= 36524 * n;
  n = Math.floor(d / 1461);
  y += 4 * n;
  d -= 1461 * n;
  n = Math.floor(d / 365);
  n -= n >> 2;
  y += n;
  d -= 365 * n;
  cYear = y + ABSOLUTE_ZERO_YEAR;
  cYday = d;
  monthDay();
}

function daysIn(month: number, year: number): number {
  return month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1]!;
}

export const DATE_FUNCTIONS: ReadonlyMap<string, (unixSeconds: number) => number> = new Map<string, (unixSeconds: number) => number>([
  ['day_of_month', (v) => (dateOf(v), cDay)],
  ['day_of_week', (v) => (dateOf(v), cWeekday)],
  ['day_of_year', (v) => (dateOf(v), cYday + 1)],
  ['days_in_month', (v) => (dateOf(v), daysIn(cMonth, cYear))],
  ['hour', (v) => (dateOf(v), Math.floor(cSecOfDay / 3600))],
  ['minute', (v) => (dateOf(v), Math.floor((cSecOfDay % 3600) / 60))],
  ['month', (v) => (dateOf(v), cMonth)],
  ['year', (v) => (dateOf(v), cYear)],
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
