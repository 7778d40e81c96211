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
  type ReplicaDesc,
} from '../../src/ingest/tracker/index.js';

const T0 = 1_700_000_000_000;
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

async function stored(store: MemoryReplicaDescStore, k: string): Promise<ReplicaDesc | null> {
  return store.get(k);
}

describe('HaTracker election', () => {
  it('first writer wins; a follower is rejected with the elected name', async () => {
    const { tracker, changes } = setup();
    expect(await tracker.checkReplica('t', 'c', 'r1', T0)).toEqual({ kind: 'accept' });
    expect(await tracker.checkReplica('t', 'c', 'r2', T0)).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });
    expect(await tracker.checkReplica('t', 'c', 'r1', T0 + 1)).toEqual({ kind: 'accept' });
    expect(replicasDidNotMatchMessage('r2', 'r1')).toBe('replicas did not match, rejecting sample: replica=r2, elected=r1');
    expect(changes).toEqual(['t/c: - -> r1']);
  });

  it('two concurrent first pushes elect exactly one', async () => {
    const { tracker } = setup();
    const [a, b] = await Promise.all([tracker.checkReplica('t', 'c', 'r1', T0), tracker.checkReplica('t', 'c', 'r2', T0)]);
    expect(a).toEqual({ kind: 'accept' });
    expect(b).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });
  });

  it('fails over after the failover timeout (in the background tick), not before', async () => {
    const { tracker, store, changes } = setup();
    await tracker.checkReplica('t', 'c', 'r1', T0);

    // r1 goes silent; r2 keeps pushing. The push path never writes for a known cluster.
    for (const at of [10 * S, 20 * S, 29 * S]) {
      expect((await tracker.checkReplica('t', 'c', 'r2', T0 + at)).kind).toBe('reject-follower');
    }
    await tracker.tick(T0 + 29 * S); // 29s < 30s failover timeout: CAS declines
    expect((await stored(store, key('t', 'c')))?.replica).toBe('r1');
    expect((await tracker.checkReplica('t', 'c', 'r2', T0 + 30 * S)).kind).toBe('reject-follower');

    await tracker.tick(T0 + 30 * S); // exactly the timeout: "<" is false, failover
    const after = await stored(store, key('t', 'c'));
    expect(after).toMatchObject({ replica: 'r2', receivedAt: T0 + 30 * S, electedAt: T0 + 30 * S, electedChanges: 1 });
    expect(await tracker.checkReplica('t', 'c', 'r2', T0 + 31 * S)).toEqual({ kind: 'accept' });
    expect(await tracker.checkReplica('t', 'c', 'r1', T0 + 31 * S)).toEqual({ kind: 'reject-follower', replica: 'r1', elected: 'r2' });
    expect(changes).toEqual(['t/c: - -> r1', 't/c: r1 -> r2']);
  });

  it('a leader that keeps pushing is never failed over', async () => {
    const { tracker, store } = setup();
    await tracker.checkReplica('t', 'c', 'r1', T0);
    for (let at = 5 * S; at <= 120 * S; at += 5 * S) {
      await tracker.checkReplica('t', 'c', 'r1', T0 + at);
      await tracker.checkReplica('t', 'c', 'r2', T0 + at);
      if (at % (15 * S) === 0) await tracker.tick(T0 + at);
    }
    expect((await stored(store, key('t', 'c')))?.replica).toBe('r1');
  });

  it('keeps clusters independent', async () => {
    const { tracker, store } = setup();
    await tracker.checkReplica('t', 'c1', 'r1', T0);
    await tracker.checkReplica('t', 'c2', 'r1', T0);
    expect((await tracker.checkReplica('t', 'c1', 'r2', T0)).kind).toBe('reject-follower');
    expect((await tracker.checkReplica('t', 'c2', 'r2', T0)).kind).toBe('reject-follower');

    await tracker.checkReplica('t', 'c2', 'r1', T0 + 16 * S); // r1 alive only for c2
    await tracker.tick(T0 + 16 * S);
    await tracker.checkReplica('t', 'c1', 'r2', T0 + 31 * S);
    await tracker.checkReplica('t', 'c2', 'r2', T0 + 31 * S);
    await tracker.tick(T0 + 31 * S);

    expect((await stored(store, key('t', 'c1')))?.replica).toBe('r2');
    expect((await stored(store, key('t', 'c2')))?.replica).toBe('r1');
  });

  it('keeps tenants isolated', async () => {
    const { tracker, store } = setup();
    await tracker.checkReplica('u1', 'c', 'a', T0);
    await tracker.checkReplica('u2', 'c', 'b', T0);
    expect((await tracker.checkReplica('u1', 'c', 'b', T0)).kind).toBe('reject-follower');
    expect((await tracker.checkReplica('u2', 'c', 'b', T0)).kind).toBe('accept');

    await tracker.checkReplica('u1', 'c', 'a', T0 + 16 * S);
    await tracker.tick(T0 + 16 * S);
    expect((await stored(store, key('u1', 'c')))?.receivedAt).toBe(T0 + 16 * S);
    expect((await stored(store, key('u2', 'c')))?.receivedAt).toBe(T0);
  });
});

