import type { Labels } from './labels.js';

/**
 * The samples of one series as columns: timestamps in ms (integers held in a Float64Array, exact up
 * to 2^53) strictly increasing, values beside them. Staleness markers keep their slot (value NaN)
 * and are flagged in `stale`, because NaN payload bits do not survive JavaScript arithmetic.
 * `stale` is null when the series has no marker — the common case costs nothing.
 */
export interface Samples {
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly stale: Uint8Array | null;
}

export interface Series {
  readonly labels: Labels;
  readonly samples: Samples;
}

/** High and low 32-bit words of Prometheus' staleness marker, the NaN 0x7ff0000000000002. */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

export function samplesFromArrays(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  stale: ArrayLike<number> | null = null,
): Samples {
  return {
    timestamps: Float64Array.from(timestamps),
    values: Float64Array.from(values),
    stale: stale ? normaliseStale(Uint8Array.from(stale)) : null,
  };
}

/** Null when no flag is set, so consumers can test `stale !== null` once per series. */
export function normaliseStale(stale: Uint8Array): Uint8Array | null {
  for (let i = 0; i < stale.length; i++) if (stale[i] !== 0) return stale;
  return null;
}

/** First index whose timestamp is >= t (timestamps.length when none). */
export function lowerBound(timestamps: Float64Array, t: number, from = 0, to = timestamps.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timestamps[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose timestamp is > t (timestamps.length when none). */
export function upperBound(timestamps: Float64Array, t: number, from = 0, to = timestamps.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timestamps[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The samples with mint <= t <= maxt; shares memory with the input (subarray). */
export function clipSamples(s: Samples, mint: number, maxt: number): Samples {
  const from = lowerBound(s.timestamps, mint);
  const to = upperBound(s.timestamps, maxt, from);
  if (from === 0 && to === s.timestamps.length) return s;
  return {
    timestamps: s.timestamps.subarray(from, to),
    values: s.values.subarray(from, to),
    stale: s.stale ? normaliseStale(s.stale.subarray(from, to)) : null,
  };
}
