/**
 * Range-vector kernels: one call computes one output value for one series at one step from the
 * samples of its window (see window.ts). `null` means "no output sample at this step".
 * Arithmetic follows Prometheus 3.x promql/functions.go operation by operation so results match
 * bit for bit; compat '2' reproduces the 2.x order of operations where it differs.
 */
import type { PromQLCompat } from '../types.js';
import type { Window } from './window.js';
import { kahanSumInc, KAHAN, quantile } from './aggregate.js';

/** rate (isCounter, isRate), increase (isCounter, !isRate), delta (!isCounter, !isRate). */
export function extrapolatedRate(
  w: Window,
  isCounter: boolean,
  isRate: boolean,
  compat: PromQLCompat,
): number | null {
  const { t, v, from, to } = w;
  const n = to - from;
  if (n < 2) return null;
  const last = to - 1;
  const firstV = v[from]!;
  const firstT = t[from]!;
  const lastT = t[last]!;
  const rangeSeconds = (w.rangeEnd - w.rangeStart) / 1000;
  let durationToStart = (firstT - w.rangeStart) / 1000;
  let durationToEnd = (w.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avgBetween = sampledInterval / (n - 1);
  const threshold = avgBetween * 1.1;

  let result = v[last]! - firstV;
  // The scan adds each pre-reset value in sample order (as Prometheus does, 2.42 included, so
  // rounding matches); windows without resets skip it.
  if (isCounter && w.resets.count(from, to) > 0) {
    let prev = firstV;
    for (let i = from + 1; i < to; i++) {
      const x = v[i]!;
      if (x < prev) result += prev;
      prev = x;
    }
  }
  if (compat === '2') {
    // 2.x: the zero clamp comes before the threshold test.
    if (isCounter && result > 0 && firstV >= 0) {
      const durationToZero = sampledInterval * (firstV / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    let extrapolateTo = sampledInterval;
    extrapolateTo += durationToStart < threshold ? durationToStart : avgBetween / 2;
    extrapolateTo += durationToEnd < threshold ? durationToEnd : avgBetween / 2;
    // As 2.40+ does: the factor first, then one multiplication (the order decides the last bit).
    let factor = extrapolateTo / sampledInterval;
    if (isRate) factor /= rangeSeconds;
    return result * factor;
  }

  if (durationToStart >= threshold) durationToStart = avgBetween / 2;
  if (isCounter && result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avgBetween / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeSeconds;
  return result * factor;
}

/** irate (isRate) / idelta (!isRate): the last two samples of the window. */
export function instantValue(w: Window, isRate: boolean): number | null {
  const { t, v, from, to } = w;
  if (to - from < 2) return null;
  const lastV = v[to - 1]!;
  const prevV = v[to - 2]!;
  let result = isRate && lastV < prevV ? lastV : lastV - prevV;
  const interval = t[to - 1]! - t[to - 2]!;
  if (interval === 0) return null;
  if (isRate) result /= interval / 1000;
  return result;
}

/** Number of adjacent decreases (0 for fewer than two samples). */
export function resets(w: Window): number {
  return w.resets.count(w.from, w.to);
}

/** Number of adjacent pairs that differ; NaN followed by NaN is no change. */
export function changes(w: Window): number {
  const { v, from, to } = w;
  let count = 0;
  if (to <= from) return 0;
  let prev = v[from]!;
  for (let i = from + 1; i < to; i++) {
    const cur = v[i]!;
    if (cur !== prev && !(cur !== cur && prev !== prev)) count++;
    prev = cur;
  }
  return count;
}

// Output of linearRegression (module scratch; kernels are synchronous).
let regSlope = 0;
let regIntercept = 0;

/** Least squares over the window with x measured in seconds from `interceptTime` (ms). */
function linearRegression(w: Window, interceptTime: number): void {
  const { t, v, from, to } = w;
  let n = 0;
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
  const initY = v[from]!;
  let constY = true;
  const k = KAHAN;
  for (let i = from; i < to; i++) {
    const y = v[i]!;
    if (constY && i > from && y !== initY) constY = false;
    n += 1;
    const x = (t[i]! - interceptTime) / 1e3;
    kahanSumInc(x, sumX, cX); sumX = k[0]!; cX = k[1]!;
    kahanSumInc(y, sumY, cY); sumY = k[0]!; cY = k[1]!;
    kahanSumInc(x * y, sumXY, cXY); sumXY = k[0]!; cXY = k[1]!;
    kahanSumInc(x * x, sumX2, cX2); sumX2 = k[0]!; cX2 = k[1]!;
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) {
      regSlope = NaN;
      regIntercept = NaN;
    } else {
      regSlope = 0;
      regIntercept = initY;
    }
    return;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  regSlope = covXY / varX;
  regIntercept = sumY / n - (regSlope * sumX) / n;
}

/** deriv: per-second least-squares slope; needs two samples. */
export function deriv(w: Window): number | null {
  if (w.to - w.from < 2) return null;
  linearRegression(w, w.t[w.from]!);
  return regSlope;
}

/** predict_linear(v, seconds): regression with the intercept at the evaluation time. */
export function predictLinear(w: Window, seconds: number): number | null {
  if (w.to - w.from < 2) return null;
  linearRegression(w, w.evalTime);
  return regSlope * seconds + regIntercept;
}

export function sumOverTime(w: Window): number | null {
  const { v, from, to } = w;
  if (to <= from) return null;
  const k = KAHAN;
  let sum = 0;
  let c = 0;
  for (let i = from; i < to; i++) {
    kahanSumInc(v[i]!, sum, c);
    sum = k[0]!;
    c = k[1]!;
  }
  if (sum === Infinity || sum === -Infinity) return sum;
  return sum + c;
}

/**
 * avg_over_time. 3.x: Kahan sum while it stays finite, then a Kahan-compensated incremental
 * mean. '2': incremental mean throughout, with the ±Inf special cases of 2.x.
 */
export function avgOverTime(w: Window, compat: PromQLCompat = '3'): number | null {
  const { v, from, to } = w;
  if (to <= from) return null;
  if (compat === '2') return avgOverTime2(v, from, to);
  const k = KAHAN;
  let sum = v[from]!;
  let count = 1;
  let mean = 0;
  let c = 0;
  let incremental = false;
  for (let i = from + 1; i < to; i++) {
    const x = v[i]!;
    count = i - from + 1;
    if (!incremental) {
      kahanSumInc(x, sum, c);
      const newSum = k[0]!;
      if (newSum !== Infinity && newSum !== -Infinity) {
        sum = newSum;
        c = k[1]!;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    kahanSumInc(x / count, q * mean, q * c);
    mean = k[0]!;
    c = k[1]!;
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

function avgOverTime2(v: Float64Array, from: number, to: number): number {
  const k = KAHAN;
  let mean = 0;
  let c = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    count++;
    if (mean === Infinity || mean === -Infinity) {
      if ((x === Infinity || x === -Infinity) && mean > 0 === x > 0) continue;
      if (x !== Infinity && x !== -Infinity && x === x) continue;
    }
    kahanSumInc(x / count - mean / count, mean, c);
    mean = k[0]!;
    c = k[1]!;
  }
  if (mean === Infinity || mean === -Infinity) return mean;
  return mean + c;
}

export function minOverTime(w: Window): number | null {
  const { v, from, to } = w;
  if (to <= from) return null;
  let m = v[from]!;
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    if (x < m || m !== m) m = x;
  }
  return m;
}

export function maxOverTime(w: Window): number | null {
  const { v, from, to } = w;
  if (to <= from) return null;
  let m = v[from]!;
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    if (x > m || m !== m) m = x;
  }
  return m;
}

export function countOverTime(w: Window): number | null {
  return w.to > w.from ? w.to - w.from : null;
}

export function presentOverTime(w: Window): number | null {
  return w.to > w.from ? 1 : null;
}

export function lastOverTime(w: Window): number | null {
  return w.to > w.from ? w.v[w.to - 1]! : null;
}

export function firstOverTime(w: Window): number | null {
  return w.to > w.from ? w.v[w.from]! : null;
}

/** Population variance (Welford with Kahan-compensated mean and M2, as 3.x). */
export function stdvarOverTime(w: Window): number | null {
  const { v, from, to } = w;
  if (to <= from) return null;
  const k = KAHAN;
  let count = 0;
  let mean = 0, cMean = 0, aux = 0, cAux = 0;
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    count++;
    const delta = x - (mean + cMean);
    kahanSumInc(delta / count, mean, cMean);
    mean = k[0]!;
    cMean = k[1]!;
    kahanSumInc(delta * (x - (mean + cMean)), aux, cAux);
    aux = k[0]!;
    cAux = k[1]!;
  }
  return (aux + cAux) / count;
}

export function stddevOverTime(w: Window): number | null {
  const r = stdvarOverTime(w);
  return r === null ? null : Math.sqrt(r);
}

let scratch = new Float64Array(64);
function copyWindow(w: Window): Float64Array {
  const n = w.to - w.from;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  scratch.set(w.v.subarray(w.from, w.to));
  return scratch;
}

/** quantile_over_time(q, m); q outside [0,1] gives ∓Inf, NaN q gives NaN. */
export function quantileOverTime(q: number, w: Window): number | null {
  const n = w.to - w.from;
  if (n <= 0) return null;
  return quantile(q, copyWindow(w), n);
}

/** mad_over_time: median of absolute deviations from the median. */
export function madOverTime(w: Window, compat: PromQLCompat): number | null {
  const n = w.to - w.from;
  if (n <= 0) return null;
  // 3.14: a NaN sample makes the median undefined, so the result is NaN; earlier versions sorted
  // NaN first and carried on.
  if (compat !== '2') for (let i = w.from; i < w.to; i++) if (w.v[i] !== w.v[i]) return NaN;
  const buf = copyWindow(w);
  const median = quantile(0.5, buf, n);
  const { v, from } = w;
  for (let i = 0; i < n; i++) buf[i] = Math.abs(v[from + i]! - median);
  return quantile(0.5, buf, n);
}

/** Timestamp (seconds) of the minimum; ties pick the latest sample, NaN yields to any later value. */
export function tsOfMinOverTime(w: Window): number | null {
  const { t, v, from, to } = w;
  if (to <= from) return null;
  let m = v[from]!;
  let ts = t[from]!;
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    if (x <= m || m !== m) {
      m = x;
      ts = t[i]!;
    }
  }
  return ts / 1000;
}

/** Timestamp (seconds) of the maximum; ties pick the latest sample. */
export function tsOfMaxOverTime(w: Window): number | null {
  const { t, v, from, to } = w;
  if (to <= from) return null;
  let m = v[from]!;
  let ts = t[from]!;
  for (let i = from; i < to; i++) {
    const x = v[i]!;
    if (x >= m || m !== m) {
      m = x;
      ts = t[i]!;
    }
  }
  return ts / 1000;
}

export function tsOfLastOverTime(w: Window): number | null {
  return w.to > w.from ? w.t[w.to - 1]! / 1000 : null;
}

export function tsOfFirstOverTime(w: Window): number | null {
  return w.to > w.from ? w.t[w.from]! / 1000 : null;
}

/**
 * Prometheus' argument check for double_exponential_smoothing / holt_winters: the error text,
 * or null when valid. NaN passes (Prometheus compares with <= and >=).
 */
export function validateSmoothingFactors(sf: number, tf: number): string | null {
  if (sf <= 0 || sf >= 1) return `invalid smoothing factor. Expected: 0 < sf < 1, got: ${goPercentF(sf)}`;
  if (tf <= 0 || tf >= 1) return `invalid trend factor. Expected: 0 < tf < 1, got: ${goPercentF(tf)}`;
  return null;
}

/** Go's fmt %f (6 decimals, no exponent). */
function goPercentF(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Math.abs(x) < 1e21) {
    const s = x.toFixed(6);
    return Object.is(x, -0) || (x < 0 && !s.startsWith('-')) ? '-' + s : s;
  }
  return BigInt(x).toString() + '.000000';
}

/** double_exponential_smoothing(v, sf, tf) (2.x holt_winters); arguments already validated. */
export function doubleExponentialSmoothing(w: Window, sf: number, tf: number): number | null {
  const { v, from, to } = w;
  const l = to - from;
  if (l < 2) return null;
  let s0 = 0;
  let s1 = v[from]!;
  let b = v[from + 1]! - v[from]!;
  for (let i = 1; i < l; i++) {
    const x = sf * v[from + i]!;
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}
