/** Column helpers shared by the merge kernels: run copies, reusable scratch columns, trimming. */
import { normaliseStale, type Samples } from '../model/samples.js';

/** Growable column set reused across merges on one thread (merges are synchronous). */
export interface Columns {
  t: Float64Array;
  v: Float64Array;
  s: Uint8Array | null;
}

const NO_STALE = new Uint8Array(0);
let scratchX: { t: Float64Array; v: Float64Array; s: Uint8Array } = { t: new Float64Array(0), v: new Float64Array(0), s: NO_STALE };
let scratchY: { t: Float64Array; v: Float64Array; s: Uint8Array } = { t: new Float64Array(0), v: new Float64Array(0), s: NO_STALE };

function grow(c: { t: Float64Array; v: Float64Array; s: Uint8Array }, n: number): { t: Float64Array; v: Float64Array; s: Uint8Array } {
  if (c.t.length >= n) return c;
  const cap = Math.max(n, c.t.length * 2, 1024);
  return { t: new Float64Array(cap), v: new Float64Array(cap), s: new Uint8Array(cap) };
}

/**
 * Two scratch column sets with room for `n` samples each. Their contents are only valid until the
 * next call; `s` is null unless stale flags are wanted.
 */
export function scratchPair(n: number, withStale: boolean): [Columns, Columns] {
  scratchX = grow(scratchX, n);
  scratchY = grow(scratchY, n);
  return [
    { t: scratchX.t, v: scratchX.v, s: withStale ? scratchX.s : null },
    { t: scratchY.t, v: scratchY.v, s: withStale ? scratchY.s : null },
  ];
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
