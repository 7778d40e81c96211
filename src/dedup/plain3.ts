/**
 * Plain (non-counter) penalty merge of exactly three replicas, dedup(dedup(A, B), C), in one pass.
 *
 * Without counter mode the inner merge X = dedup(A, B) emits the same stream however it is driven
 * (its Seek is repeated Next), so the outer merge can pull X's samples from an inlined inner merge
 * instead of materialising X first. Both merges' state lives in locals. When a leaf runs out the
 * rest is a two-run merge resumed with the current state (penaltyPlain2Resume), deferred seeks
 * folded into the penalties it starts from.
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
 * Both merges use runs2.ts' fast path: while a side stays current, the seek of the side not current
 * is deferred to the largest pending target as long as the current side's next sample surely wins.
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
  let ipend = -Infinity; // deferred seek target of the inner side not current
  // Outer dedup(X, C).
  let tc = tC[c]!;
  let useX = tx <= tc;
  let lastT = useX ? tx : tc;
  let px = useX ? 0 : INITIAL_PENALTY;
  let pc = useX ? INITIAL_PENALTY : 0;
  let opend = -Infinity; // deferred seek target of the outer side not current
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
          while (b < bEnd && tB[b]! < ipend) b++;
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
              inA = false;
              pa = 2 * (tb - iLast);
              pb = 0;
              iLast = tx = tb;
            }
            continue;
          }
        }
      } else {
        const t = ib + pa;
        if (t > ipend) ipend = t;
        if (++b === bEnd) {
          while (a < aEnd && tA[a]! < ipend) a++;
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
          leafA = false;
        }
      }
      // A leaf ran out: X is the other leaf's run from its position (or gone). The outer Next in
      // progress continues on it, with the deferred outer seek folded into the penalties.
      const pxE = useX ? px : Math.max(px, opend - base);
      const pcE = useX ? Math.max(pc, opend - base) : pc;
      if (leafA ? a === aEnd : b === bEnd) return seekCopy(tC, vC, sC, c, cEnd, base + pcE, oT, oV, oS, o);
      if (cGone) {
        return leafA
          ? seekCopy(tA, vA, sA, a, aEnd, base + pxE, oT, oV, oS, o)
          : seekCopy(tB, vB, sB, b, bEnd, base + pxE, oT, oV, oS, o);
      }
      return leafA
        ? penaltyPlain2Resume(tA, vA, sA, a, aEnd, tC, vC, sC, c, cEnd, lastT, pxE, pcE, oT, oV, oS, o)
        : penaltyPlain2Resume(tB, vB, sB, b, bEnd, tC, vC, sC, c, cEnd, lastT, pxE, pcE, oT, oV, oS, o);
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
    // C is gone: the rest is X's stream, its current sample first (inner deferral folded in).
    if (inA) {
      oT[o] = ta;
      oV[o] = vA[a]!;
      if (oS !== null) oS[o] = sA !== null ? sA[a]! : 0;
    } else {
      oT[o] = tb;
      oV[o] = vB[b]!;
      if (oS !== null) oS[o] = sB !== null ? sB[b]! : 0;
    }
    const d = ipend - (iLast + 1);
    return penaltyPlain2Resume(tA, vA, sA, a, aEnd, tB, vB, sB, b, bEnd, iLast, inA ? pa : Math.max(pa, d), inA ? Math.max(pb, d) : pb, oT, oV, oS, o + 1);
  }
}
