/**
 * Thanos' penalty deduplication (`pkg/dedup/iter.go`, dedupSeriesIterator) on sample columns.
 *
 * Semantics, as the consumer sees them when it calls Next() from the start:
 * - Both children are advanced once up front. Each Next seeks A to lastT+1+penA and B to
 *   lastT+1+penB (forward only). A child that runs out is never used again, even if its penalty seek
 *   jumped over samples that exist.
 * - The earlier timestamp wins, ties go to A (the earlier replica). The other side's penalty becomes
 *   2×(t−lastT), or 5000 ms before the first emitted sample; the winner's penalty is reset to 0.
 * - Counter mode: each side carries an additive adjustment. When the chosen side changes, every live
 *   side whose current value is below the last value (the value under the previously used side,
 *   which on the very first Next is A's first sample, as in Thanos) raises its adjustment by the
 *   difference. The caller has already removed NaN samples.
 * - Staleness markers are ordinary samples; their flags travel with them.
 * - N > 2 replicas fold left: dedup(dedup(r0, r1), r2)… Without counter mode the inner merge's output
 *   does not depend on how it is driven (its Seek is repeated Next), so we materialise it into scratch
 *   columns and merge again. Counter mode needs the live nesting (adjustments reach the inner
 *   replicas), see nested.ts.
 */
import type { Samples } from '../model/samples.js';
import { dropNaN } from './counter.js';
import { INITIAL_PENALTY_MS as INITIAL_PENALTY } from './constants.js';
import { penaltyNested } from './nested.js';
import { copyRun, scratchPair, tightSamples } from './scratch.js';


/**
 * Merges run A = [a, aEnd) and run B = [b, bEnd) into the output columns from index `o`; returns the
 * index after the last sample written. `oS` must be non-null when either input has stale flags.
 * The output needs room for (aEnd − a) + (bEnd − b) samples.
 */
export function penalty2(
  tA: Float64Array,
  vA: Float64Array,
  sA: Uint8Array | null,
  a: number,
  aEnd: number,
  tB: Float64Array,
  vB: Float64Array,
  sB: Uint8Array | null,
  b: number,
  bEnd: number,
  counter: boolean,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  let aLive = a < aEnd;
  let bLive = b < bEnd;
  let useA = true;
  let started = false;
  let lastT = 0;
  let penA = 0;
  let penB = 0;
  let adjA = 0;
  let adjB = 0;
  for (;;) {
    const lastUseA: boolean = useA;
    let hasLast = false;
    let lastV = 0;
    if (counter) {
      if (useA) {
        if (aLive) {
          hasLast = true;
          lastV = vA[a]! + adjA;
        }
      } else if (bLive) {
        hasLast = true;
        lastV = vB[b]! + adjB;
      }
    }
    if (started) {
      if (aLive) {
        const target = lastT + 1 + penA;
        while (a < aEnd && tA[a]! < target) a++;
        aLive = a < aEnd;
      }
      if (bLive) {
        const target = lastT + 1 + penB;
        while (b < bEnd && tB[b]! < target) b++;
        bLive = b < bEnd;
      }
    }
    if (aLive && bLive) {
      const ta = tA[a]!;
      const tb = tB[b]!;
      if (ta <= tb) {
        useA = true;
        penB = started ? 2 * (ta - lastT) : INITIAL_PENALTY;
        penA = 0;
        lastT = ta;
      } else {
        useA = false;
        penA = started ? 2 * (tb - lastT) : INITIAL_PENALTY;
        penB = 0;
        lastT = tb;
      }
      started = true;
      if (counter && useA !== lastUseA && hasLast) {
        const xa = vA[a]! + adjA;
        if (lastV > xa) adjA += lastV - xa;
        const xb = vB[b]! + adjB;
        if (lastV > xb) adjB += lastV - xb;
      }
      if (useA) {
        oT[o] = ta;
        oV[o] = counter ? vA[a]! + adjA : vA[a]!;
        if (oS !== null) oS[o] = sA !== null ? sA[a]! : 0;
      } else {
        oT[o] = tb;
        oV[o] = counter ? vB[b]! + adjB : vB[b]!;
        if (oS !== null) oS[o] = sB !== null ? sB[b]! : 0;
      }
      o++;
      continue;
    }
    // One side is gone for good: every remaining sample of the other one is emitted in turn (its
    // penalty is 0 from now on and no switch can happen after this one).
    if (aLive) {
      if (counter && !lastUseA && hasLast) {
        const xa = vA[a]! + adjA;
        if (lastV > xa) adjA += lastV - xa;
      }
      return copyRun(tA, vA, sA, a, aEnd, counter ? adjA : 0, oT, oV, oS, o);
    }
    if (bLive) {
      if (counter && lastUseA && hasLast) {
        const xb = vB[b]! + adjB;
        if (lastV > xb) adjB += lastV - xb;
      }
      return copyRun(tB, vB, sB, b, bEnd, counter ? adjB : 0, oT, oV, oS, o);
    }
    return o;
  }
}

