import { ClusterCache, type ClusterState } from './cluster-cache.js';
import { DEFAULT_HA_TRACKER_TIMINGS, drawJitter, validateTimings, type HaTrackerTenantLimits, type HaTrackerTimings } from './config.js';
import type { Decision } from './decision.js';
import { parseReplicaKey, replicaKey, type ReplicaDesc, type ReplicaDescStore, type ReplicaDescUpdate } from './kv.js';
import type { HaTrackerMetrics } from './metrics.js';

export type ElectionChange = (tenant: string, cluster: string, from: string | null, to: string) => void;

export interface HaTrackerOptions extends Partial<HaTrackerTimings> {
  store: ReplicaDescStore;
  /** Wall clock in ms; injected so tests never touch Date.now. */
  now?: () => number;
  /** Uniform [0, 1) for jitter; injected for deterministic tests. */
  random?: () => number;
  metrics?: HaTrackerMetrics;
  /** Called whenever this instance's view of a cluster's leader changes (from = null: first leader it learns). */
  onElectionChange?: ElectionChange;
  /**
   * A tenant's timeouts and cluster limit (runtime overrides). Asked on every decision, never cached, so a
   * reloaded override applies at once. Default: the tracker's own timings for every tenant.
   */
  limitsFor?: (tenant: string) => Readonly<HaTrackerTenantLimits>;
}

export interface HaTrackerStatusRow {
  tenant: string;
  cluster: string;
  replica: string;
  electedAt: number;
  /** Stored receivedAt: when the elected replica was last seen by whoever wrote the record. */
  lastSeen: number;
  /** Negative = overdue. */
  untilUpdateMs: number;
  untilFailoverMs: number;
  electedChanges: number;
}

/**
 * Elects one replica per (tenant, cluster), Mimir-style: pushes for known clusters are answered from the local
 * cache without store I/O; only an unknown cluster waits on a store CAS (first writer wins). Heartbeats and
 * failover are written by `tick`, which callers run every update timeout.
 */
export class HaTracker {
  readonly timings: Readonly<HaTrackerTimings>;
  private readonly store: ReplicaDescStore;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly metrics: HaTrackerMetrics;
  private readonly onElectionChange: ElectionChange | undefined;
  private readonly limitsFor: (tenant: string) => Readonly<HaTrackerTenantLimits>;
  private readonly cache = new ClusterCache();
  private nextCleanupAtMs: number | null = null;
  /** When a store CAS last failed: while the store fails nobody can record the leader's heartbeats. */
  private storeFailedAtMs = 0;

  constructor(options: HaTrackerOptions) {
    const { store, now, random, metrics, onElectionChange, limitsFor, ...timings } = options;
    this.timings = Object.freeze({ ...DEFAULT_HA_TRACKER_TIMINGS, ...definedOnly(timings) });
    HaTracker.validateConfig(this.timings);
    this.store = store;
    this.now = now ?? Date.now;
    this.random = random ?? Math.random;
    this.metrics = metrics ?? {};
    this.onElectionChange = onElectionChange;
    this.limitsFor = limitsFor ?? (() => this.timings);
  }

  /** Throws with Mimir's message when failover < update + jitter max + 1s, or jitter max < 0. */
  static validateConfig(cfg: Pick<HaTrackerTimings, 'updateTimeoutMs' | 'updateTimeoutJitterMaxMs' | 'failoverTimeoutMs'>): void {
    validateTimings(cfg);
  }

  /**
   * The push-path verdict. Rejects only when an unknown cluster's election CAS fails (→ 500 upstream, so the
   * sender retries). `sampleTimeMs` is the request's earliest sample time (only used when sample-time failover
   * is on); it defaults to, and is capped at, `now`.
   */
  async checkReplica(tenant: string, cluster: string, replica: string, now = this.now(), sampleTimeMs?: number): Promise<Decision> {
    const sampleTime = Math.min(sampleTimeMs ?? now, now);
    const known = this.cache.get(tenant, cluster);
    if (known) return this.answerFromCache(known, replica, now, sampleTime);

    const limits = this.limitsFor(tenant);
    const limit = limits.maxClusters;
    if (limit > 0 && this.cache.clusterCount(tenant) + 1 > limit) return { kind: 'too-many-clusters', limit };

    const stored = await this.updateStore(tenant, cluster, replica, now, sampleTime, now, limits, this.jitter(limits));
    const state = this.cache.get(tenant, cluster);
    if (state) return this.answerFromCache(state, replica, now, sampleTime);
    // Cache already lost it again (a concurrent soft delete): answer from what the store said.
    if (stored === null || stored.replica === replica) return { kind: 'accept' };
    return { kind: 'reject-follower', replica, elected: stored.replica };
  }

