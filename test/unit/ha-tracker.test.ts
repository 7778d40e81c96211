/**
 * The HA tracker on the in-memory store: the shared behaviour suite (test/support/ha-tracker-suite.ts, also run
 * against a real Redis and a real etcd in ha-tracker-redis.test.ts and ha-tracker-etcd.test.ts), plus what needs
 * no real store at all (jitter draws, watch events applied by hand, config) or only the memory store's failure
 * switch.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HA_TRACKER_TIMINGS,
  HaTracker,
  MemoryReplicaDescStore,
  StoreUnavailableError,
  drawJitter,
  formatGoDuration,
  replicaKey,
  replicasDidNotMatchMessage,
  type HaTrackerOptions,
} from '../../src/ingest/tracker/index.js';
import { T0, haTrackerBehaviour } from '../support/ha-tracker-suite.js';

const S = 1000;
const MIN = 60 * S;
const key = (tenant: string, cluster: string) => replicaKey('ha-tracker/', tenant, cluster);

/** A tracker on a fake clock; jitter off unless a test asks for it. */
function setup(options: Partial<HaTrackerOptions> = {}, store = new MemoryReplicaDescStore()) {
  const clock = { now: T0 };
  const changes: string[] = [];
  const tracker = new HaTracker({
    store,
    now: () => clock.now,
    random: () => 0.5,
    updateTimeoutJitterMaxMs: 0,
    onElectionChange: (tenant, cluster, from, to) => changes.push(`${tenant}/${cluster}: ${from ?? '-'} -> ${to}`),
    ...options,
  });
  return { tracker, store, clock, changes };
}

describe('HaTracker behaviour on the memory store', () => {
  // One store for the file, as the Redis and etcd files share one server; every test has its own key prefix.
  const store = new MemoryReplicaDescStore();
  haTrackerBehaviour({ open: async () => store });
});

describe('HaTracker without a store round trip', () => {
  it("words the follower's rejection as Mimir does", () => {
    expect(replicasDidNotMatchMessage('r2', 'r1')).toBe('replicas did not match, rejecting sample: replica=r2, elected=r1');
  });

  it('draws jitter in [-max, +max)', () => {
    expect(drawJitter(5000, () => 0)).toBe(-5000);
    expect(drawJitter(5000, () => 0.5)).toBe(0);
    expect(drawJitter(5000, () => 0.9999999)).toBe(4999);
    expect(drawJitter(0, () => 0.9)).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const j = drawJitter(5000, Math.random);
      expect(j).toBeGreaterThanOrEqual(-5000);
      expect(j).toBeLessThan(5000);
    }
  });

  it('the push path for a known cluster makes no store call at all', async () => {
    const { tracker, store } = setup();
    await tracker.checkReplica('t', 'c', 'r1', T0);
    const before = { ...store.calls };
    for (let at = 0; at < 10 * S; at += S) {
      await tracker.checkReplica('t', 'c', 'r1', T0 + at);
      await tracker.checkReplica('t', 'c', 'r2', T0 + at);
    }
    expect(store.calls).toEqual(before);
  });

  it('onStoreChange applies another instance\'s write and a soft delete', async () => {
    const { tracker } = setup();
    tracker.onStoreChange(key('t', 'c'), { replica: 'r9', receivedAt: T0, deletedAt: 0, electedAt: T0, electedChanges: 3 });
    expect((await tracker.checkReplica('t', 'c', 'r1', T0 + S)).kind).toBe('reject-follower');
    tracker.onStoreChange(key('t', 'c'), { replica: 'r9', receivedAt: T0, deletedAt: T0 + S, electedAt: T0, electedChanges: 3 });
    expect(tracker.status()).toEqual([]);
    tracker.onStoreChange('ha-tracker/not-a-cluster-key', null); // ignored
    tracker.onStoreChange('other-prefix/t/c', { replica: 'x', receivedAt: T0, deletedAt: 0, electedAt: T0, electedChanges: 0 });
    expect(tracker.status()).toEqual([]);
  });
});