describe('HaTracker heartbeat throttling', () => {
  it('writes nothing within the update timeout, then the real last-seen time', async () => {
    const { tracker, store } = setup();
    await tracker.checkReplica('t', 'c', 'r1', T0);
    expect(store.calls.casWrites).toBe(1);
    const casBefore = store.calls.cas;

    await tracker.checkReplica('t', 'c', 'r1', T0);
    await tracker.checkReplica('t', 'c', 'r1', T0 + 5 * S);
    await tracker.tick(T0 + 10 * S);
    await tracker.checkReplica('t', 'c', 'r1', T0 + 14 * S);
    await tracker.tick(T0 + 14 * S);
    expect(store.calls.cas).toBe(casBefore); // not even a CAS attempt while fresh
    expect((await stored(store, key('t', 'c')))?.receivedAt).toBe(T0);

    await tracker.tick(T0 + 16 * S); // due: flushes the sighting at 14s, not the tick time
    expect((await stored(store, key('t', 'c')))?.receivedAt).toBe(T0 + 14 * S);
    expect(store.calls.casWrites).toBe(2);
  });

  it('an idle cluster gets no heartbeat', async () => {
    const { tracker, store } = setup();
    await tracker.checkReplica('t', 'c', 'r1', T0);
    await tracker.tick(T0 + 20 * S);
    expect(store.calls.casWrites).toBe(1);
  });

  it('compares strictly with update timeout + jitter', async () => {
    // UT 10s, no jitter: at 9s elapsed stays, at 10s elapsed rewrites.
    const plain = setup({ updateTimeoutMs: 10 * S });
    await plain.tracker.checkReplica('t', 'c', 'r1', T0 + 5 * S);
    await plain.tracker.checkReplica('t', 'c', 'r1', T0 + 14 * S);
    await plain.tracker.tick(T0 + 14 * S);
    expect((await stored(plain.store, key('t', 'c')))?.receivedAt).toBe(T0 + 5 * S);
    await plain.tracker.checkReplica('t', 'c', 'r1', T0 + 15 * S);
    await plain.tracker.tick(T0 + 15 * S);
    expect((await stored(plain.store, key('t', 'c')))?.receivedAt).toBe(T0 + 15 * S);

    // Jitter +2s (random 0.7 with max 5s): at 11s elapsed stays, at 12s rewrites.
    const jittered = setup({ updateTimeoutMs: 10 * S, updateTimeoutJitterMaxMs: 5 * S, random: () => 0.7 });
    await jittered.tracker.checkReplica('t', 'c', 'r1', T0 + 5 * S);
    await jittered.tracker.checkReplica('t', 'c', 'r1', T0 + 16 * S);
    await jittered.tracker.tick(T0 + 16 * S);
    expect((await stored(jittered.store, key('t', 'c')))?.receivedAt).toBe(T0 + 5 * S);
    await jittered.tracker.checkReplica('t', 'c', 'r1', T0 + 17 * S);
    await jittered.tracker.tick(T0 + 17 * S);
    expect((await stored(jittered.store, key('t', 'c')))?.receivedAt).toBe(T0 + 17 * S);
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
});

describe('HaTracker cluster limit and cleanup', () => {
  it('rejects clusters past the limit until cleanup frees a slot', async () => {
    const { tracker, store } = setup({ maxClusters: 2 });
    expect((await tracker.checkReplica('t', 'a', 'r1', T0)).kind).toBe('accept');
    expect((await tracker.checkReplica('t', 'b', 'r1', T0)).kind).toBe('accept');
    expect(await tracker.checkReplica('t', 'c', 'r1', T0)).toEqual({ kind: 'too-many-clusters', limit: 2 });
    expect((await tracker.checkReplica('other', 'c', 'r1', T0)).kind).toBe('accept'); // per tenant
    expect(await store.get(key('t', 'c'))).toBeNull();

    // b stays alive, a goes idle past the deletion timeout.
    const later = T0 + 31 * MIN;
    await tracker.checkReplica('t', 'b', 'r1', later);
    await tracker.tick(later);
    await tracker.cleanup(later);
    expect((await store.get(key('t', 'a')))?.deletedAt).toBe(later);
    expect(tracker.status().map((r) => `${r.tenant}/${r.cluster}`)).toEqual(['t/b']); // other/c was idle too

    expect((await tracker.checkReplica('t', 'c', 'r1', later)).kind).toBe('accept');
    expect(await tracker.checkReplica('t', 'a', 'r1', later)).toEqual({ kind: 'too-many-clusters', limit: 2 });
  });

  it('soft-deletes an idle cluster, removes it after the delay, and lets a returning cluster re-elect', async () => {
    const counts = { marked: 0, deleted: 0, failed: 0, started: 0 };
    const { tracker, store } = setup({
      metrics: {
        cleanupStarted: () => counts.started++,
        markedForDeletion: () => counts.marked++,
        deleted: () => counts.deleted++,
        deleteFailed: () => counts.failed++,
      },
    });
    await tracker.checkReplica('t', 'c', 'r1', T0);

    await tracker.cleanup(T0 + 29 * MIN); // not idle long enough
    expect((await store.get(key('t', 'c')))?.deletedAt).toBe(0);

    const first = T0 + 31 * MIN;
    await tracker.cleanup(first);
    expect((await store.get(key('t', 'c')))?.deletedAt).toBe(first); // still in the store
    expect(tracker.status()).toEqual([]); // gone from the cache

    // Returning cluster: any replica may take a soft-deleted key; a fresh election.
    expect((await tracker.checkReplica('t', 'c', 'r2', first + S)).kind).toBe('accept');
    expect(await store.get(key('t', 'c'))).toMatchObject({ replica: 'r2', deletedAt: 0, electedAt: first + S, receivedAt: first + S });

    const second = first + S + 31 * MIN;
    await tracker.cleanup(second);
    expect((await store.get(key('t', 'c')))?.deletedAt).toBe(second);
    await tracker.cleanup(second + 29 * MIN); // marked less than the deletion timeout ago
    expect(await store.get(key('t', 'c'))).not.toBeNull();
    await tracker.cleanup(second + 30 * MIN);
    expect(await store.get(key('t', 'c'))).toBeNull();
    expect(counts).toEqual({ started: 5, marked: 2, deleted: 1, failed: 0 });
  });

  it('runs cleanup from tick on its jittered 24-36 minute cycle', async () => {
    const { tracker, store } = setup({ random: () => 0 }); // shortest cycle: 24 min
    await tracker.checkReplica('t', 'c', 'r1', T0);
    await tracker.tick(T0); // schedules the first cleanup at T0 + 24 min
    await tracker.tick(T0 + 23 * MIN);
    expect(store.calls.list).toBe(0);
    await tracker.tick(T0 + 24 * MIN);
    expect(store.calls.list).toBe(1); // ran, but nothing is 30 min idle yet
    expect((await store.get(key('t', 'c')))?.deletedAt).toBe(0);
    await tracker.tick(T0 + 48 * MIN);
    expect((await store.get(key('t', 'c')))?.deletedAt).toBe(T0 + 48 * MIN);
  });
});

describe('HaTracker instances sharing one store', () => {
  it('elect the same leader and fail over together (watch)', async () => {
    const store = new MemoryReplicaDescStore();
    const a = setup({}, store);
    const b = setup({}, store);
    a.tracker.watchStore();
    b.tracker.watchStore();

    expect((await a.tracker.checkReplica('t', 'c', 'r1', T0)).kind).toBe('accept');
    const casBefore = store.calls.cas;
    expect(await b.tracker.checkReplica('t', 'c', 'r2', T0)).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });
    expect(store.calls.cas).toBe(casBefore); // b learned through the watch, no CAS needed

    // r1 dies; only b sees r2. b's tick fails over, a learns it at once.
    await b.tracker.checkReplica('t', 'c', 'r2', T0 + 31 * S);
    await a.tracker.tick(T0 + 31 * S); // a saw nobody recently: does nothing
    await b.tracker.tick(T0 + 31 * S);
    expect((await a.tracker.checkReplica('t', 'c', 'r2', T0 + 32 * S)).kind).toBe('accept');
    expect((await a.tracker.checkReplica('t', 'c', 'r1', T0 + 32 * S)).kind).toBe('reject-follower');
    expect(a.changes).toEqual(['t/c: - -> r1', 't/c: r1 -> r2']);
    expect(b.changes).toEqual(['t/c: - -> r1', 't/c: r1 -> r2']);
  });

  it('converge through CAS and loadAll without a watch', async () => {
    const store = new MemoryReplicaDescStore();
    const a = setup({}, store);
    const b = setup({}, store);

    await a.tracker.checkReplica('t', 'c', 'r1', T0);
    // b has never heard of the cluster: its CAS finds r1 fresh and adopts it.
    expect(await b.tracker.checkReplica('t', 'c', 'r2', T0 + S)).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });

    // A restarted instance warms up from the store and rejects r2 without any CAS.
    const c = setup({}, store);
    expect(await c.tracker.loadAll()).toBe(1);
    const casBefore = store.calls.cas;
    expect((await c.tracker.checkReplica('t', 'c', 'r2', T0 + 2 * S)).kind).toBe('reject-follower');
    expect(store.calls.cas).toBe(casBefore);

    // b fails over to r2. a (no watch) still believes r1 until its own heartbeat CAS reads the new record.
    await b.tracker.checkReplica('t', 'c', 'r2', T0 + 31 * S);
    await b.tracker.tick(T0 + 31 * S);
    expect((await store.get(key('t', 'c')))?.replica).toBe('r2');
    await a.tracker.checkReplica('t', 'c', 'r1', T0 + 35 * S); // r1 is back; a accepts from its stale cache
    await a.tracker.tick(T0 + 35 * S); // stored r2 is fresh: CAS declines and a adopts r2
    expect((await store.get(key('t', 'c')))?.replica).toBe('r2');
    expect((await a.tracker.checkReplica('t', 'c', 'r1', T0 + 36 * S)).kind).toBe('reject-follower');
    expect((await a.tracker.checkReplica('t', 'c', 'r2', T0 + 36 * S)).kind).toBe('accept');
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

describe('HaTracker sample-time failover', () => {
  async function run(failoverSampleTimeoutMs: number) {
    const { tracker, store } = setup({ failoverSampleTimeoutMs });
    await tracker.checkReplica('t', 'c', 'r1', T0);
    // r2's samples lag 20s behind the wall clock.
    await tracker.checkReplica('t', 'c', 'r2', T0 + 30 * S, T0 + 10 * S);
    await tracker.tick(T0 + 30 * S);
    const atThirty = (await store.get(key('t', 'c')))?.replica;
    await tracker.checkReplica('t', 'c', 'r2', T0 + 50 * S, T0 + 30 * S);
    await tracker.tick(T0 + 50 * S);
    return { atThirty, atFifty: (await store.get(key('t', 'c')))?.replica };
  }

  it('waits until the sample time is past the failover sample timeout', async () => {
    expect(await run(30 * S)).toEqual({ atThirty: 'r1', atFifty: 'r2' });
  });

  it('is off at 0: wall-clock failover only', async () => {
    expect(await run(0)).toEqual({ atThirty: 'r2', atFifty: 'r2' });
  });

  it('caps a sample time in the future at now', async () => {
    const { tracker, store } = setup({ failoverSampleTimeoutMs: 30 * S });
    await tracker.checkReplica('t', 'c', 'r1', T0);
    await tracker.checkReplica('t', 'c', 'r2', T0 + 29 * S, T0 + 10 * MIN);
    await tracker.checkReplica('t', 'c', 'r2', T0 + 30 * S, T0 + 10 * MIN);
    await tracker.tick(T0 + 30 * S);
    expect((await store.get(key('t', 'c')))?.replica).toBe('r2');
  });
});

describe('HaTracker records and status', () => {
  it('repairs a zero electedAt and keeps electedChanges on heartbeats', async () => {
    const store = new MemoryReplicaDescStore();
    store.seed(key('t', 'c'), { replica: 'r1', receivedAt: T0 - 20 * S, deletedAt: 0, electedAt: 0, electedChanges: 4 });
    const { tracker } = setup({}, store);
    await tracker.loadAll();
    await tracker.checkReplica('t', 'c', 'r1', T0);
    await tracker.tick(T0);
    expect(await store.get(key('t', 'c'))).toEqual({ replica: 'r1', receivedAt: T0, deletedAt: 0, electedAt: T0, electedChanges: 4 });
  });

  it('reports rows sorted by tenant and cluster with times until update and failover', async () => {
    const { tracker, clock } = setup();
    await tracker.checkReplica('b', 'z', 'r1', T0);
    await tracker.checkReplica('a', 'y', 'r2', T0 + 5 * S);
    clock.now = T0 + 20 * S;
    expect(tracker.status()).toEqual([
      { tenant: 'a', cluster: 'y', replica: 'r2', electedAt: T0 + 5 * S, lastSeen: T0 + 5 * S, untilUpdateMs: 0, untilFailoverMs: 15 * S, electedChanges: 0 },
      { tenant: 'b', cluster: 'z', replica: 'r1', electedAt: T0, lastSeen: T0, untilUpdateMs: -5 * S, untilFailoverMs: 10 * S, electedChanges: 0 },
    ]);
  });

  it('reports metrics hooks for CAS and leader changes', async () => {
    const seen: string[] = [];
    const { tracker } = setup({
      metrics: {
        casCalled: (t, c) => seen.push(`cas ${t}/${c}`),
        electedReplicaUpdated: (t, c, d, changed) => seen.push(`elected ${t}/${c} ${d.replica} ${changed}`),
      },
    });
    await tracker.checkReplica('t', 'c', 'r1', T0);
    await tracker.checkReplica('t', 'c', 'r1', T0 + 16 * S);
    await tracker.tick(T0 + 16 * S);
    expect(seen).toEqual(['cas t/c', 'elected t/c r1 true', 'cas t/c', 'elected t/c r1 false']);
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