/**
 * Merges `n` replica runs (replica r = columns t[r], v[r], s[r], indices [start[r], end[r])) into the
 * output from index `o`; returns the index after the last sample. Counter mode expects NaN-free runs.
 */
export function penaltyRuns(
  t: readonly Float64Array[],
  v: readonly Float64Array[],
  s: readonly (Uint8Array | null)[],
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  n: number,
  counter: boolean,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  if (n === 0) return o;
  if (n === 1) return copyRun(t[0]!, v[0]!, s[0]!, start[0]!, end[0]!, 0, oT, oV, oS, o);
  if (n === 2) {
    return penalty2(t[0]!, v[0]!, s[0]!, start[0]!, end[0]!, t[1]!, v[1]!, s[1]!, start[1]!, end[1]!, counter, oT, oV, oS, o);
  }
  if (counter) return penaltyNested(t, v, s, start, end, n, counter, oT, oV, oS, o);
  // Fold left through two scratch column sets: X = dedup(r0, r1); X = dedup(X, r_k)…
  let total = 0;
  for (let r = 0; r < n; r++) total += end[r]! - start[r]!;
  const withStale = oS !== null;
  let [x, y] = scratchPair(total, withStale);
  let xn = penalty2(t[0]!, v[0]!, s[0]!, start[0]!, end[0]!, t[1]!, v[1]!, s[1]!, start[1]!, end[1]!, false, x.t, x.v, x.s, 0);
  for (let r = 2; r < n - 1; r++) {
    const yn = penalty2(x.t, x.v, x.s, 0, xn, t[r]!, v[r]!, s[r]!, start[r]!, end[r]!, false, y.t, y.v, y.s, 0);
    const z = x;
    x = y;
    y = z;
    xn = yn;
  }
  const last = n - 1;
  return penalty2(x.t, x.v, x.s, 0, xn, t[last]!, v[last]!, s[last]!, start[last]!, end[last]!, false, oT, oV, oS, o);
}

/**
 * Merges the replicas of one group, ordered as given (earlier = preferred on ties), into new columns.
 * Counter mode drops NaN samples first and applies Thanos' switch adjustment.
 */
export function mergePenalty(replicas: readonly Samples[], counter: boolean): Samples {
  const reps = counter ? replicas.map(dropNaN) : replicas;
  const n = reps.length;
  const t: Float64Array[] = [];
  const v: Float64Array[] = [];
  const s: (Uint8Array | null)[] = [];
  const start: number[] = [];
  const end: number[] = [];
  let total = 0;
  let withStale = false;
  for (const r of reps) {
    t.push(r.timestamps);
    v.push(r.values);
    s.push(r.stale);
    start.push(0);
    end.push(r.timestamps.length);
    total += r.timestamps.length;
    if (r.stale !== null) withStale = true;
  }
  const oT = new Float64Array(total);
  const oV = new Float64Array(total);
  const oS = withStale ? new Uint8Array(total) : null;
  const len = penaltyRuns(t, v, s, start, end, n, counter, oT, oV, oS, 0);
  return tightSamples(oT, oV, oS, len);
}
