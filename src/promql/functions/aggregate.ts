/**
 * Numeric building blocks of PromQL aggregations: Kahan/Neumaier summation, the quantile of a
 * sample set, classic-bucket histogram_quantile, and per-group accumulators for sum/avg/stddev/
 * stdvar that reproduce Prometheus 3.x engine.go (compat '3') or 2.x (compat '2') bit for bit.
 */
import type { PromQLCompat } from '../types.js';

/**
 * Result slot of kahanSumInc: [0] = new sum, [1] = new compensation. Allocation-free: the kernel
 * writes here and callers copy both out right away (everything runs synchronously).
 */
export const KAHAN = new Float64Array(2);

/**
 * Prometheus kahanSumInc (Neumaier's variant): adds `inc` to `sum` with compensation `c`.
 * Writes the new sum to KAHAN[0] and the new compensation to KAHAN[1]; returns the new sum.
 * Final value = sum + c (unless the sum is infinite, then sum).
 */
export function kahanSumInc(inc: number, sum: number, c: number): number {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  KAHAN[0] = t;
  KAHAN[1] = c;
  return t;
}

/** Ascending order with NaN first (Go slices.Sort / Prometheus' vectorByValueHeap). */
function nanFirst(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : -1;
  if (b !== b) return 1;
  return a - b;
}

/**
 * quantile(q, values) à la Prometheus (Hyndman–Fan type 7). Sorts values[0..n) in place.
 * NaN q → NaN, q < 0 → -Inf, q > 1 → +Inf, no values → NaN; NaN values sort first.
 */
export function quantile(q: number, values: Float64Array | number[], n: number = values.length): number {
  if (n === 0 || q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (values instanceof Float64Array) {
    const view = n === values.length ? values : values.subarray(0, n);
    // Float64Array#sort orders −0 before 0; Go's sort keeps equal elements in input order for up to
    // 12 elements (insertion sort), so the sign of a zero quantile follows the input: remember it.
    let zeroSigns: boolean[] | null = null;
    for (let i = 0; i < n; i++) {
      const x = view[i]!;
      if (x === 0) (zeroSigns ??= []).push(Object.is(x, -0));
    }
    // Float64Array#sort puts NaN last; move them first instead.
    view.sort();
    if (zeroSigns !== null) {
      let z = 0;
      while (view[z] !== 0) z++;
      for (const neg of zeroSigns) view[z++] = neg ? -0 : 0;
    }
    let nans = 0;
    for (let i = n - 1; i >= 0 && view[i] !== view[i]; i--) nans++;
    if (nans > 0) {
      view.copyWithin(nans, 0, n - nans);
      view.fill(NaN, 0, nans);
    }
  } else if (n === values.length) {
    values.sort(nanFirst);
  } else {
    const head = values.slice(0, n).sort(nanFirst);
    for (let i = 0; i < n; i++) values[i] = head[i]!;
  }
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}

export interface Bucket {
  upperBound: number;
  count: number;
}

export interface BucketQuantileResult {
  value: number;
  /** 3.x: a bucket count decreased and was raised (Prometheus annotates this). */
  forcedMonotonic: boolean;
  /** 3.x: tiny relative differences (< 1e-12) were flattened. */
  fixedPrecision: boolean;
}

/** Relative tolerance under which adjacent bucket counts are treated as equal (3.x). */
export const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308;

/** Prometheus util/almost.Equal. */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (a !== a && b !== b) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

function byUpperBound(a: Bucket, b: Bucket): number {
  return a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0;
}

/** Merges equal bounds of sorted buckets in place (new objects); returns the merged length. */
function coalesce(buckets: Bucket[]): number {
  let last = buckets[0]!;
  let lastCount = last.count;
  let i = 0;
  for (let j = 1; j < buckets.length; j++) {
    const b = buckets[j]!;
    if (b.upperBound === last.upperBound) {
      lastCount += b.count;
    } else {
      buckets[i] = { upperBound: last.upperBound, count: lastCount };
      last = b;
      lastCount = b.count;
      i++;
    }
  }
  buckets[i] = { upperBound: last.upperBound, count: lastCount };
  return i + 1;
}

let forcedMonotonicFlag = false;
let fixedPrecisionFlag = false;

function ensureMonotonic3(buckets: Bucket[], n: number): void {
  let prev = buckets[0]!.count;
  for (let i = 1; i < n; i++) {
    const b = buckets[i]!;
    const curr = b.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      b.count = prev;
      fixedPrecisionFlag = true;
      continue;
    }
    if (curr < prev) {
      b.count = prev;
      forcedMonotonicFlag = true;
      continue;
    }
    prev = curr;
  }
}

function ensureMonotonic2(buckets: Bucket[], n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const b = buckets[i]!;
    if (b.count > max) max = b.count;
    else if (b.count < max) {
      b.count = max;
      forcedMonotonicFlag = true;
    }
  }
}

/**
 * histogram_quantile on classic buckets of one group. Takes ownership of `buckets` (sorts and
 * rewrites the array; the objects themselves are not mutated). In compat '2' no flags are set
 * except forcedMonotonic for information (2.x did not annotate).
 */
export function bucketQuantile(q: number, buckets: Bucket[], compat: PromQLCompat): BucketQuantileResult {
  forcedMonotonicFlag = false;
  fixedPrecisionFlag = false;
  const value = bucketQuantileValue(q, buckets, compat);
  return { value, forcedMonotonic: forcedMonotonicFlag, fixedPrecision: fixedPrecisionFlag };
}

