/**
 * Dedup provenance: which replica served which time span of a merged series, where the leader
 * switched and why. Worked out after the merge from the replicas' timestamps and the merged ones,
 * so the kernels stay as they are: a merged sample at time t came from the replica that has a
 * sample at t, the current one first, then the earlier replica (the kernels' tie rule). Pure.
 */
import type { Labels } from '../model/labels.js';
import type { DedupFunc } from './types.js';

/** Penalty before the first emitted sample (the kernels' and Thanos' initial penalty). */
const INITIAL_PENALTY_MS = 5000;

export interface ReplicaSpan {
  /** Index into `replicas`. */
  readonly replica: number;
  /** First and last merged sample served by it, ms. */
  readonly start: number;
  readonly end: number;
  readonly samples: number;
}

export interface LeaderSwitch {
  /** Time of the first sample from `to`, ms. */
  readonly at: number;
  readonly from: number;
  readonly to: number;
  /** The last sample taken from `from` before the switch, ms. */
  readonly lastFrom: number;
  /** `from`'s next sample after that one (its gap ends there), ms; null: it had no more. */
  readonly nextFrom: number | null;
  /**
   * Penalty: how far past lastFrom another replica had to be looked for (2× the last step, 5 s
   * before the second sample). `from` lost because its next sample came later than `to`'s first
   * one past that. Null for the chain (union) merge, which has no penalty.
   */
  readonly penaltyMs: number | null;
}

export interface SeriesProvenance {
  /** The merged series' labels (replica labels removed). */
  readonly labels: Labels;
  readonly replicas: readonly { readonly labels: Labels; readonly samplesIn: number; readonly samplesUsed: number }[];
  readonly spans: readonly ReplicaSpan[];
  readonly switches: readonly LeaderSwitch[];
}

/** First index of `ts` whose time is >= t. */
function firstAtOrAfter(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Attributes every merged timestamp to a replica and cuts the result into spans and switches.
 * `replicaTimes[r]` and `merged` are increasing. Only samples at or after `from` are traced (the
 * stable merge reads further back than the query's window; what it read there is not the answer's).
 */
export function traceProvenance(
  labels: Labels,
  replicaLabels: readonly Labels[],
  replicaTimes: readonly ArrayLike<number>[],
  merged: ArrayLike<number>,
  func: DedupFunc,
  from = -Infinity,
): SeriesProvenance {
  const n = replicaTimes.length;
  // per replica: first index with time >= the current merged time
  const first = replicaTimes.map((ts) => (from === -Infinity ? 0 : firstAtOrAfter(ts, from)));
  const at = [...first];
  const k0 = from === -Infinity ? 0 : firstAtOrAfter(merged, from);
  const used = new Array<number>(n).fill(0);
  const spans: ReplicaSpan[] = [];
  const switches: LeaderSwitch[] = [];
  let current = -1;
  let spanStart = 0;
  let spanSamples = 0;
  for (let k = k0; k < merged.length; k++) {
    const t = merged[k]!;
    let from = -1;
    for (let r = 0; r < n; r++) {
      const ts = replicaTimes[r]!;
      let i = at[r]!;
      while (i < ts.length && ts[i]! < t) i++;
      at[r] = i;
      if (i < ts.length && ts[i] === t && (from === -1 || r === current)) from = r;
    }
    if (from === -1) from = current === -1 ? 0 : current; // not found (cannot happen for merged samples): keep the span
    used[from]!++;
    if (from !== current) {
      if (current !== -1) {
        const lastFrom = merged[k - 1]!;
        const ts = replicaTimes[current]!;
        const next = at[current]! < ts.length ? ts[at[current]!]! : null;
        // The penalty in force: set when the previous sample was emitted.
        const penaltyMs = func !== 'penalty' ? null : k - 1 === k0 ? INITIAL_PENALTY_MS : 2 * (lastFrom - merged[k - 2]!);
        switches.push({ at: t, from: current, to: from, lastFrom, nextFrom: next, penaltyMs });
        spans.push({ replica: current, start: spanStart, end: lastFrom, samples: spanSamples });
      }
      current = from;
      spanStart = t;
      spanSamples = 0;
    }
    spanSamples++;
  }
  if (current !== -1) spans.push({ replica: current, start: spanStart, end: merged[merged.length - 1]!, samples: spanSamples });
  return {
    labels,
    replicas: replicaLabels.map((l, r) => ({ labels: l, samplesIn: replicaTimes[r]!.length - first[r]!, samplesUsed: used[r]! })),
    spans,
    switches,
  };
}
