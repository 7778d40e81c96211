/**
 * Plain two-run penalty merge with a run fast path. While side X stays current its penalty is 0, so
 * X's seek is exactly one step; the other side Y is seeked to lastT + 1 + penY. When X's next
 * timestamp lies below that target, X wins whatever Y holds there (Y's sample after the seek is at
 * or past the target, or Y has run out, which also leaves X the winner). So Y's seek is deferred:
 * seeks only move forward, so several seeks equal one seek to the largest target (`pend`), done
 * when X's next sample might lose or X runs out. Output is identical to the step-by-step merge.
 */
import { INITIAL_PENALTY_MS as INITIAL_PENALTY } from './constants.js';
import { copyRun } from './scratch.js';

/** Merges the non-empty runs A = [a, aEnd) and B = [b, bEnd) (plain mode) from `o`; returns the new end. */
export function penaltyPlain2Runs(
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
  let ta = tA[a]!;
  let tb = tB[b]!;
  let useA = ta <= tb;
  let lastT = useA ? ta : tb;
  let penA = useA ? 0 : INITIAL_PENALTY;
  let penB = useA ? INITIAL_PENALTY : 0;
  for (;;) {
    // The other side's seek target(s) since its last real seek: the largest.
    let pend = -Infinity;
    if (useA) {
      for (;;) {
        oT[o] = ta;
        oV[o] = vA[a]!;
        if (oS !== null) oS[o] = sA !== null ? sA[a]! : 0;
        o++;
        const target = lastT + 1 + penB;
        if (target > pend) pend = target;
        if (++a === aEnd) return seekCopy(tB, vB, sB, b, bEnd, pend, oT, oV, oS, o);
        ta = tA[a]!;
        if (ta < pend || ta <= tb) {
          penB = 2 * (ta - lastT);
          lastT = ta;
        } else break;
      }
      // A's next sample may lose: seek B for real, then pick (ties to A).
      while (tb < pend) {
        if (++b === bEnd) return copyRun(tA, vA, sA, a, aEnd, 0, oT, oV, oS, o);
        tb = tB[b]!;
      }
      if (ta <= tb) {
        penB = 2 * (ta - lastT);
        lastT = ta;
      } else {
        useA = false;
        penA = 2 * (tb - lastT);
        penB = 0;
        lastT = tb;
      }
    } else {
      for (;;) {
        oT[o] = tb;
        oV[o] = vB[b]!;
        if (oS !== null) oS[o] = sB !== null ? sB[b]! : 0;
        o++;
        const target = lastT + 1 + penA;
        if (target > pend) pend = target;
        // A is seeked before B in a Next: A's deferred seek may run it out first.
        if (++b === bEnd) return seekCopy(tA, vA, sA, a, aEnd, pend, oT, oV, oS, o);
        tb = tB[b]!;
        if (tb < pend || tb < ta) {
          penA = 2 * (tb - lastT);
          lastT = tb;
        } else break;
      }
      while (ta < pend) {
        if (++a === aEnd) return copyRun(tB, vB, sB, b, bEnd, 0, oT, oV, oS, o);
        ta = tA[a]!;
      }
      if (ta <= tb) {
        useA = true;
        penB = 2 * (ta - lastT);
        penA = 0;
        lastT = ta;
      } else {
        penA = 2 * (tb - lastT);
        lastT = tb;
      }
    }
  }
}

/** Seeks run [b, bEnd) to `target`, then copies the rest. */
function seekCopy(
  t: Float64Array,
  v: Float64Array,
  s: Uint8Array | null,
  b: number,
  bEnd: number,
  target: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  while (b < bEnd && t[b]! < target) b++;
  return copyRun(t, v, s, b, bEnd, 0, oT, oV, oS, o);
}

/** counterErrAdjust: the adjustment that keeps raw value `v` (+ `adj`) from dropping below `last`. */
function raise(adj: number, v: number, last: number): number {
  const x = v + adj;
  return last > x ? adj + (last - x) : adj;
}

/**
 * Counter-mode two-run merge of the non-empty, NaN-free runs A and B with the same run fast path:
 * picks do not depend on values, and a run of one side has no switch, so values are the side's raw
 * values plus its adjustment; at a switch the side now emitted is raised to the last value.
 */
export function penaltyCounter2Runs(
  tA: Float64Array,
  vA: Float64Array,
  a: number,
  aEnd: number,
  tB: Float64Array,
  vB: Float64Array,
  b: number,
  bEnd: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  let ta = tA[a]!;
  let tb = tB[b]!;
  let adjA = 0;
  let adjB = 0;
  let lastV = 0;
  let useA = ta <= tb;
  let lastT = useA ? ta : tb;
  let penA = useA ? 0 : INITIAL_PENALTY;
  let penB = useA ? INITIAL_PENALTY : 0;
  for (;;) {
    let pend = -Infinity;
    if (useA) {
      for (;;) {
        oT[o] = ta;
        lastV = oV[o] = vA[a]! + adjA;
        if (oS !== null) oS[o] = 0;
        o++;
        const target = lastT + 1 + penB;
        if (target > pend) pend = target;
        if (++a === aEnd) {
          while (b < bEnd && tB[b]! < pend) b++;
          if (b === bEnd) return o;
          adjB = raise(adjB, vB[b]!, lastV);
          return copyRun(tB, vB, null, b, bEnd, adjB, oT, oV, oS, o);
        }
        ta = tA[a]!;
        if (ta < pend || ta <= tb) {
          penB = 2 * (ta - lastT);
          lastT = ta;
        } else break;
      }
      while (tb < pend) {
        if (++b === bEnd) return copyRun(tA, vA, null, a, aEnd, adjA, oT, oV, oS, o);
        tb = tB[b]!;
      }
      if (ta <= tb) {
        penB = 2 * (ta - lastT);
        lastT = ta;
      } else {
        useA = false;
        adjB = raise(adjB, vB[b]!, lastV);
        penA = 2 * (tb - lastT);
        penB = 0;
        lastT = tb;
      }
    } else {
      for (;;) {
        oT[o] = tb;
        lastV = oV[o] = vB[b]! + adjB;
        if (oS !== null) oS[o] = 0;
        o++;
        const target = lastT + 1 + penA;
        if (target > pend) pend = target;
        if (++b === bEnd) {
          while (a < aEnd && tA[a]! < pend) a++;
          if (a === aEnd) return o;
          adjA = raise(adjA, vA[a]!, lastV);
          return copyRun(tA, vA, null, a, aEnd, adjA, oT, oV, oS, o);
        }
        tb = tB[b]!;
        if (tb < pend || tb < ta) {
          penA = 2 * (tb - lastT);
          lastT = tb;
        } else break;
      }
      while (ta < pend) {
        if (++a === aEnd) return copyRun(tB, vB, null, b, bEnd, adjB, oT, oV, oS, o);
        ta = tA[a]!;
      }
      if (ta <= tb) {
        useA = true;
        adjA = raise(adjA, vA[a]!, lastV);
        penB = 2 * (ta - lastT);
        penA = 0;
        lastT = ta;
      } else {
        penA = 2 * (tb - lastT);
        lastT = tb;
      }
    }
  }
}
