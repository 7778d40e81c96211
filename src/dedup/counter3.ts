/**
 * Counter-mode penalty merge of exactly three replicas: dedup(dedup(A, B), C) with live nesting, as
 * nested.ts models it for any N, flattened into one loop (3 HA replicas under rate() is common).
 *
 * Picks depend on timestamps only, so the inner merge X = dedup(A, B) is stepped exactly where the
 * outer merge's seek calls its Next, as in plain3.ts; what counter mode adds is the order of the
 * adjustments: an inner switch raises the inner side now emitted (against the inner's last value),
 * an outer switch raises the leaf the outer merge now emits (C, or X's current leaf). Every piece of
 * state is a local. Both merges defer the seek of the side not current as runs2.ts / plain3.ts do;
 * raises happen only at picks, which stay in the same order, so the values are those of the
 * step-by-step merge. When a leaf runs out, the rest is a two-run counter merge resumed mid-Next
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

/** Seeks run [p, end) to `target`; if a sample is left, raises `adj` against `lastV` when `sw` (a switch to this run), then copies the rest. */
function seekRaiseCopy(
  t: Float64Array,
  v: Float64Array,
  p: number,
  end: number,
  target: number,
  adj: number,
  sw: boolean,
  lastV: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  while (p < end && t[p]! < target) p++;
  if (p === end) return o;
  if (sw) adj = raise(adj, v[p]!, lastV);
  return copyRun(t, v, null, p, end, adj, oT, oV, oS, o);
}

