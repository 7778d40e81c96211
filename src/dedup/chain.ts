/**
 * The `chain` deduplication (Prometheus ChainedSeriesMerge): the union of all replicas' samples by
 * timestamp, each timestamp once. Tie rule (our choice; Prometheus leaves it to heap order): on an
 * exact timestamp tie the earlier replica's sample wins, so the result does not depend on heap
 * internals and matches the penalty merge's preference for the earlier replica.
 * No penalty and no counter adjustment; in counter mode the caller drops NaN samples first, as the
 * Thanos counter read path does for every replica.
 */
import type { Samples } from '../model/samples.js';
import { dropNaN } from './counter.js';
import { copyRun, mergeWhole, scratchPair } from './scratch.js';

/** Union of runs A and B into the output from `o` (A wins ties); returns the new end. */
export function chain2(
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
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  while (a < aEnd && b < bEnd) {
    const ta = tA[a]!;
    const tb = tB[b]!;
    if (ta <= tb) {
      oT[o] = ta;
      oV[o] = vA[a]!;
      if (oS !== null) oS[o] = sA !== null ? sA[a]! : 0;
      a++;
      if (ta === tb) b++;
    } else {
      oT[o] = tb;
      oV[o] = vB[b]!;
      if (oS !== null) oS[o] = sB !== null ? sB[b]! : 0;
      b++;
    }
    o++;
  }
  if (a < aEnd) return copyRun(tA, vA, sA, a, aEnd, 0, oT, oV, oS, o);
  return copyRun(tB, vB, sB, b, bEnd, 0, oT, oV, oS, o);
}

/** Union of `n` runs (see penaltyRuns for the layout) into the output from `o`; returns the new end. */
export function chainRuns(
  t: readonly Float64Array[],
  v: readonly Float64Array[],
  s: readonly (Uint8Array | null)[],
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  n: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  if (n === 0) return o;
  if (n === 1) return copyRun(t[0]!, v[0]!, s[0]!, start[0]!, end[0]!, 0, oT, oV, oS, o);
  if (n === 2) return chain2(t[0]!, v[0]!, s[0]!, start[0]!, end[0]!, t[1]!, v[1]!, s[1]!, start[1]!, end[1]!, oT, oV, oS, o);
  // Folding left keeps "earliest replica wins": the accumulated union is always side A.
  let total = 0;
  for (let r = 0; r < n; r++) total += end[r]! - start[r]!;
  const sp = scratchPair(total, oS !== null);
  let x = sp[0];
  let y = sp[1];
  let xn = chain2(t[0]!, v[0]!, s[0]!, start[0]!, end[0]!, t[1]!, v[1]!, s[1]!, start[1]!, end[1]!, x.t, x.v, x.s, 0);
  for (let r = 2; r < n - 1; r++) {
    const yn = chain2(x.t, x.v, x.s, 0, xn, t[r]!, v[r]!, s[r]!, start[r]!, end[r]!, y.t, y.v, y.s, 0);
    const z = x;
    x = y;
    y = z;
    xn = yn;
  }
  const last = n - 1;
  return chain2(x.t, x.v, x.s, 0, xn, t[last]!, v[last]!, s[last]!, start[last]!, end[last]!, oT, oV, oS, o);
}

/** Chain-merges the replicas of one group, ordered as given, into new columns. */
export function mergeChain(replicas: readonly Samples[], counter = false): Samples {
  return mergeWhole(counter ? replicas.map(dropNaN) : replicas, chainRuns);
}
