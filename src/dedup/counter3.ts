/**
 * Counter-mode penalty merge of exactly three replicas: dedup(dedup(A, B), C) with live nesting, as
 * nested.ts models it for any N, but flattened for speed (3 HA replicas under rate() is common).
 * The inner pair is a small object whose next() the outer loop calls (V8 inlines it); the outer
 * node's state lives in locals. Inputs must be NaN-free and non-empty where stated.
 */
import { INITIAL_PENALTY_MS } from './constants.js';

/** dedup(A, B) with counter adjustment, stepped by the outer merge. */
class InnerPair {
  p0: number;
  p1: number;
  adj0 = 0;
  adj1 = 0;
  useA = true;
  aLive: boolean;
  bLive: boolean;
  started = false;
  lastT = 0;
  penA = 0;
  penB = 0;

  constructor(
    readonly t0: Float64Array,
    readonly v0: Float64Array,
    p0: number,
    readonly e0: number,
    readonly t1: Float64Array,
    readonly v1: Float64Array,
    p1: number,
    readonly e1: number,
  ) {
    this.p0 = p0;
    this.p1 = p1;
    this.aLive = p0 < e0;
    this.bLive = p1 < e1;
  }

  atT(): number {
    return this.useA ? this.t0[this.p0]! : this.t1[this.p1]!;
  }

  at(): number {
    return this.useA ? this.v0[this.p0]! + this.adj0 : this.v1[this.p1]! + this.adj1;
  }

  /** Raises the replica currently emitted, if live and below `last` (adjustAtValue, emitted side only). */
  adjust(last: number): void {
    if (this.useA) {
      if (!this.aLive) return;
      const x = this.v0[this.p0]! + this.adj0;
      if (last > x) this.adj0 += last - x;
    } else {
      if (!this.bLive) return;
      const x = this.v1[this.p1]! + this.adj1;
      if (last > x) this.adj1 += last - x;
    }
  }

  next(): boolean {
    const wasA = this.useA;
    const hasLast = this.started && (wasA ? this.aLive : this.bLive);
    const lastV = hasLast ? this.at() : 0;
    if (this.started) {
      const base = this.lastT + 1;
      if (this.aLive) {
        const t0 = this.t0;
        const e0 = this.e0;
        const target = base + this.penA;
        let p = this.p0;
        while (p < e0 && t0[p]! < target) p++;
        this.p0 = p;
        this.aLive = p < e0;
      }
      if (this.bLive) {
        const t1 = this.t1;
        const e1 = this.e1;
        const target = base + this.penB;
        let p = this.p1;
        while (p < e1 && t1[p]! < target) p++;
        this.p1 = p;
        this.bLive = p < e1;
      }
    }
    let ok = true;
    if (!this.aLive) {
      this.useA = false;
      if (this.bLive) {
        this.lastT = this.t1[this.p1]!;
        this.penB = 0;
        this.started = true;
      } else {
        ok = false;
      }
    } else if (!this.bLive) {
      this.useA = true;
      this.lastT = this.t0[this.p0]!;
      this.penA = 0;
      this.started = true;
    } else {
      const ta = this.t0[this.p0]!;
      const tb = this.t1[this.p1]!;
      if (ta <= tb) {
        this.useA = true;
        this.penB = this.started ? 2 * (ta - this.lastT) : INITIAL_PENALTY_MS;
        this.penA = 0;
        this.lastT = ta;
      } else {
        this.useA = false;
        this.penA = this.started ? 2 * (tb - this.lastT) : INITIAL_PENALTY_MS;
        this.penB = 0;
        this.lastT = tb;
      }
      this.started = true;
    }
    if (hasLast && this.useA !== wasA) this.adjust(lastV);
    return ok;
  }
}

/** Merges runs A, B, C (counter mode) into the output from `o`; returns the new end. */
export function penaltyCounter3(
  t0: Float64Array,
  v0: Float64Array,
  p0: number,
  e0: number,
  t1: Float64Array,
  v1: Float64Array,
  p1: number,
  e1: number,
  t2: Float64Array,
  v2: Float64Array,
  p2: number,
  e2: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  const inner = new InnerPair(t0, v0, p0, e0, t1, v1, p1, e1);
  let adj2 = 0;
  let useA = true;
  let aLive = inner.next();
  let bLive = p2 < e2;
  let started = false;
  let lastT = 0;
  let penA = 0;
  let penB = 0;
  for (;;) {
    const wasA: boolean = useA;
    const hasLast = started && (wasA ? aLive : bLive);
    const lastV = hasLast ? (wasA ? inner.at() : v2[p2]! + adj2) : 0;
    if (started) {
      const base = lastT + 1;
      if (aLive) {
        const target = base + penA;
        while (inner.atT() < target) {
          if (!inner.next()) {
            aLive = false;
            break;
          }
        }
      }
      if (bLive) {
        const target = base + penB;
        while (p2 < e2 && t2[p2]! < target) p2++;
        bLive = p2 < e2;
      }
    }
    if (!aLive) {
      useA = false;
      if (!bLive) return o;
      lastT = t2[p2]!;
      penB = 0;
    } else if (!bLive) {
      useA = true;
      lastT = inner.atT();
      penA = 0;
    } else {
      const ta = inner.atT();
      const tb = t2[p2]!;
      if (ta <= tb) {
        useA = true;
        penB = started ? 2 * (ta - lastT) : INITIAL_PENALTY_MS;
        penA = 0;
        lastT = ta;
      } else {
        useA = false;
        penA = started ? 2 * (tb - lastT) : INITIAL_PENALTY_MS;
        penB = 0;
        lastT = tb;
      }
    }
    started = true;
    if (hasLast && useA !== wasA) {
      if (useA) {
        if (aLive) inner.adjust(lastV);
      } else if (bLive) {
        const x = v2[p2]! + adj2;
        if (lastV > x) adj2 += lastV - x;
      }
    }
    if (useA) {
      oT[o] = inner.atT();
      oV[o] = inner.at();
    } else {
      oT[o] = t2[p2]!;
      oV[o] = v2[p2]! + adj2;
    }
    if (oS !== null) oS[o] = 0;
    o++;
  }
}
