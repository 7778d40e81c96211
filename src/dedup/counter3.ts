/**
 * Counter-mode penalty merge of exactly three replicas: dedup(dedup(A, B), C) with live nesting, as
 * nested.ts models it for any N, flattened into one loop (3 HA replicas under rate() is common).
 *
 * Picks depend on timestamps only, so the inner merge X = dedup(A, B) is stepped exactly where the
 * outer merge's seek calls its Next, as in plain3.ts; what counter mode adds is the order of the
 * adjustments: an inner switch raises the inner side now emitted (against the inner's last value),
 * an outer switch raises the leaf the outer merge now emits (C, or X's current leaf). Every piece of
 * state is a local. When a leaf runs out, the rest is a two-run counter merge resumed mid-Next
 * (penaltyCounter2Resume). Inputs must be NaN-free.
 */
import { INITIAL_PENALTY_MS as INITIAL_PENALTY } from './constants.js';
import { copyRun } from './scratch.js';

/** counterErrAdjust: the adjustment that keeps raw value `v` (+ `adj`) from dropping below `last`. */
function raise(adj: number, v: number, last: number): number {
  const x = v + adj;
  return last > x ? adj + (last - x) : adj;
}

/**
 * Continues a counter-mode two-run merge inside a Next(): the last pick was side A if `useA`, at
 * `lastT` with value `lastV` (both taken before this Next's seeks), penalties `penA`, `penB`. Seeks
 * (forward only, so positions may lag behind seeks already made), picks, raises the side switched
 * to, emits; then the following Nexts. Both runs must be non-empty at `a` and `b`.
 */
export function penaltyCounter2Resume(
  tA: Float64Array,
  vA: Float64Array,
  a: number,
  aEnd: number,
  adjA: number,
  tB: Float64Array,
  vB: Float64Array,
  b: number,
  bEnd: number,
  adjB: number,
  lastT: number,
  penA: number,
  penB: number,
  useA: boolean,
  lastV: number,
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
      if (++a === aEnd) {
        target = base + penB;
        while (b < bEnd && tB[b]! < target) b++;
        if (b === bEnd) return o;
        if (useA) adjB = raise(adjB, vB[b]!, lastV);
        return copyRun(tB, vB, null, b, bEnd, adjB, oT, oV, oS, o);
      }
      ta = tA[a]!;
    }
    target = base + penB;
    while (tb < target) {
      if (++b === bEnd) {
        if (!useA) adjA = raise(adjA, vA[a]!, lastV);
        return copyRun(tA, vA, null, a, aEnd, adjA, oT, oV, oS, o);
      }
      tb = tB[b]!;
    }
    if (ta <= tb) {
      if (!useA) adjA = raise(adjA, vA[a]!, lastV);
      useA = true;
      penB = 2 * (ta - lastT);
      penA = 0;
      lastT = ta;
      oT[o] = ta;
      lastV = oV[o] = vA[a]! + adjA;
    } else {
      if (useA) adjB = raise(adjB, vB[b]!, lastV);
      useA = false;
      penA = 2 * (tb - lastT);
      penB = 0;
      lastT = tb;
      oT[o] = tb;
      lastV = oV[o] = vB[b]! + adjB;
    }
    if (oS !== null) oS[o] = 0;
    o++;
  }
}

