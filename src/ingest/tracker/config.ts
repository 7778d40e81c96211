/** HA tracker timings. All durations are milliseconds. Defaults are Mimir's. */
export interface HaTrackerTimings {
  /** Minimum age of the stored receivedAt before it is rewritten (heartbeat throttle). */
  updateTimeoutMs: number;
  /** Jitter in [-max, +max) added to the update timeout so heartbeats of many clusters spread out. */
  updateTimeoutJitterMaxMs: number;
  /** The elected replica must be unseen this long before another replica may take over. */
  failoverTimeoutMs: number;
  /** Clusters tracked per tenant; 0 = unlimited. */
  maxClusters: number;
  /** > 0 also requires the new leader's earliest sample time to be this far past the old receivedAt. 0 = off. */
  failoverSampleTimeoutMs: number;
  /** Cleanup cycle period and its ± jitter fraction. */
  cleanupPeriodMs: number;
  cleanupJitterVariance: number;
  /** Idle this long → soft delete; soft-deleted this long → removed. */
  deletionTimeoutMs: number;
  /** Key prefix in the store. */
  keyPrefix: string;
}

export const DEFAULT_HA_TRACKER_TIMINGS: Readonly<HaTrackerTimings> = Object.freeze({
  updateTimeoutMs: 15_000,
  updateTimeoutJitterMaxMs: 5_000,
  failoverTimeoutMs: 30_000,
  maxClusters: 100,
  failoverSampleTimeoutMs: 0,
  cleanupPeriodMs: 30 * 60_000,
  cleanupJitterVariance: 0.2,
  deletionTimeoutMs: 30 * 60_000,
  keyPrefix: 'ha-tracker/',
});

/**
 * What a tenant's runtime override may change (Mimir's per-tenant HA limits). The tracker asks for these per
 * tenant on every decision, so a reloaded override applies to that tenant's clusters from the next push or tick.
 */
export type HaTrackerTenantLimits = Pick<
  HaTrackerTimings,
  'updateTimeoutMs' | 'updateTimeoutJitterMaxMs' | 'failoverTimeoutMs' | 'failoverSampleTimeoutMs' | 'maxClusters'
>;

type TimeoutRules = Pick<HaTrackerTimings, 'updateTimeoutMs' | 'updateTimeoutJitterMaxMs' | 'failoverTimeoutMs'>;

/**
 * Mimir's rule: jitter max not negative, and failover >= update + jitter max + 1s (the message says "-", the
 * arithmetic is a sum; the text is kept so operators can search for it).
 */
export function validateTimings(cfg: TimeoutRules): void {
  if (cfg.updateTimeoutJitterMaxMs < 0) throw new Error("HA tracker max update timeout jitter shouldn't be negative");
  if (cfg.updateTimeoutMs <= 0 && cfg.failoverTimeoutMs <= 0) return;
  const minFailover = cfg.updateTimeoutMs + cfg.updateTimeoutJitterMaxMs + 1000;
  if (cfg.failoverTimeoutMs < minFailover) {
    throw new Error(
      `HA Tracker failover timeout (${formatGoDuration(cfg.failoverTimeoutMs)}) must be at least 1s greater than update timeout - max jitter (${formatGoDuration(minFailover)})`,
    );
  }
}

/** Go's time.Duration String() for millisecond values: 0s, 500ms, 21s, 1m30s, 1h0m0s. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trimNumber(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = `${trimNumber(rest / 1000)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

function trimNumber(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** One jitter draw in [-max, +max), as Mimir's computeUpdateTimeoutJitter. */
export function drawJitter(maxMs: number, random: () => number): number {
  if (maxMs <= 0) return 0;
  return Math.floor(random() * 2 * maxMs) - maxMs;
}