/**
 * Merges runs A, B, C (counter mode) into the output from `o`; returns the new end.
 * Both merges use runs2.ts' fast path as plain3.ts does: while a side stays current, the seek of the
 * side not current is deferred to the largest pending target as long as the current side's next
 * sample surely wins. Picks, and so switches, happen in the same order as step by step; a raise reads
 * only the switched-to side after its (real) seek and the last value of the merge that switches, so
 * the adjustments are unchanged: the inner's last value is its leaf's previous sample (a − 1 or
 * b − 1: the current side's seek is one step), the outer's is `lastV`.
 */
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
  let inA = ta <= tb; // X's current sample is A's (else B's)
  let iLast = inA ? ta : tb;
  let pa = inA ? 0 : INITIAL_PENALTY;
  let pb = inA ? INITIAL_PENALTY : 0;
  let tx = iLast;
  let ipend = -Infinity; // deferred seek target of the inner side not current
  // Outer dedup(X, C).
  let tc = tC[c]!;
  let useX = tx <= tc;
  let lastT = useX ? tx : tc;
  let px = useX ? 0 : INITIAL_PENALTY;
  let pc = useX ? INITIAL_PENALTY : 0;
  let opend = -Infinity; // deferred seek target of the outer side not current
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
    if (useX) {
      // X is current (lastT = iLast, px = 0, the inner current side's penalty 0): while that
      // leaf's next sample surely wins both the inner and the outer merge, a Next is one step of
      // the leaf and both penalties become 2 × the step. Breaking out leaves only the pending
      // targets updated, which the general path below recomputes to the same values.
      if (inA) {
        for (;;) {
          const base = lastT + 1;
          let t = base + pc;
          if (t > opend) opend = t;
          t = base + pb;
          if (t > ipend) ipend = t;
          if (a + 1 === aEnd) break;
          const tn = tA[a + 1]!;
          if (!((tn < ipend || tn <= tb) && (tn < opend || tn <= tc))) break;
          a++;
          pb = pc = 2 * (tn - lastT);
          ta = iLast = tx = lastT = tn;
          oT[o] = tn;
          lastV = oV[o] = vA[a]! + adjA;
          if (oS !== null) oS[o] = 0;
          o++;
        }
      } else {
        for (;;) {
          const base = lastT + 1;
          let t = base + pc;
          if (t > opend) opend = t;
          t = base + pa;
          if (t > ipend) ipend = t;
          if (b + 1 === bEnd) break;
          const tn = tB[b + 1]!;
          if (!((tn < ipend || tn < ta) && (tn < opend || tn <= tc))) break;
          b++;
          pa = pc = 2 * (tn - lastT);
          tb = iLast = tx = lastT = tn;
          oT[o] = tn;
          lastV = oV[o] = vB[b]! + adjB;
          if (oS !== null) oS[o] = 0;
          o++;
        }
      }
    } else {
      // C is current (pc = 0): the same while C's next sample surely wins.
      for (;;) {
        const t = lastT + 1 + px;
        if (t > opend) opend = t;
        if (c + 1 === cEnd) break;
        const tn = tC[c + 1]!;
        if (!(tn < opend || tn < tx)) break;
        c++;
        px = 2 * (tn - lastT);
        tc = lastT = tn;
        oT[o] = tn;
        lastV = oV[o] = vC[c]! + adjC;
        if (oS !== null) oS[o] = 0;
        o++;
      }
    }
    const base = lastT + 1;
    let xTarget: number;
    let cGone = false;
    if (useX) {
      // px = 0: X's seek is one inner Next; C's seek is deferred.
      const t = base + pc;
      if (t > opend) opend = t;
      xTarget = base;
    } else {
      // pc = 0: C's seek is one step; X's seek is deferred while C's next sample surely wins.
      const t = base + px;
      if (t > opend) opend = t;
      if (++c === cEnd) {
        cGone = true;
      } else {
        tc = tC[c]!;
        if (tc < opend || tc < tx) {
          px = 2 * (tc - lastT);
          lastT = tc;
          continue;
        }
      }
      xTarget = opend;
    }
    // Seek X: inner Nexts (each with the same deferral of the inner side not current).
    while (tx < xTarget) {
      const ib = iLast + 1;
      let leafA = true; // after a leaf runs out: which leaf X continues on
      if (inA) {
        const t = ib + pb;
        if (t > ipend) ipend = t;
        if (++a === aEnd) {
          // The inner merge switches to B (if B is left), raised against A's last sample.
          while (b < bEnd && tB[b]! < ipend) b++;
          if (b < bEnd) adjB = raise(adjB, vB[b]!, vA[a - 1]! + adjA);
          leafA = false;
        } else {
          ta = tA[a]!;
          if (ta < ipend || ta <= tb) {
            pb = 2 * (ta - iLast);
            iLast = tx = ta;
            continue;
          }
          while (tb < ipend) {
            if (++b === bEnd) break;
            tb = tB[b]!;
          }
          if (b !== bEnd) {
            ipend = -Infinity;
            if (ta <= tb) {
              pb = 2 * (ta - iLast);
              iLast = tx = ta;
            } else {
              adjB = raise(adjB, vB[b]!, vA[a - 1]! + adjA);
              inA = false;
              pa = 2 * (tb - iLast);
              pb = 0;
              iLast = tx = tb;
            }
            continue;
          }
          // B ran out in its seek: X stays on A (no switch).
        }
      } else {
        const t = ib + pa;
        if (t > ipend) ipend = t;
        if (++b === bEnd) {
          // The inner merge switches to A (if A is left), raised against B's last sample.
          while (a < aEnd && tA[a]! < ipend) a++;
          if (a < aEnd) adjA = raise(adjA, vA[a]!, vB[b - 1]! + adjB);
        } else {
          tb = tB[b]!;
          if (tb < ipend || tb < ta) {
            pa = 2 * (tb - iLast);
            iLast = tx = tb;
            continue;
          }
          while (ta < ipend) {
            if (++a === aEnd) break;
            ta = tA[a]!;
          }
          if (a !== aEnd) {
            ipend = -Infinity;
            if (ta <= tb) {
              adjA = raise(adjA, vA[a]!, vB[b - 1]! + adjB);
              inA = true;
              pb = 2 * (ta - iLast);
              pa = 0;
              iLast = tx = ta;
            } else {
              pa = 2 * (tb - iLast);
              iLast = tx = tb;
            }
            continue;
          }
          // A ran out in its seek: X stays on B (no switch).
          leafA = false;
        }
      }
      // A leaf ran out: X is the other leaf's run from its position (or gone). The outer Next in
      // progress continues on it, with the deferred outer seek folded into the penalties.
      const pxE = useX ? px : Math.max(px, opend - base);
      const pcE = useX ? Math.max(pc, opend - base) : pc;
      if (leafA ? a === aEnd : b === bEnd) return seekRaiseCopy(tC, vC, c, cEnd, base + pcE, adjC, useX, lastV, oT, oV, oS, o);
      if (cGone) {
        // Only reached with !useX: the outer merge switches to X.
        return leafA
          ? seekRaiseCopy(tA, vA, a, aEnd, base + pxE, adjA, true, lastV, oT, oV, oS, o)
          : seekRaiseCopy(tB, vB, b, bEnd, base + pxE, adjB, true, lastV, oT, oV, oS, o);
      }
      return leafA
        ? penaltyCounter2Resume(tA, vA, a, aEnd, adjA, tC, vC, c, cEnd, adjC, lastT, pxE, pcE, useX, lastV, oT, oV, oS, o)
        : penaltyCounter2Resume(tB, vB, b, bEnd, adjB, tC, vC, c, cEnd, adjC, lastT, pxE, pcE, useX, lastV, oT, oV, oS, o);
    }
    if (useX) {
      if (!(tx < opend || tx <= tc)) {
        while (tc < opend) {
          if (++c === cEnd) {
            cGone = true;
            break;
          }
          tc = tC[c]!;
        }
        if (!cGone) {
          opend = -Infinity;
          if (tx > tc) {
            adjC = raise(adjC, vC[c]!, lastV);
            useX = false;
            px = 2 * (tc - lastT);
            pc = 0;
            lastT = tc;
            continue;
          }
        }
      }
      if (!cGone) {
        pc = 2 * (tx - lastT);
        lastT = tx;
        continue;
      }
    } else if (!cGone) {
      opend = -Infinity;
      if (tx <= tc) {
        if (inA) adjA = raise(adjA, vA[a]!, lastV);
        else adjB = raise(adjB, vB[b]!, lastV);
        useX = true;
        pc = 2 * (tx - lastT);
        px = 0;
        lastT = tx;
      } else {
        px = 2 * (tc - lastT);
        lastT = tc;
      }
      continue;
    }
    // C is gone: the rest is X's stream, its current sample first (a switch if the outer merge was
    // on C), then the inner merge resumed with its deferral folded in.
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
    const d = ipend - (iLast + 1);
    return penaltyCounter2Resume(
      tA, vA, a, aEnd, adjA, tB, vB, b, bEnd, adjB,
      iLast, inA ? pa : Math.max(pa, d), inA ? Math.max(pb, d) : pb, inA, xv,
      oT, oV, oS, o + 1,
    );
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
