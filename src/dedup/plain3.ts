/**
 * Plain (non-counter) penalty merge of exactly three replicas, dedup(dedup(A, B), C), in one pass.
 *
 * Without counter mode the inner merge X = dedup(A, B) emits the same stream however it is driven
 * (its Seek is repeated Next), so the outer merge can pull X's samples from an inlined inner merge
 * instead of materialising X first. Both merges' state lives in locals. When a leaf runs out the
 * rest is a two-run merge resumed with the current state (penaltyPlain2Resume).
 */
import { INITIAL_PENALTY_MS as INITIAL_PENALTY } from './constants.js';
import { copyRun } from './scratch.js';

/**
 * Continues a plain two-run merge whose last pick was at `lastT` with penalties `penA`, `penB`: each
 * pass performs one Next() (seek both, pick, set penalties) and emits the pick. Both runs must be
 * non-empty ([a, aEnd) and [b, bEnd)); their positions may lag behind the pending seeks.
 */
export function penaltyPlain2Resume(
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
  lastT: number,
  penA: number,
  penB: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  let ta = tA[a]!;
  let tb = tB[b]!;
  for (;;) {
    const base = lastT + 1;
    let target = base + penA;
    while (ta < target) {
      if (++a === aEnd) return seekCopy(tB, vB, sB, b, bEnd, base + penB, oT, oV, oS, o);
      ta = tA[a]!;
    }
    target = base + penB;
    while (tb < target) {
      if (++b === bEnd) return copyRun(tA, vA, sA, a, aEnd, 0, oT, oV, oS, o);
      tb = tB[b]!;
    }
    if (ta <= tb) {
      penB = 2 * (ta - lastT);
      penA = 0;
      lastT = ta;
      oT[o] = ta;
      oV[o] = vA[a]!;
      if (oS !== null) oS[o] = sA !== null ? sA[a]! : 0;
    } else {
      penA = 2 * (tb - lastT);
      penB = 0;
      lastT = tb;
      oT[o] = tb;
      oV[o] = vB[b]!;
      if (oS !== null) oS[o] = sB !== null ? sB[b]! : 0;
    }
    o++;
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

/**
 * Merges the three non-empty runs A = [a, aEnd), B = [b, bEnd), C = [c, cEnd) (plain mode) into the
 * output from `o`; returns the new end. `oS` must be non-null when any input has stale flags.
 */
export function penaltyPlain3(
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
  tC: Float64Array,
  vC: Float64Array,
  sC: Uint8Array | null,
  c: number,
  cEnd: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  // Inner X = dedup(A, B): its first Next picks without seeking.
  let ta = tA[a]!;
  let tb = tB[b]!;
  let inA = ta <= tb; // X's current sample is A's (else B's)
  let iLast = inA ? ta : tb;
  let pa = inA ? 0 : INITIAL_PENALTY;
  let pb = inA ? INITIAL_PENALTY : 0;
  let tx = iLast;
  // Outer dedup(X, C).
  let tc = tC[c]!;
  let useX = tx <= tc;
  let lastT = useX ? tx : tc;
  let px = useX ? 0 : INITIAL_PENALTY;
  let pc = useX ? INITIAL_PENALTY : 0;
  for (;;) {
    if (useX) {
      if (inA) {
        oT[o] = ta;
        oV[o] = vA[a]!;
        if (oS !== null) oS[o] = sA !== null ? sA[a]! : 0;
      } else {
        oT[o] = tb;
        oV[o] = vB[b]!;
        if (oS !== null) oS[o] = sB !== null ? sB[b]! : 0;
      }
    } else {
      oT[o] = tc;
      oV[o] = vC[c]!;
      if (oS !== null) oS[o] = sC !== null ? sC[c]! : 0;
    }
    o++;
    const base = lastT + 1;
    const targetX = base + px;
    // Seek X: inner Next until X's timestamp reaches the target.
    while (tx < targetX) {
      const ib = iLast + 1;
      let target = ib + pa;
      while (ta < target) {
        if (++a === aEnd) {
          // A is gone: X is B's run from its inner seek on; the outer seek continues on it.
          target = ib + pb;
          while (tb < target) {
            if (++b === bEnd) return seekCopy(tC, vC, sC, c, cEnd, base + pc, oT, oV, oS, o);
            tb = tB[b]!;
          }
          return penaltyPlain2Resume(tB, vB, sB, b, bEnd, tC, vC, sC, c, cEnd, lastT, px, pc, oT, oV, oS, o);
        }
        ta = tA[a]!;
      }
      target = ib + pb;
      while (tb < target) {
        // B is gone: X is A's run from here on.
        if (++b === bEnd) return penaltyPlain2Resume(tA, vA, sA, a, aEnd, tC, vC, sC, c, cEnd, lastT, px, pc, oT, oV, oS, o);
        tb = tB[b]!;
      }
      if (ta <= tb) {
        inA = true;
        pb = 2 * (ta - iLast);
        pa = 0;
        iLast = ta;
        tx = ta;
      } else {
        inA = false;
        pa = 2 * (tb - iLast);
        pb = 0;
        iLast = tb;
        tx = tb;
      }
    }
    const targetC = base + pc;
    while (tc < targetC) {
      if (++c === cEnd) {
        // C is gone: the rest is X's stream, its current sample first.
        if (inA) {
          oT[o] = ta;
          oV[o] = vA[a]!;
          if (oS !== null) oS[o] = sA !== null ? sA[a]! : 0;
        } else {
          oT[o] = tb;
          oV[o] = vB[b]!;
          if (oS !== null) oS[o] = sB !== null ? sB[b]! : 0;
        }
        return penaltyPlain2Resume(tA, vA, sA, a, aEnd, tB, vB, sB, b, bEnd, iLast, pa, pb, oT, oV, oS, o + 1);
      }
      tc = tC[c]!;
    }
    if (tx <= tc) {
      useX = true;
      pc = 2 * (tx - lastT);
      px = 0;
      lastT = tx;
    } else {
      useX = false;
      px = 2 * (tc - lastT);
      pc = 0;
      lastT = tc;
    }
  }
}
