/**
 * The penalty merge of N ≥ 2 replicas as Thanos nests it: node k (1..N−1) deduplicates child A =
 * node k−1 (leaf 0 for k = 1) with child B = leaf k. The outer node drives the inner one through
 * Seek (repeated Next), and a switch at any node adjusts the leaf it now emits (counter mode).
 *
 * This is the exact model for counter mode with 3+ replicas, where adjustments made by an outer
 * switch change the values the inner node reports afterwards. State lives in small typed arrays
 * (one slot per node or leaf), not in objects per sample. "Item" k is leaf 0 for k = 0, node k else.
 */
import { INITIAL_PENALTY_MS } from './constants.js';

class NestedState {
  readonly t: readonly Float64Array[];
  readonly v: readonly Float64Array[];
  readonly pos: Int32Array;
  readonly end: Int32Array;
  readonly adj: Float64Array;
  readonly lastT: Float64Array;
  readonly penA: Float64Array;
  readonly penB: Float64Array;
  /** Per node: bit 1 useA, bit 2 A live, bit 4 B live, bit 8 started. */
  readonly flags: Uint8Array;
  readonly counter: boolean;

  constructor(t: readonly Float64Array[], v: readonly Float64Array[], start: ArrayLike<number>, end: ArrayLike<number>, n: number, counter: boolean) {
    this.t = t;
    this.v = v;
    this.pos = new Int32Array(n);
    this.end = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.pos[i] = start[i]!;
      this.end[i] = end[i]!;
    }
    this.adj = new Float64Array(n);
    this.lastT = new Float64Array(n);
    this.penA = new Float64Array(n);
    this.penB = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.counter = counter;
  }
}

const USE_A = 1;
const A_LIVE = 2;
const B_LIVE = 4;
const STARTED = 8;

/** Leaf index whose current sample item k reports. */
function itemLeaf(st: NestedState, k: number): number {
  while (k > 0 && (st.flags[k]! & USE_A) !== 0) k--;
  return k;
}

function leafSeek(st: NestedState, i: number, target: number): boolean {
  const t = st.t[i]!;
  const end = st.end[i]!;
  let p = st.pos[i]!;
  while (p < end && t[p]! < target) p++;
  st.pos[i] = p;
  return p < end;
}

function leafAdjust(st: NestedState, i: number, last: number): void {
  const x = st.v[i]![st.pos[i]!]! + st.adj[i]!;
  if (last > x) st.adj[i] = st.adj[i]! + (last - x);
}

/** Raises the leaf that node k currently emits (down its chosen sides), if live. */
function itemAdjust(st: NestedState, k: number, last: number): void {
  while (k > 0) {
    const f = st.flags[k]!;
    if ((f & USE_A) === 0) {
      if ((f & B_LIVE) !== 0) leafAdjust(st, k, last);
      return;
    }
    if ((f & A_LIVE) === 0) return;
    k--;
  }
  leafAdjust(st, 0, last);
}

function itemSeek(st: NestedState, k: number, target: number): boolean {
  if (k === 0) return leafSeek(st, 0, target);
  for (;;) {
    const i = itemLeaf(st, k);
    if (st.t[i]![st.pos[i]!]! >= target) return true;
    if (!nodeNext(st, k)) return false;
  }
}

/** One Next() of node k; false when the node is exhausted. */
function nodeNext(st: NestedState, k: number): boolean {
  let f = st.flags[k]!;
  const lastUseA = (f & USE_A) !== 0;
  // Nothing was emitted before the first Next, so its pick is not a switch.
  const hasLast = (f & STARTED) !== 0 && (lastUseA ? (f & A_LIVE) !== 0 : (f & B_LIVE) !== 0);
  let lastV = 0;
  if (st.counter && hasLast) {
    const i = lastUseA ? itemLeaf(st, k - 1) : k;
    lastV = st.v[i]![st.pos[i]!]! + st.adj[i]!;
  }
  const started = (f & STARTED) !== 0;
  const lastT = st.lastT[k]!;
  if (started) {
    if ((f & A_LIVE) !== 0 && !itemSeek(st, k - 1, lastT + 1 + st.penA[k]!)) f &= ~A_LIVE;
    if ((f & B_LIVE) !== 0 && !leafSeek(st, k, lastT + 1 + st.penB[k]!)) f &= ~B_LIVE;
  }
  let ok = true;
  if ((f & A_LIVE) === 0) {
    f &= ~USE_A;
    if ((f & B_LIVE) !== 0) {
      st.lastT[k] = st.t[k]![st.pos[k]!]!;
      st.penB[k] = 0;
      f |= STARTED;
    } else {
      ok = false;
    }
  } else {
    const ia = itemLeaf(st, k - 1);
    const ta = st.t[ia]![st.pos[ia]!]!;
    if ((f & B_LIVE) === 0) {
      f |= USE_A;
      st.lastT[k] = ta;
      st.penA[k] = 0;
    } else {
      const tb = st.t[k]![st.pos[k]!]!;
      if (ta <= tb) {
        f |= USE_A;
        st.penB[k] = started ? 2 * (ta - lastT) : INITIAL_PENALTY_MS;
        st.penA[k] = 0;
        st.lastT[k] = ta;
      } else {
        f &= ~USE_A;
        st.penA[k] = started ? 2 * (tb - lastT) : INITIAL_PENALTY_MS;
        st.penB[k] = 0;
        st.lastT[k] = tb;
      }
    }
    f |= STARTED;
  }
  st.flags[k] = f;
  if (st.counter && hasLast && ((f & USE_A) !== 0) !== lastUseA) itemAdjust(st, k, lastV);
  return ok;
}

/**
 * Merges `n` ≥ 2 runs with the nested model into the output from index `o`; returns the new end.
 * Counter mode expects NaN-free runs.
 */
export function penaltyNested(
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
  const st = new NestedState(t, v, start, end, n, counter);
  // Construction: node k advances its children once (node k−1 is already built).
  for (let k = 1; k < n; k++) {
    let f = USE_A;
    if (k === 1 ? st.pos[0]! < st.end[0]! : nodeNext(st, k - 1)) f |= A_LIVE;
    if (st.pos[k]! < st.end[k]!) f |= B_LIVE;
    st.flags[k] = f;
  }
  const top = n - 1;
  while (nodeNext(st, top)) {
    const i = itemLeaf(st, top);
    const p = st.pos[i]!;
    oT[o] = t[i]![p]!;
    oV[o] = counter ? v[i]![p]! + st.adj[i]! : v[i]![p]!;
    if (oS !== null) {
      const si = s[i]!;
      oS[o] = si !== null ? si[p]! : 0;
    }
    o++;
  }
  return o;
}