  /** Background work: heartbeats/failover for every cached cluster, and cleanup when its (jittered) cycle is due. */
  async tick(now = this.now()): Promise<void> {
    await this.flushHeartbeats(now);
    if (this.nextCleanupAtMs === null) this.nextCleanupAtMs = now + this.cleanupInterval();
    if (now >= this.nextCleanupAtMs) {
      this.nextCleanupAtMs = now + this.cleanupInterval();
      await this.cleanup(now);
    }
  }

  /**
   * Mimir's updateKVStoreAll: for each cluster whose stored receivedAt is older than update timeout + jitter,
   * write the elected replica's real last-seen time if it was seen recently; otherwise, if another replica was
   * seen recently, try to fail over to it (the CAS decides whether the failover timeout has passed).
   */
  async flushHeartbeats(now = this.now()): Promise<void> {
    for (const { tenant, cluster, state } of this.cache.entries()) {
      // Per tenant and per cluster, as Mimir resolves a tenant's limits (and draws its jitter) for each update.
      const limits = this.limitsFor(tenant);
      const jitter = this.jitter(limits);
      const due = limits.updateTimeoutMs + jitter;
      if (withinUpdateTimeout(now, state.elected.receivedAt, due)) continue;
      let replica: string;
      let receivedAt: number;
      let sampleTime = now;
      if (withinUpdateTimeout(now, state.electedLastSeenMs, due)) {
        replica = state.elected.replica;
        receivedAt = state.electedLastSeenMs;
      } else if (withinUpdateTimeout(now, state.nonElectedLastSeenMs, due)) {
        replica = state.nonElectedLastSeenReplica;
        receivedAt = state.nonElectedLastSeenMs;
        if (limits.failoverSampleTimeoutMs > 0) sampleTime = state.nonElectedLastSeenSampleTimeMs;
      } else {
        continue; // idle: cleanup will retire it
      }
      try {
        await this.updateStore(tenant, cluster, replica, now, sampleTime, receivedAt, limits, jitter, state.elected);
      } catch (error) {
        this.metrics.backgroundError?.('heartbeat', this.key(tenant, cluster), error);
      }
    }
  }

  /**
   * Mimir's cleanup cycle with deadline = now - deletion timeout: records soft-deleted before the deadline are
   * removed (blind delete); live records last received before it are soft-deleted by CAS, which every watcher
   * sees, so all instances drop the cluster and free its limit slot.
   */
  async cleanup(now = this.now()): Promise<void> {
    this.metrics.cleanupStarted?.();
    const deadline = now - this.timings.deletionTimeoutMs;
    let entries: Map<string, ReplicaDesc>;
    try {
      entries = await this.store.list(this.timings.keyPrefix);
    } catch (error) {
      this.metrics.backgroundError?.('cleanup-list', this.timings.keyPrefix, error);
      return;
    }
    // A cluster whose record vanished from the store (watch removals are ignored, see watchStore) and that has
    // been idle since before the deadline is dropped here, as its soft delete would have dropped it.
    for (const { tenant, cluster, state } of this.cache.entries()) {
      const lastSeen = Math.max(state.elected.receivedAt, state.electedLastSeenMs, state.nonElectedLastSeenMs);
      if (!entries.has(this.key(tenant, cluster)) && lastSeen < deadline) this.forget(tenant, cluster);
    }
    for (const [key, desc] of entries) {
      if (desc.deletedAt > 0) {
        if (desc.deletedAt > deadline) continue;
        try {
          await this.store.delete(key);
          this.metrics.deleted?.();
          this.onStoreChange(key, null);
        } catch (error) {
          this.metrics.deleteFailed?.();
          this.metrics.backgroundError?.('cleanup-delete', key, error);
        }
        continue;
      }
      if (desc.receivedAt >= deadline) continue;
      try {
        // Re-check inside the CAS: a heartbeat may have landed since the list.
        const result = await this.store.cas(key, (current) =>
          current === null || current.deletedAt > 0 || current.receivedAt >= deadline ? null : { ...current, deletedAt: now },
        );
        if (result !== null && result.deletedAt > 0) {
          this.metrics.markedForDeletion?.();
          this.onStoreChange(key, result);
        }
      } catch (error) {
        this.metrics.deleteFailed?.();
        this.metrics.backgroundError?.('cleanup-mark', key, error);
      }
    }
  }