/** Merges runs A, B, C (counter mode) into the output from `o`; returns the new end. */
export function penaltyCounter3(
  tA: Float64Array,
  vA: Float64Array,
  a: number,
  aEnd: number,
  tB: Float64Array,
  vB: Float64Array,
  b: number,
  bEnd: number,
  tC: Float64Array,
  vC: Float64Array,
  c: number,
  cEnd: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  // An empty leaf drops out of the nesting: dedup(∅, B) is B's stream, dedup(X, ∅) is X's.
  if (a >= aEnd) return counterPair(tB, vB, b, bEnd, tC, vC, c, cEnd, oT, oV, oS, o);
  if (b >= bEnd) return counterPair(tA, vA, a, aEnd, tC, vC, c, cEnd, oT, oV, oS, o);
  if (c >= cEnd) return counterPair(tA, vA, a, aEnd, tB, vB, b, bEnd, oT, oV, oS, o);
  let adjA = 0;
  let adjB = 0;
  let adjC = 0;
  // Inner X = dedup(A, B): its first Next picks without seeking (and is not a switch).
  let ta = tA[a]!;
  let tb = tB[b]!;
  let inA = ta <= tb;
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
  let lastV: number; // the outer merge's last emitted value
  for (;;) {
    if (useX) {
      if (inA) {
        oT[o] = ta;
        lastV = oV[o] = vA[a]! + adjA;
      } else {
        oT[o] = tb;
        lastV = oV[o] = vB[b]! + adjB;
      }
    } else {
      oT[o] = tc;
      lastV = oV[o] = vC[c]! + adjC;
    }
    if (oS !== null) oS[o] = 0;
    o++;
    const base = lastT + 1;
    const targetX = base + px;
    // Seek X: inner Next until X's timestamp reaches the target.
    while (tx < targetX) {
      const a0 = a;
      const b0 = b;
      const ib = iLast + 1;
      let target = ib + pa;
      while (ta < target) {
        if (++a === aEnd) {
          // A is gone: the inner merge picks B from its seek on (a switch if it was on A); then
          // X is B's run and the outer seek continues on it.
          target = ib + pb;
          while (tb < target) {
            if (++b === bEnd) {
              // X is gone too: the outer merge picks C (a switch if it was on X).
              target = base + pc;
              while (c < cEnd && tC[c]! < target) c++;
              if (c === cEnd) return o;
              if (useX) adjC = raise(adjC, vC[c]!, lastV);
              return copyRun(tC, vC, null, c, cEnd, adjC, oT, oV, oS, o);
            }
            tb = tB[b]!;
          }
          if (inA) adjB = raise(adjB, vB[b]!, vA[a0]! + adjA);
          return penaltyCounter2Resume(tB, vB, b, bEnd, adjB, tC, vC, c, cEnd, adjC, lastT, px, pc, useX, lastV, oT, oV, oS, o);
        }
        ta = tA[a]!;
      }
      target = ib + pb;
      while (tb < target) {
        if (++b === bEnd) {
          // B is gone: the inner merge picks A (a switch if it was on B); X is A's run.
          if (!inA) adjA = raise(adjA, vA[a]!, vB[b0]! + adjB);
          return penaltyCounter2Resume(tA, vA, a, aEnd, adjA, tC, vC, c, cEnd, adjC, lastT, px, pc, useX, lastV, oT, oV, oS, o);
        }
        tb = tB[b]!;
      }
      if (ta <= tb) {
        if (!inA) {
          adjA = raise(adjA, vA[a]!, vB[b0]! + adjB);
          inA = true;
        }
        pb = 2 * (ta - iLast);
        pa = 0;
        iLast = ta;
        tx = ta;
      } else {
        if (inA) {
          adjB = raise(adjB, vB[b]!, vA[a0]! + adjA);
          inA = false;
        }
        pa = 2 * (tb - iLast);
        pb = 0;
        iLast = tb;
        tx = tb;
      }
    }
    const targetC = base + pc;
    while (tc < targetC) {
      if (++c === cEnd) {
        // C is gone: the outer merge picks X (a switch if it was on C); the rest is X's stream.
        let xv: number;
        if (inA) {
          if (!useX) adjA = raise(adjA, vA[a]!, lastV);
          oT[o] = ta;
          xv = oV[o] = vA[a]! + adjA;
        } else {
          if (!useX) adjB = raise(adjB, vB[b]!, lastV);
          oT[o] = tb;
          xv = oV[o] = vB[b]! + adjB;
        }
        if (oS !== null) oS[o] = 0;
        return penaltyCounter2Resume(tA, vA, a, aEnd, adjA, tB, vB, b, bEnd, adjB, iLast, pa, pb, inA, xv, oT, oV, oS, o + 1);
      }
      tc = tC[c]!;
    }
    if (tx <= tc) {
      if (!useX) {
        if (inA) adjA = raise(adjA, vA[a]!, lastV);
        else adjB = raise(adjB, vB[b]!, lastV);
        useX = true;
      }
      pc = 2 * (tx - lastT);
      px = 0;
      lastT = tx;
    } else {
      if (useX) {
        adjC = raise(adjC, vC[c]!, lastV);
        useX = false;
      }
      px = 2 * (tc - lastT);
      pc = 0;
      lastT = tc;
    }
  }
}

/** Counter-mode merge of two runs, either possibly empty. */
function counterPair(
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
  if (a >= aEnd) return copyRun(tB, vB, null, b, bEnd, 0, oT, oV, oS, o);
  if (b >= bEnd) return copyRun(tA, vA, null, a, aEnd, 0, oT, oV, oS, o);
  // The first Next picks without seeking and is not a switch; emit it, then resume.
  const ta = tA[a]!;
  const tb = tB[b]!;
  const useA = ta <= tb;
  let lastV: number;
  if (useA) {
    oT[o] = ta;
    lastV = oV[o] = vA[a]!;
  } else {
    oT[o] = tb;
    lastV = oV[o] = vB[b]!;
  }
  if (oS !== null) oS[o] = 0;
  return penaltyCounter2Resume(
    tA, vA, a, aEnd, 0, tB, vB, b, bEnd, 0,
    useA ? ta : tb, useA ? 0 : INITIAL_PENALTY, useA ? INITIAL_PENALTY : 0, useA, lastV,
    oT, oV, oS, o + 1,
  );
}