describe('HaTracker store failures', () => {
  it('rejects on an unknown cluster, answers a known one from the cache', async () => {
    let down = false;
    const errors: string[] = [];
    const store = new MemoryReplicaDescStore({ failing: () => down });
    const { tracker } = setup({ metrics: { backgroundError: (op) => errors.push(op) } }, store);
    await tracker.checkReplica('t', 'known', 'r1', T0);

    down = true;
    await expect(tracker.checkReplica('t', 'new', 'r1', T0 + S)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect((await tracker.checkReplica('t', 'known', 'r1', T0 + S)).kind).toBe('accept');
    expect((await tracker.checkReplica('t', 'known', 'r2', T0 + S)).kind).toBe('reject-follower');
    expect(tracker.status().map((r) => r.cluster)).toEqual(['known']); // the failed cluster is not cached

    await tracker.checkReplica('t', 'known', 'r1', T0 + 20 * S);
    await expect(tracker.tick(T0 + 20 * S)).resolves.toBeUndefined(); // background errors never throw
    await tracker.cleanup(T0 + 20 * S);
    expect(errors).toEqual(['heartbeat', 'cleanup-list']);
    await expect(tracker.loadAll()).rejects.toBeInstanceOf(StoreUnavailableError);

    down = false;
    expect((await tracker.checkReplica('t', 'new', 'r1', T0 + 21 * S)).kind).toBe('accept');
  });

  it('a record the store lost keeps its leader: a heartbeat writes it back, a failover is judged against it', async () => {
    const store = new MemoryReplicaDescStore();
    const a = setup({}, store); // sees only r1
    const b = setup({}, store); // sees only r2
    a.tracker.watchStore();
    b.tracker.watchStore();
    expect((await a.tracker.checkReplica('t', 'c', 'r1', T0)).kind).toBe('accept');
    expect((await b.tracker.checkReplica('t', 'c', 'r2', T0)).kind).toBe('reject-follower');

    await store.delete(key('t', 'c')); // e.g. Redis restarted empty: both watchers hear of a removal
    expect(a.tracker.status().map((r) => r.replica)).toEqual(['r1']);
    expect(b.tracker.status().map((r) => r.replica)).toEqual(['r1']);

    // b's tick comes first: r1 was last recorded 16 s ago, short of the 30 s failover timeout, so
    // the failover is refused and what b knew goes back into the store (not r2, first come).
    await a.tracker.checkReplica('t', 'c', 'r1', T0 + 16 * S);
    await b.tracker.checkReplica('t', 'c', 'r2', T0 + 16 * S);
    await b.tracker.tick(T0 + 16 * S);
    expect(await store.get(key('t', 'c'))).toMatchObject({ replica: 'r1', receivedAt: T0, electedAt: T0 });
    await a.tracker.tick(T0 + 16 * S); // the heartbeat with a's real sighting
    expect(await store.get(key('t', 'c'))).toMatchObject({ replica: 'r1', receivedAt: T0 + 16 * S, electedAt: T0, electedChanges: 0 });
    expect((await b.tracker.checkReplica('t', 'c', 'r2', T0 + 17 * S)).kind).toBe('reject-follower');
    expect(a.changes).toEqual(['t/c: - -> r1']);
    expect(b.changes).toEqual(['t/c: - -> r1']);
  });

  it('a store outage longer than the failover timeout does not fail over a leader that kept sending', async () => {
    let down = false;
    const store = new MemoryReplicaDescStore({ failing: () => down });
    const a = setup({}, store); // sees only r1
    const b = setup({}, store); // sees only r2
    a.tracker.watchStore();
    b.tracker.watchStore();
    await a.tracker.checkReplica('t', 'c', 'r1', T0);
    await b.tracker.checkReplica('t', 'c', 'r2', T0);

    down = true; // 40 s: nobody can write r1's heartbeats
    for (let t = T0 + S; t <= T0 + 40 * S; t += S) {
      await a.tracker.checkReplica('t', 'c', 'r1', t);
      await b.tracker.checkReplica('t', 'c', 'r2', t);
      await a.tracker.tick(t);
      await b.tracker.tick(t);
    }
    down = false;
    // b's tick comes first: the stored r1 is 41 s old, but the store failed 1 s ago.
    await b.tracker.checkReplica('t', 'c', 'r2', T0 + 41 * S);
    await b.tracker.tick(T0 + 41 * S);
    expect((await store.get(key('t', 'c')))?.replica).toBe('r1');
    await a.tracker.checkReplica('t', 'c', 'r1', T0 + 41 * S);
    await a.tracker.tick(T0 + 41 * S);
    expect(await store.get(key('t', 'c'))).toMatchObject({ replica: 'r1', receivedAt: T0 + 41 * S });

    // r1 really goes quiet now: b fails over once the failover timeout has passed as usual.
    await b.tracker.checkReplica('t', 'c', 'r2', T0 + 72 * S);
    await b.tracker.tick(T0 + 72 * S);
    expect((await store.get(key('t', 'c')))?.replica).toBe('r2');
    expect(b.changes).toEqual(['t/c: - -> r1', 't/c: r1 -> r2']);
  });

  it('a lost record of an idle cluster leaves the cache at the next cleanup', async () => {
    const store = new MemoryReplicaDescStore();
    const { tracker } = setup({}, store);
    tracker.watchStore();
    await tracker.checkReplica('t', 'c', 'r1', T0);
    await tracker.checkReplica('t', 'busy', 'r1', T0);
    await store.delete(key('t', 'c'));
    await store.delete(key('t', 'busy'));
    await tracker.checkReplica('t', 'busy', 'r1', T0 + 30 * MIN);
    await tracker.cleanup(T0 + 29 * MIN);
    expect(tracker.status().map((r) => r.cluster)).toEqual(['busy', 'c']);
    await tracker.cleanup(T0 + 31 * MIN);
    expect(tracker.status().map((r) => r.cluster)).toEqual(['busy']); // seen a minute ago: kept
  });
});

describe('HaTracker config', () => {
  it('uses Mimir defaults', () => {
    expect(DEFAULT_HA_TRACKER_TIMINGS).toMatchObject({
      updateTimeoutMs: 15_000, updateTimeoutJitterMaxMs: 5_000, failoverTimeoutMs: 30_000, maxClusters: 100,
      failoverSampleTimeoutMs: 0, cleanupPeriodMs: 30 * MIN, deletionTimeoutMs: 30 * MIN,
    });
    expect(() => HaTracker.validateConfig(DEFAULT_HA_TRACKER_TIMINGS)).not.toThrow();
  });

  it('requires failover >= update + jitter max + 1s, with Mimir\'s message', () => {
    expect(() => HaTracker.validateConfig({ updateTimeoutMs: 15 * S, updateTimeoutJitterMaxMs: 5 * S, failoverTimeoutMs: 20 * S })).toThrow(
      'HA Tracker failover timeout (20s) must be at least 1s greater than update timeout - max jitter (21s)',
    );
    expect(() => HaTracker.validateConfig({ updateTimeoutMs: 15 * S, updateTimeoutJitterMaxMs: 5 * S, failoverTimeoutMs: 21 * S })).not.toThrow();
    expect(() => HaTracker.validateConfig({ updateTimeoutMs: 15 * S, updateTimeoutJitterMaxMs: -1, failoverTimeoutMs: 60 * S })).toThrow(
      "HA tracker max update timeout jitter shouldn't be negative",
    );
    expect(() => setup({ failoverTimeoutMs: 10 * S })).toThrow(/must be at least 1s greater/);
  });

  it('formats durations as Go does', () => {
    expect([0, 500, 1000, 1500, 21_000, 90_000, 3_600_000].map(formatGoDuration)).toEqual(['0s', '500ms', '1s', '1.5s', '21s', '1m30s', '1h0m0s']);
  });
});