  /** Fills the cache from the store before serving (Mimir syncs at start so a restart cannot re-elect). A list error rejects. */
  async loadAll(): Promise<number> {
    const entries = await this.store.list(this.timings.keyPrefix);
    for (const [key, desc] of entries) this.onStoreChange(key, desc);
    return entries.size;
  }

  /** Applies a change seen in the store (another instance's write, a soft delete, a removal). */
  onStoreChange(key: string, desc: ReplicaDesc | null): void {
    const parsed = parseReplicaKey(this.timings.keyPrefix, key);
    if (!parsed) return;
    if (desc === null || desc.deletedAt > 0) {
      this.forget(parsed.tenant, parsed.cluster);
      return;
    }
    this.updateCache(parsed.tenant, parsed.cluster, desc);
    this.metrics.changePropagated?.(Math.max(0, this.now() - desc.receivedAt) / 1000);
  }

  /**
   * Subscribes to the store's change feed when it has one; returns the unsubscribe function. Removals are ignored,
   * as Mimir does: cleanup retires a cluster by its soft delete, which every instance sees as a change. A record
   * that disappears otherwise (a Redis restarted empty, a key deleted by hand) keeps its cached leader, and the
   * next heartbeat writes it back, instead of the cluster going to whichever replica asks first.
   */
  watchStore(): () => void {
    if (!this.store.watch) return () => {};
    return this.store.watch(this.timings.keyPrefix, (key, desc) => {
      if (desc !== null) this.onStoreChange(key, desc);
    });
  }

  /** Rows for the status page, sorted by tenant then cluster; times until update and failover use the tenant's timeouts. */
  status(now = this.now()): HaTrackerStatusRow[] {
    return this.cache
      .entries()
      .map(({ tenant, cluster, state: { elected } }) => {
        const { updateTimeoutMs, failoverTimeoutMs } = this.limitsFor(tenant);
        return {
          tenant,
          cluster,
          replica: elected.replica,
          electedAt: elected.electedAt,
          lastSeen: elected.receivedAt,
          untilUpdateMs: elected.receivedAt + updateTimeoutMs - now,
          untilFailoverMs: elected.receivedAt + failoverTimeoutMs - now,
          electedChanges: elected.electedChanges,
        };
      })
      .sort((a, b) => compare(a.tenant, b.tenant) || compare(a.cluster, b.cluster));
  }

  private answerFromCache(state: ClusterState, replica: string, now: number, sampleTime: number): Decision {
    if (state.elected.replica === replica) {
      state.electedLastSeenMs = now;
      return { kind: 'accept' };
    }
    state.nonElectedLastSeenReplica = replica;
    state.nonElectedLastSeenMs = now;
    state.nonElectedLastSeenSampleTimeMs = sampleTime;
    return { kind: 'reject-follower', replica, elected: state.elected.replica };
  }