function bucketQuantileValue(q: number, buckets: Bucket[], compat: PromQLCompat): number {
  if (q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (buckets.length === 0) return NaN;
  buckets.sort(byUpperBound);
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return NaN;
  const n = coalesce(buckets);
  if (compat === '2') ensureMonotonic2(buckets, n);
  else ensureMonotonic3(buckets, n);
  if (n < 2) return NaN;
  const observations = buckets[n - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // Go sort.Search over [0, n-1): first index whose count >= rank.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const h = (lo + hi) >>> 1;
    if (!(buckets[h]!.count >= rank)) lo = h + 1;
    else hi = h;
  }
  const b = lo;
  if (b === n - 1) return buckets[n - 2]!.upperBound;
  if (b === 0 && buckets[0]!.upperBound <= 0) return buckets[0]!.upperBound;
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * histogram_fraction(lower, upper) on the classic (cumulative) buckets of one group (3.x
 * BucketFraction). Takes ownership of `buckets` like bucketQuantile. The lowest bucket's lower
 * edge is 0 when its bound is > 0, else -Inf (no interpolation in an infinitely wide bucket).
 */
export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  if (buckets.length === 0) return NaN;
  buckets.sort(byUpperBound);
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return NaN;
  const n = coalesce(buckets);
  const count = buckets[n - 1]!.count;
  if (count === 0 || lower !== lower || upper !== upper) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = buckets[0]!.upperBound <= 0 ? -Infinity : 0;
  for (let i = 0; i < n; i++) {
    const b = buckets[i]!;
    if (i > 0) lowerBound = buckets[i - 1]!.upperBound;
    const upperBound = b.upperBound;
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = lowerBound === -Infinity ? b.count : rank + ((b.count - rank) * (lower - lowerBound)) / (upperBound - lowerBound);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = lowerBound === -Infinity ? b.count : rank + ((b.count - rank) * (upper - lowerBound)) / (upperBound - lowerBound);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

// ---------------------------------------------------------------------------------------------
// Group accumulators. Usage: `init(firstValue)` for the group's first sample, `add(v)` for each
// further sample, `value()` at the end. Objects are reusable (init resets everything).

/** sum: Kahan-compensated in 3.x, plain in 2.x. */
export class SumAccumulator {
  sum = 0;
  c = 0;
  constructor(readonly compat: PromQLCompat = '3') {}
  init(v: number): void {
    this.sum = v;
    this.c = 0;
  }
  add(v: number): void {
    if (this.compat === '2') {
      this.sum += v;
      return;
    }
    this.sum = kahanSumInc(v, this.sum, this.c);
    this.c = KAHAN[1]!;
  }
  value(): number {
    return this.sum + this.c;
  }
}

/**
 * avg: 3.x = Kahan sum while finite, switching to a Kahan-compensated incremental mean once the
 * sum would overflow; 2.x = incremental mean with its ±Inf special cases.
 */
export class AvgAccumulator {
  sum = 0;
  c = 0;
  mean = 0;
  count = 0;
  incremental = false;
  constructor(readonly compat: PromQLCompat = '3') {}
  init(v: number): void {
    this.sum = v;
    this.mean = v;
    this.c = 0;
    this.count = 1;
    this.incremental = false;
  }
  add(v: number): void {
    const count = ++this.count;
    if (this.compat === '2') {
      const mean = this.mean;
      if (mean === Infinity || mean === -Infinity) {
        if ((v === Infinity || v === -Infinity) && mean > 0 === v > 0) return;
        if (v !== Infinity && v !== -Infinity && v === v) return;
      }
      this.mean += v / count - mean / count;
      return;
    }
    if (!this.incremental) {
      const newSum = kahanSumInc(v, this.sum, this.c);
      if (newSum !== Infinity && newSum !== -Infinity) {
        this.sum = newSum;
        this.c = KAHAN[1]!;
        return;
      }
      this.incremental = true;
      this.mean = this.sum / (count - 1);
      this.c /= count - 1;
    }
    const q = (count - 1) / count;
    this.mean = kahanSumInc(v / count, q * this.mean, q * this.c);
    this.c = KAHAN[1]!;
  }
  value(): number {
    if (this.compat === '2') return this.mean;
    if (this.incremental) return this.mean + this.c;
    return this.sum / this.count + this.c / this.count;
  }
}

/**
 * stddev / stdvar: Welford's algorithm without compensation, population variance (÷n), as
 * engine.go. 3.x starts M2 at NaN when the group's first value is NaN or ±Inf; 2.x at 0.
 */
export class VarianceAccumulator {
  mean = 0;
  m2 = 0;
  count = 0;
  constructor(readonly compat: PromQLCompat = '3') {}
  init(v: number): void {
    this.count = 1;
    this.mean = v;
    this.m2 = this.compat === '3' && (v !== v || v === Infinity || v === -Infinity) ? NaN : 0;
  }
  add(v: number): void {
    const count = ++this.count;
    const delta = v - this.mean;
    this.mean += delta / count;
    this.m2 += delta * (v - this.mean);
  }
  stdvar(): number {
    return this.m2 / this.count;
  }
  stddev(): number {
    return Math.sqrt(this.m2 / this.count);
  }
}
