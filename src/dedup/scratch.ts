/** Column helpers shared by the merge kernels: run copies, reusable scratch columns, trimming. */
import { normaliseStale, type Samples } from '../model/samples.js';

/** Growable column set reused across merges on one thread (merges are synchronous). */
export interface Columns {
  t: Float64Array;
  v: Float64Array;
  s: Uint8Array | null;
}

let capacity = 0;
const pairX: Columns = { t: new Float64Array(0), v: new Float64Array(0), s: null };
const pairY: Columns = { t: new Float64Array(0), v: new Float64Array(0), s: null };
let staleX = new Uint8Array(0);
let staleY = new Uint8Array(0);
const pair: [Columns, Columns] = [pairX, pairY];

/**
 * Two scratch column sets with room for `n` samples each (the same two objects every call). Their
 * contents are only valid until the next call; `s` is null unless stale flags are wanted.
 */
export function scratchPair(n: number, withStale: boolean): [Columns, Columns] {
  if (capacity < n) {
    capacity = Math.max(n, capacity * 2, 1024);
    pairX.t = new Float64Array(capacity);
    pairX.v = new Float64Array(capacity);
    pairY.t = new Float64Array(capacity);
    pairY.v = new Float64Array(capacity);
    staleX = new Uint8Array(capacity);
    staleY = new Uint8Array(capacity);
  }
  pairX.s = withStale ? staleX : null;
  pairY.s = withStale ? staleY : null;
  return pair;
}

/** Copies run [from, to) to the output at `o`, adding `adj` to each value; returns the new end. */
export function copyRun(
  t: Float64Array,
  v: Float64Array,
  s: Uint8Array | null,
  from: number,
  to: number,
  adj: number,
  oT: Float64Array,
  oV: Float64Array,
  oS: Uint8Array | null,
  o: number,
): number {
  const n = to - from;
  if (n <= 0) return o;
  oT.set(t.subarray(from, to), o);
  if (adj === 0) {
    oV.set(v.subarray(from, to), o);
  } else {
    for (let i = 0; i < n; i++) oV[o + i] = v[from + i]! + adj;
  }
  if (oS !== null) {
    if (s !== null) oS.set(s.subarray(from, to), o);
    else oS.fill(0, o, o + n);
  }
  return o + n;
}

/** Samples of the first `n` output slots, copied to tight arrays when the buffers are larger. */
export function tightSamples(t: Float64Array, v: Float64Array, s: Uint8Array | null, n: number): Samples {
  if (n === t.length) return { timestamps: t, values: v, stale: s ? normaliseStale(s) : null };
  return {
    timestamps: t.slice(0, n),
    values: v.slice(0, n),
    stale: s ? normaliseStale(s.slice(0, n)) : null,
  };
}

/** A merge kernel over replica runs (t/v/s columns, [start, end) per replica) writing from output index `o`. */
export type RunsMerge = (
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
) => number;

/** Merges whole replicas with `merge` into new, exactly sized columns. */
export function mergeWhole(reps: readonly Samples[], merge: RunsMerge): Samples {
  let total = 0;
  let withStale = false;
  for (const r of reps) {
    total += r.timestamps.length;
    if (r.stale !== null) withStale = true;
  }
  const oT = new Float64Array(total);
  const oV = new Float64Array(total);
  const oS = withStale ? new Uint8Array(total) : null;
  const len = merge(
    reps.map((r) => r.timestamps),
    reps.map((r) => r.values),
    reps.map((r) => r.stale),
    reps.map(() => 0),
    reps.map((r) => r.timestamps.length),
    reps.length,
    oT,
    oV,
    oS,
    0,
  );
  return tightSamples(oT, oV, oS, len);
}
