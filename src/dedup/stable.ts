/**
 * The `stable` deduplication: a window-stable merge. The sample emitted at time t depends only on the
 * replicas' samples in (t − STABLE_NEIGHBOURHOOD_MS, t], never on where the select window opened, so
 * answers of split or cached queries equal the unsplit answer (given the select reaches back that
 * far; see docs/deduplication.md).
 *
 * Rule:
 * - Replica r is *live* at t when its last sample a1 ≤ t satisfies t − a1 < limit, where
 *   limit = 2 × (a1 − a0) for its previous sample a0 when a1 − a0 < LIVE_MAX_MS / 2, else LIVE_MAX_MS
 *   (also when r has no earlier sample). A replica is always live at its own sample times.
 * - The *leader* at t is the lowest-indexed live replica. A sample of replica r at t is emitted iff
 *   r leads at t. One leader per time: no timestamp twice; output ⊆ union of the inputs.
 * - With one replica every sample is emitted.
 * - Counter mode (NaN-free inputs): at a switch (two consecutive emitted samples from different
 *   replicas, at most CLAMP_MS apart) where the new replica's raw value is below the last emitted raw
 *   value, the new replica's values are held at that value until they reach it, for at most CLAMP_MS
 *   after the switch. Nothing accumulates: the correction depends only on the switch itself, so it is
 *   the same whichever window the merge ran on. A genuine counter reset across a switch reaches
 *   PromQL CLAMP_MS late, as a reset.
 */

import type { Samples } from '../model/samples.js';
import { dropNaN } from './counter.js';
import { mergeWhole } from './scratch.js';

/** Longest gap over which a replica stays live (also the gap after a replica's first sample). */
export const LIVE_MAX_MS = 5 * 60_000;
/** Longest counter hold after a switch, and longest gap between the samples compared at a switch. */
export const CLAMP_MS = 5 * 60_000;
/**
 * How far back from t the merge looks: samples at t ≥ (first select time) + this are exact. Leadership
 * needs 1.5 × LIVE_MAX_MS; the counter hold looks back two CLAMP_MS before that.
 */
export const STABLE_NEIGHBOURHOOD_MS = 2 * CLAMP_MS + (3 * LIVE_MAX_MS) / 2;

/** True when replica r (last sample index j in [start, ·)) is live at time `at`. */
function live(t: Float64Array, j: number, start: number, at: number): boolean {
  if (j < start) return false;
  const a1 = t[j]!;
  const age = at - a1;
  if (age === 0) return true;
  let limit = LIVE_MAX_MS;
  if (j > start) {
    const d = a1 - t[j - 1]!;
    if (d < LIVE_MAX_MS / 2) limit = 2 * d;
  }
  return age < limit;
}

/**
 * Merges `n` replica runs (same layout as penaltyRuns) into the output from `o`; returns the index
 * after the last sample written. Counter mode expects NaN-free runs.
 */
export function stableRuns(
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
  // next[r]: index of r's next unread sample; r's last sample ≤ the current time is next[r] − 1.
  const next = new Int32Array(n);
  for (let r = 0; r < n; r++) next[r] = start[r]!;
  let prevT = -Infinity;
  let prevRaw = 0;
  let prevR = -1;
  // Counter hold: values of replica holdR below holdTo are raised to it until holdUntil.
  let holdR = -1;
  let holdTo = 0;
  let holdUntil = -Infinity;
  for (;;) {
    let now = Infinity;
    for (let r = 0; r < n; r++) {
      if (next[r]! < end[r]!) {
        const x = t[r]![next[r]!]!;
        if (x < now) now = x;
      }
    }
    if (now === Infinity) break;
    for (let r = 0; r < n; r++) if (next[r]! < end[r]! && t[r]![next[r]!] === now) next[r]!++;
    let lead = -1;
    for (let r = 0; r < n; r++) {
      if (live(t[r]!, next[r]! - 1, start[r]!, now)) {
        lead = r;
        break;
      }
    }
    const j = next[lead]! - 1;
    if (t[lead]![j] !== now) continue; // the leader has no sample here: the others' are not emitted
    const raw = v[lead]![j]!;
    let val = raw;
    if (counter) {
      if (lead !== prevR) {
        holdR = -1;
        if (prevR >= 0 && now - prevT <= CLAMP_MS && raw < prevRaw) {
          holdR = lead;
          holdTo = prevRaw;
          holdUntil = now + CLAMP_MS;
        }
      }
      if (holdR === lead) {
        if (raw < holdTo && now <= holdUntil) val = holdTo;
        else holdR = -1;
      }
    }
    oT[o] = now;
    oV[o] = val;
    if (oS !== null) {
      const sr = s[lead]!;
      oS[o] = sr !== null ? sr[j]! : 0;
    }
    o++;
    prevT = now;
    prevRaw = raw;
    prevR = lead;
  }
  return o;
}

/** Stable-merges the replicas of one group, ordered as given, into new columns. */
export function mergeStable(replicas: readonly Samples[], counter = false): Samples {
  return mergeWhole(counter ? replicas.map(dropNaN) : replicas, (t, v, s, start, end, n, oT, oV, oS, o) =>
    stableRuns(t, v, s, start, end, n, counter, oT, oV, oS, o),
  );
}
