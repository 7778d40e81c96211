/**
 * Merges every group of a packed task (the worker's job, also run inline for small requests).
 *
 * Takes ownership of the input and writes the output into the input's own columns: each group is
 * merged into a small cache-resident scratch, then copied back over input that has already been read
 * (group g's output starts at or before its input and is never longer). So no fresh memory is touched
 * (no page faults), and the same buffers go back to the caller. Counter mode first compacts NaNs out
 * of the input in place.
 */
import { chain2, chainRuns } from './chain.js';
import { dropNaNPacked } from './counter.js';
import type { PackedGroups, PackedOutput } from './packing.js';
import { penalty2, penaltyRuns } from './penalty.js';
import type { DedupOptions } from './types.js';

// Per-group run descriptors for groups of 3+ replicas, reused (merges are synchronous).
const runT: Float64Array[] = [];
const runV: Float64Array[] = [];
const runS: (Uint8Array | null)[] = [];
const runStart: number[] = [];
const runEnd: number[] = [];

// Output scratch for one group, grown to the largest group seen.
let gT = new Float64Array(4096);
let gV = new Float64Array(4096);
let gS = new Uint8Array(4096);

export function mergePacked(input: PackedGroups, opts: DedupOptions): PackedOutput {
  const { timestamps: t, values: v, replicaOffsets: ro, groupOffsets: go } = input;
  const counter = opts.counter;
  const penalty = opts.func === 'penalty';
  let s = input.stale;
  if (counter) {
    dropNaNPacked(t, v, ro);
    s = null;
  }
  const groups = go.length - 1;
  const offsets = new Int32Array(groups + 1);
  let o = 0;
  for (let g = 0; g < groups; g++) {
    offsets[g] = o;
    const r0 = go[g]!;
    const n = go[g + 1]! - r0;
    const size = ro[r0 + n]! - ro[r0]!;
    if (gT.length < size) {
      const cap = Math.max(size, gT.length * 2);
      gT = new Float64Array(cap);
      gV = new Float64Array(cap);
      gS = new Uint8Array(cap);
    }
    const oS = s !== null ? gS : null;
    let len: number;
    if (n === 2) {
      const a = ro[r0]!;
      const b = ro[r0 + 1]!;
      const bEnd = ro[r0 + 2]!;
      len = penalty
        ? penalty2(t, v, s, a, b, t, v, s, b, bEnd, counter, gT, gV, oS, 0)
        : chain2(t, v, s, a, b, t, v, s, b, bEnd, gT, gV, oS, 0);
    } else {
      runT.length = runV.length = runS.length = runStart.length = runEnd.length = 0;
      for (let r = 0; r < n; r++) {
        runT.push(t);
        runV.push(v);
        runS.push(s);
        runStart.push(ro[r0 + r]!);
        runEnd.push(ro[r0 + r + 1]!);
      }
      len = penalty
        ? penaltyRuns(runT, runV, runS, runStart, runEnd, n, counter, gT, gV, oS, 0)
        : chainRuns(runT, runV, runS, runStart, runEnd, n, gT, gV, oS, 0);
    }
    // o <= this group's input start and len <= its size: only consumed input is overwritten.
    t.set(gT.subarray(0, len), o);
    v.set(gV.subarray(0, len), o);
    if (s !== null) s.set(gS.subarray(0, len), o);
    o += len;
  }
  offsets[groups] = o;
  return { timestamps: t, values: v, stale: s, offsets };
}