  /**
   * Mimir's updateKVStore: one CAS that either keeps the current record (fresh, or another replica not yet past
   * the failover timeout(s)) or writes `replica` with `receivedAt`. The cache takes whatever the store holds
   * afterwards, synchronously, so the caller's next look-up sees it. `cached` (the tick's heartbeat and failover)
   * is what this instance knows: when the store has lost the record, the decision is made against it and a
   * kept record is written back, so a store that lost its data does not hand the cluster to the first asker.
   */
  private async updateStore(
    tenant: string,
    cluster: string,
    replica: string,
    now: number,
    sampleTime: number,
    receivedAt: number,
    limits: Readonly<HaTrackerTenantLimits>,
    jitter: number,
    cached?: ReplicaDesc,
  ): Promise<ReplicaDesc | null> {
    const { updateTimeoutMs, failoverTimeoutMs, failoverSampleTimeoutMs } = limits;
    this.metrics.casCalled?.(tenant, cluster);
    const update: ReplicaDescUpdate = (stored) => {
      const current = stored ?? cached ?? null;
      if (current === null || current.deletedAt > 0) {
        return { replica, receivedAt, deletedAt: 0, electedAt: now, electedChanges: 0 };
      }
      const keep = stored === null ? current : null;
      if (withinUpdateTimeout(now, current.receivedAt, updateTimeoutMs + jitter)) return keep;
      // Records written before electedAt existed (or by the old bug) get "now" rather than a misleading 0.
      let electedAt = current.electedAt === 0 ? now : current.electedAt;
      let electedChanges = current.electedChanges;
      if (current.replica !== replica) {
        // Counted from the store's last failure too: an outage longer than the failover timeout must not fail over
        // a leader whose heartbeats could not be written meanwhile (the first CAS after it would decide).
        if (now - Math.max(current.receivedAt, this.storeFailedAtMs) < failoverTimeoutMs) return keep;
        if (failoverSampleTimeoutMs > 0 && sampleTime - current.receivedAt < failoverSampleTimeoutMs) return keep;
        electedAt = now;
        electedChanges += 1;
      }
      return { replica, receivedAt, deletedAt: 0, electedAt, electedChanges };
    };
    let result: ReplicaDesc | null;
    try {
      result = await this.store.cas(this.key(tenant, cluster), update);
    } catch (error) {
      this.storeFailedAtMs = Math.max(this.storeFailedAtMs, now);
      this.metrics.casFailed?.(tenant, cluster);
      throw error;
    }
    if (result === null || result.deletedAt > 0) this.forget(tenant, cluster);
    else this.updateCache(tenant, cluster, result);
    return result;
  }

  private updateCache(tenant: string, cluster: string, desc: ReplicaDesc): void {
    const { state, created } = this.cache.getOrCreate(tenant, cluster, desc);
    const previous = created ? null : state.elected.replica;
    const leaderChanged = previous !== desc.replica;
    if (leaderChanged) {
      // Keep our own sighting of the new leader if we had one, so the heartbeat carries it.
      state.electedLastSeenMs = state.nonElectedLastSeenReplica === desc.replica ? state.nonElectedLastSeenMs : 0;
    }
    state.elected = desc;
    this.metrics.electedReplicaUpdated?.(tenant, cluster, desc, leaderChanged);
    if (leaderChanged) this.onElectionChange?.(tenant, cluster, previous, desc.replica);
  }

  private forget(tenant: string, cluster: string): void {
    if (this.cache.remove(tenant, cluster)) this.metrics.clusterForgotten?.(tenant, cluster);
  }

  private jitter(limits: Readonly<HaTrackerTenantLimits>): number {
    return drawJitter(limits.updateTimeoutJitterMaxMs, this.random);
  }

  private cleanupInterval(): number {
    const { cleanupPeriodMs, cleanupJitterVariance } = this.timings;
    const spread = cleanupPeriodMs * cleanupJitterVariance;
    return cleanupPeriodMs - spread + Math.floor(this.random() * 2 * spread);
  }

  private key(tenant: string, cluster: string): string {
    return replicaKey(this.timings.keyPrefix, tenant, cluster);
  }
}

// Strict "<", as Mimir: at exactly update timeout + jitter the record is due.
function withinUpdateTimeout(now: number, receivedAt: number, updateTimeoutPlusJitterMs: number): boolean {
  return now - receivedAt < updateTimeoutPlusJitterMs;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// `{ updateTimeoutMs: undefined }` must not override a default.
function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
