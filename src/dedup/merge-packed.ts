/**
 * Merges every group of a packed task (the worker's job, also run inline for small requests).
 * Takes ownership of the input: counter mode compacts NaNs out of it in place.
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

export function mergePacked(input: PackedGroups, opts: DedupOptions): PackedOutput {
  const { timestamps: t, values: v, replicaOffsets: ro, groupOffsets: go } = input;
  const counter = opts.counter;
  const penalty = opts.func === 'penalty';
  let s = input.stale;
  let total = ro[ro.length - 1]!;
  if (counter) {
    total = dropNaNPacked(t, v, ro);
    s = null;
  }
  const groups = go.length - 1;
  const oT = new Float64Array(total);
  const oV = new Float64Array(total);
  const oS = s !== null ? new Uint8Array(total) : null;
  const offsets = new Int32Array(groups + 1);
  let o = 0;
  for (let g = 0; g < groups; g++) {
    offsets[g] = o;
    const r0 = go[g]!;
    const n = go[g + 1]! - r0;
    if (n === 2) {
      const a = ro[r0]!;
      const b = ro[r0 + 1]!;
      const bEnd = ro[r0 + 2]!;
      o = penalty
        ? penalty2(t, v, s, a, b, t, v, s, b, bEnd, counter, oT, oV, oS, o)
        : chain2(t, v, s, a, b, t, v, s, b, bEnd, oT, oV, oS, o);
      continue;
    }
    runT.length = runV.length = runS.length = runStart.length = runEnd.length = 0;
    for (let r = 0; r < n; r++) {
      runT.push(t);
      runV.push(v);
      runS.push(s);
      runStart.push(ro[r0 + r]!);
      runEnd.push(ro[r0 + r + 1]!);
    }
    o = penalty
      ? penaltyRuns(runT, runV, runS, runStart, runEnd, n, counter, oT, oV, oS, o)
      : chainRuns(runT, runV, runS, runStart, runEnd, n, oT, oV, oS, o);
  }
  offsets[groups] = o;
  if (o === total) return { timestamps: oT, values: oV, stale: oS, offsets };
  // Tight copies: halves what is transferred back and retained by the results.
  return { timestamps: oT.slice(0, o), values: oV.slice(0, o), stale: oS !== null ? oS.slice(0, o) : null, offsets };
}
