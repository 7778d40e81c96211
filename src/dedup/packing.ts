/**
 * Packed form of many replica groups, the unit of work crossing to a worker: every sample of every
 * replica in three flat columns, plus run offsets. Transferred (not copied) both ways.
 *
 * Input layout: replica run r is [replicaOffsets[r], replicaOffsets[r+1]); group g owns runs
 * groupOffsets[g] … groupOffsets[g+1]−1, in replica order. Output layout: group g's merged samples
 * are [offsets[g], offsets[g+1]).
 */
import { normaliseStale, type Samples } from '../model/samples.js';
import type { DedupOptions } from './types.js';

export interface PackedGroups {
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** Null when no replica in the task has a staleness marker. */
  readonly stale: Uint8Array | null;
  readonly replicaOffsets: Int32Array;
  readonly groupOffsets: Int32Array;
}

export interface PackedOutput {
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly stale: Uint8Array | null;
  readonly offsets: Int32Array;
}

/** What the worker receives. */
export interface DedupTask {
  readonly opts: DedupOptions;
  readonly input: PackedGroups;
}

/** Copies the groups' replica samples into one packed task input (fresh buffers the task owns). */
export function packGroups(groups: readonly (readonly Samples[])[]): PackedGroups {
  let total = 0;
  let runs = 0;
  let withStale = false;
  for (const g of groups) {
    runs += g.length;
    for (const r of g) {
      total += r.timestamps.length;
      if (r.stale !== null) withStale = true;
    }
  }
  if (total > 0x7fffffff) throw new RangeError(`too many samples for one dedup task: ${total}`);
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  const stale = withStale ? new Uint8Array(total) : null;
  const replicaOffsets = new Int32Array(runs + 1);
  const groupOffsets = new Int32Array(groups.length + 1);
  let o = 0;
  let run = 0;
  for (let g = 0; g < groups.length; g++) {
    groupOffsets[g] = run;
    for (const r of groups[g]!) {
      replicaOffsets[run++] = o;
      timestamps.set(r.timestamps, o);
      values.set(r.values, o);
      if (stale !== null && r.stale !== null) stale.set(r.stale, o);
      o += r.timestamps.length;
    }
  }
  groupOffsets[groups.length] = run;
  replicaOffsets[run] = o;
  return { timestamps, values, stale, replicaOffsets, groupOffsets };
}

/** The buffers to transfer with a packed value. Each column owns its whole buffer. */
export function packedBuffers(p: PackedGroups | PackedOutput): ArrayBuffer[] {
  const list: ArrayBuffer[] = [p.timestamps.buffer as ArrayBuffer, p.values.buffer as ArrayBuffer];
  if (p.stale !== null) list.push(p.stale.buffer as ArrayBuffer);
  list.push(('offsets' in p ? p.offsets : p.replicaOffsets).buffer as ArrayBuffer);
  if ('groupOffsets' in p) list.push(p.groupOffsets.buffer as ArrayBuffer);
  return list;
}

/** Number of samples in a packed input. */
export function packedSize(p: PackedGroups): number {
  return p.replicaOffsets[p.replicaOffsets.length - 1]!;
}

/** One Samples per group: views on the output buffers (no copy). */
export function unpackOutput(out: PackedOutput): Samples[] {
  const res: Samples[] = [];
  const n = out.offsets.length - 1;
  for (let g = 0; g < n; g++) {
    const from = out.offsets[g]!;
    const to = out.offsets[g + 1]!;
    res.push({
      timestamps: out.timestamps.subarray(from, to),
      values: out.values.subarray(from, to),
      stale: out.stale !== null ? normaliseStale(out.stale.subarray(from, to)) : null,
    });
  }
  return res;
}
