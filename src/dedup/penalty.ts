/**
 * Thanos' penalty deduplication (`pkg/dedup/iter.go`, dedupSeriesIterator) on sample columns.
 *
 * Semantics, as the consumer sees them when it calls Next() from the start:
 * - Both children are advanced once up front. Each Next seeks A to lastT+1+penA and B to
 *   lastT+1+penB (forward only). A child that runs out is never used again, even if its penalty seek
 *   jumped over samples that exist.
 * - The earlier timestamp wins, ties go to A (the earlier replica). The other side's penalty becomes
 *   2×(t−lastT), or 5000 ms before the first emitted sample; the winner's penalty is reset to 0.
 * - Counter mode: each side carries an additive adjustment. When the chosen side changes, the side
 *   now emitted raises its adjustment by the difference if its value is below the last emitted
 *   value. (Thanos raises every live side, including the one switched away from, by comparing the
 *   last value with that side's look-ahead sample — which can lie after the side's outage and
 *   after a genuine counter reset, and then lifts that replica by the whole pre-reset value when
 *   the merge comes back to it: rate() spikes. Comparing at the sample actually emitted keeps the
 *   counter from dropping at a switch just the same.) The first pick is not a switch: nothing was emitted before it. (Thanos compares
 *   against A's first value there, even when B is picked first; that shifts B by a value never
 *   shown and loses the counter's growth at the next switch back, so rate() would disagree with
 *   Prometheus on the deduplicated data.) The caller has already removed NaN samples.
 * - Staleness markers are ordinary samples; their flags travel with them.
 * - Kernels: runs2.ts (two runs), plain3.ts / counter3.ts (three), nested.ts (counter mode, 4+).
 * - N > 2 replicas fold left: dedup(dedup(r0, r1), r2)… Without counter mode the inner merge's output
 *   does not depend on how it is driven (its Seek is repeated Next): plain3.ts pulls the outer merge's
 *   samples from an inlined inner merge in one pass for three replicas; for four or more we
 *   materialise the inner merges into scratch columns and merge again. Counter mode needs the live nesting (adjustments reach the inner
 *   replicas): nested.ts models it for any N, counter3.ts is the same flattened for three.
 */
import type { Samples } from '../model/samples.js';
import { dropNaN } from './counter.js';
import { penaltyCounter3 } from './counter3.js';
import { penaltyNested } from './nested.js';
import { penaltyPlain3 } from './plain3.js';
import { penaltyCounter2Runs, penaltyPlain2Runs } from './runs2.js';
import { copyRun, scratchPair, tightSamples } from './scratch.js';


/**
 * Merges run A = [a, aEnd) and run B = [b, bEnd) into the output columns from index `o`; returns the
 * index after the last sample written. `oS` must be non-null when either input has stale flags
 * (counter mode ignores flags: its inputs are NaN-free, so they hold no marker).
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
  if (a >= aEnd) return copyRun(tB, vB, sB, b, bEnd, 0, oT, oV, oS, o);
  if (b >= bEnd) return copyRun(tA, vA, sA, a, aEnd, 0, oT, oV, oS, o);
  return counter
    ? penaltyCounter2Runs(tA, vA, a, aEnd, tB, vB, b, bEnd, oT, oV, oS, o)
    : penaltyPlain2Runs(tA, vA, sA, a, aEnd, tB, vB, sB, b, bEnd, oT, oV, oS, o);
}

// The two-run kernels (runs2.ts) are the dedup iterator unrolled for two non-empty runs, with a fast
// path while one side stays current.

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
  if (counter) {
    if (n === 3) {
      return penaltyCounter3(t[0]!, v[0]!, start[0]!, end[0]!, t[1]!, v[1]!, start[1]!, end[1]!, t[2]!, v[2]!, start[2]!, end[2]!, oT, oV, oS, o);
    }
    return penaltyNested(t, v, s, start, end, n, counter, oT, oV, oS, o);
  }
  if (n === 3) return penalty3(t, v, s, start, end, oT, oV, oS, o);
  // 4+ replicas: fold left through two scratch column sets: X = dedup(r0, r1); X = dedup(X, r_k)…
  let total = 0;
  for (let r = 0; r < n; r++) total += end[r]! - start[r]!;
  const withStale = oS !== null;
  const sp = scratchPair(total, withStale);
  let x = sp[0];
  let y = sp[1];
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

/** Plain merge of three runs: single pass when all are non-empty, else the pair that is left. */
function penalty3(
  t: readonly Float64Array[],
  v: readonly Float64Array[],
  s: readonly (Uint8Array | null)[],
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  const a = start[0]!;
  const aEnd = end[0]!;
  const b = start[1]!;
  const bEnd = end[1]!;
  const c = start[2]!;
  const cEnd = end[2]!;
  // An empty leaf drops out of the nesting: dedup(∅, B) is B's stream, dedup(X, ∅) is X's.
  if (a >= aEnd) return penalty2(t[1]!, v[1]!, s[1]!, b, bEnd, t[2]!, v[2]!, s[2]!, c, cEnd, false, oT, oV, oS, o);
  if (b >= bEnd) return penalty2(t[0]!, v[0]!, s[0]!, a, aEnd, t[2]!, v[2]!, s[2]!, c, cEnd, false, oT, oV, oS, o);
  if (c >= cEnd) return penalty2(t[0]!, v[0]!, s[0]!, a, aEnd, t[1]!, v[1]!, s[1]!, b, bEnd, false, oT, oV, oS, o);
  return penaltyPlain3(t[0]!, v[0]!, s[0]!, a, aEnd, t[1]!, v[1]!, s[1]!, b, bEnd, t[2]!, v[2]!, s[2]!, c, cEnd, oT, oV, oS, o);
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
    if (r.stale !== null && !counter) withStale = true;
  }
  const oT = new Float64Array(total);
  const oV = new Float64Array(total);
  const oS = withStale ? new Uint8Array(total) : null;
  const len = penaltyRuns(t, v, s, start, end, n, counter, oT, oV, oS, 0);
  return tightSamples(oT, oV, oS, len);
}
