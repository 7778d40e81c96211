/**
 * The HA tracker's behaviour, written once and run against every store (memory, a real Redis, a real etcd): the
 * scenarios of the reference's §4 (first writer wins, failover after the timeout, clusters independent, update
 * throttling, jitter bounds, tenants isolated, cluster limit and cleanup, trackers sharing a store, sample-time
 * failover), with a fake clock for the tracker. The stores keep real time for their own mechanics (watch, poll):
 * where one instance must see another's write, the test waits for it with a bounded poll, never a fixed sleep.
 *
 * The calling file owns the store's server (started once per file) and calls `haTrackerBehaviour` inside a
 * describe; every test gets its own key prefix, so tests sharing one server never see each other's keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HaTracker, replicaKey, type HaTrackerOptions, type ReplicaDesc, type ReplicaDescStore } from '../../src/ingest/tracker/index.js';
import { sleep } from './child-process.js';

/** The tracker's clock starts here; nothing depends on the real date. */
export const T0 = 1_700_000_000_000;
const S = 1000;
const MIN = 60 * S;

export interface HaTrackerBackend<Store extends ReplicaDescStore = ReplicaDescStore> {
  /** One more client of the file's store: the memory store itself, or a new connection to the server. */
  open(): Promise<Store>;
  /** Resolves once the watches requested on `store` are live (etcd sets them up in the background). */
  watchesLive?(store: Store): Promise<void>;
  /** Releases a store `open` returned. */
  close?(store: Store): Promise<void>;
}

/** Waits until `check` holds, polling every 10 ms; fails after `timeoutMs` (real time) saying what it waited for. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

type TrackerOptions = Partial<Omit<HaTrackerOptions, 'store' | 'metrics' | 'onElectionChange'>>;

/** One tracker instance with its own store client and what it reported through its hooks. */
interface Instance {
  readonly tracker: HaTracker;
  readonly store: ReplicaDescStore;
  /** `tenant/cluster: from -> to` per leader change this instance saw. */
  readonly changes: string[];
  /** `cas t/c` and `elected t/c replica changed` in order. */
  readonly events: string[];
  readonly counts: { cas: number; cleanupStarted: number; marked: number; deleted: number; deleteFailed: number; backgroundErrors: number };
  /** Starts this instance's watch and waits until it is live. */
  watch(): Promise<void>;
  /** The cluster's leader in this instance's cache (undefined when not cached). */
  leader(tenant: string, cluster: string): string | undefined;
}

let prefixCounter = 0;

export function haTrackerBehaviour<Store extends ReplicaDescStore>(backend: HaTrackerBackend<Store>): void {
  const opened: Store[] = [];
  const unwatch: Array<() => void> = [];

  afterEach(async () => {
    for (const stop of unwatch.splice(0)) stop();
    await Promise.all(opened.splice(0).map((s) => backend.close?.(s)));
  });

  /** A fresh key prefix and a fake clock for one test; `instance()` adds trackers sharing the store. */
  function harness() {
    const prefix = `ha-suite-${process.pid}-${++prefixCounter}/`;
    const clock = { now: T0 };
    let probe: Store | null = null;
    const key = (tenant: string, cluster: string) => replicaKey(prefix, tenant, cluster);

    async function instance(options: TrackerOptions = {}): Promise<Instance> {
      const store = await backend.open();
      opened.push(store);
      const changes: string[] = [];
      const events: string[] = [];
      const counts = { cas: 0, cleanupStarted: 0, marked: 0, deleted: 0, deleteFailed: 0, backgroundErrors: 0 };
      const tracker = new HaTracker({
        store,
        keyPrefix: prefix,
        now: () => clock.now,
        random: () => 0.5,
        updateTimeoutJitterMaxMs: 0,
        onElectionChange: (tenant, cluster, from, to) => changes.push(`${tenant}/${cluster}: ${from ?? '-'} -> ${to}`),
        metrics: {
          casCalled: (t, c) => {
            counts.cas++;
            events.push(`cas ${t}/${c}`);
          },
          electedReplicaUpdated: (t, c, d, changed) => events.push(`elected ${t}/${c} ${d.replica} ${changed}`),
          cleanupStarted: () => counts.cleanupStarted++,
          markedForDeletion: () => counts.marked++,
          deleted: () => counts.deleted++,
          deleteFailed: () => counts.deleteFailed++,
          backgroundError: () => counts.backgroundErrors++,
        },
        ...options,
      });
      return {
        tracker,
        store,
        changes,
        events,
        counts,
        async watch() {
          unwatch.push(tracker.watchStore());
          await backend.watchesLive?.(store);
        },
        leader: (tenant, cluster) => tracker.status().find((r) => r.tenant === tenant && r.cluster === cluster)?.replica,
      };
    }

    /** The record as the store holds it, read through a client of its own. */
    async function stored(tenant: string, cluster: string): Promise<ReplicaDesc | null> {
      if (probe === null) {
        probe = await backend.open();
        opened.push(probe);
      }
      return probe.get(key(tenant, cluster));
    }

    return { prefix, clock, key, instance, stored };
  }

  describe('election', () => {
    it('first writer wins; a follower is rejected with the elected name', async () => {
      const h = harness();
      const a = await h.instance();
      expect(await a.tracker.checkReplica('t', 'c', 'r1', T0)).toEqual({ kind: 'accept' });
      expect(await a.tracker.checkReplica('t', 'c', 'r2', T0)).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });
      expect(await a.tracker.checkReplica('t', 'c', 'r1', T0 + 1)).toEqual({ kind: 'accept' });
      expect(await h.stored('t', 'c')).toEqual({ replica: 'r1', receivedAt: T0, deletedAt: 0, electedAt: T0, electedChanges: 0 });
      expect(a.changes).toEqual(['t/c: - -> r1']);
      expect(a.counts.cas).toBe(1); // only the unknown cluster's election touched the store
    });

    it('two concurrent first pushes elect exactly one', async () => {
      const h = harness();
      const a = await h.instance();
      const answers = await Promise.all([a.tracker.checkReplica('t', 'c', 'r1', T0), a.tracker.checkReplica('t', 'c', 'r2', T0)]);
      const winner = (await h.stored('t', 'c'))?.replica;
      expect(['r1', 'r2']).toContain(winner);
      const loser = winner === 'r1' ? 'r2' : 'r1';
      expect(answers[winner === 'r1' ? 0 : 1]).toEqual({ kind: 'accept' });
      expect(answers[winner === 'r1' ? 1 : 0]).toEqual({ kind: 'reject-follower', replica: loser, elected: winner });
      expect(a.changes).toEqual([`t/c: - -> ${winner}`]);
    });

    it('fails over after the failover timeout (in the background tick), not before', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('t', 'c', 'r1', T0);

      // r1 goes silent; r2 keeps pushing. The push path never writes for a known cluster.
      for (const at of [10 * S, 20 * S, 29 * S]) {
        expect((await a.tracker.checkReplica('t', 'c', 'r2', T0 + at)).kind).toBe('reject-follower');
      }
      expect(a.counts.cas).toBe(1);
      await a.tracker.tick(T0 + 29 * S); // 29s < 30s failover timeout: CAS declines
      expect((await h.stored('t', 'c'))?.replica).toBe('r1');
      expect((await a.tracker.checkReplica('t', 'c', 'r2', T0 + 30 * S)).kind).toBe('reject-follower');

      await a.tracker.tick(T0 + 30 * S); // exactly the timeout: "<" is false, failover
      expect(await h.stored('t', 'c')).toEqual({ replica: 'r2', receivedAt: T0 + 30 * S, deletedAt: 0, electedAt: T0 + 30 * S, electedChanges: 1 });
      expect(await a.tracker.checkReplica('t', 'c', 'r2', T0 + 31 * S)).toEqual({ kind: 'accept' });
      expect(await a.tracker.checkReplica('t', 'c', 'r1', T0 + 31 * S)).toEqual({ kind: 'reject-follower', replica: 'r1', elected: 'r2' });
      expect(a.changes).toEqual(['t/c: - -> r1', 't/c: r1 -> r2']);
    });

    it('a leader that keeps pushing is never failed over', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      for (let at = 5 * S; at <= 120 * S; at += 5 * S) {
        await a.tracker.checkReplica('t', 'c', 'r1', T0 + at);
        await a.tracker.checkReplica('t', 'c', 'r2', T0 + at);
        if (at % (15 * S) === 0) await a.tracker.tick(T0 + at);
      }
      expect(await h.stored('t', 'c')).toMatchObject({ replica: 'r1', receivedAt: T0 + 120 * S, electedAt: T0, electedChanges: 0 });
      expect(a.changes).toEqual(['t/c: - -> r1']);
    });

    it('keeps clusters independent', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('t', 'c1', 'r1', T0);
      await a.tracker.checkReplica('t', 'c2', 'r1', T0);
      expect((await a.tracker.checkReplica('t', 'c1', 'r2', T0)).kind).toBe('reject-follower');
      expect((await a.tracker.checkReplica('t', 'c2', 'r2', T0)).kind).toBe('reject-follower');

      await a.tracker.checkReplica('t', 'c2', 'r1', T0 + 16 * S); // r1 alive only for c2
      await a.tracker.tick(T0 + 16 * S);
      await a.tracker.checkReplica('t', 'c1', 'r2', T0 + 31 * S);
      await a.tracker.checkReplica('t', 'c2', 'r2', T0 + 31 * S);
      await a.tracker.tick(T0 + 31 * S);

      expect(await h.stored('t', 'c1')).toMatchObject({ replica: 'r2', receivedAt: T0 + 31 * S, electedChanges: 1 });
      expect(await h.stored('t', 'c2')).toMatchObject({ replica: 'r1', receivedAt: T0 + 16 * S, electedChanges: 0 });
      expect(a.counts.backgroundErrors).toBe(0);
    });

    it('keeps tenants isolated', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('u1', 'c', 'a', T0);
      await a.tracker.checkReplica('u2', 'c', 'b', T0);
      expect((await a.tracker.checkReplica('u1', 'c', 'b', T0)).kind).toBe('reject-follower');
      expect((await a.tracker.checkReplica('u2', 'c', 'b', T0)).kind).toBe('accept');

      await a.tracker.checkReplica('u1', 'c', 'a', T0 + 16 * S);
      await a.tracker.tick(T0 + 16 * S);
      expect(await h.stored('u1', 'c')).toMatchObject({ replica: 'a', receivedAt: T0 + 16 * S });
      expect(await h.stored('u2', 'c')).toMatchObject({ replica: 'b', receivedAt: T0 });
    });
  });

  describe('heartbeat throttling and jitter', () => {
    it('writes nothing within the update timeout, then the real last-seen time', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      expect(a.counts.cas).toBe(1);

      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      await a.tracker.checkReplica('t', 'c', 'r1', T0 + 5 * S);
      await a.tracker.tick(T0 + 10 * S);
      await a.tracker.checkReplica('t', 'c', 'r1', T0 + 14 * S);
      await a.tracker.tick(T0 + 14 * S);
      expect(a.counts.cas).toBe(1); // not even a CAS attempt while fresh
      expect((await h.stored('t', 'c'))?.receivedAt).toBe(T0);

      await a.tracker.tick(T0 + 16 * S); // due: flushes the sighting at 14s, not the tick time
      expect(a.counts.cas).toBe(2);
      expect(await h.stored('t', 'c')).toEqual({ replica: 'r1', receivedAt: T0 + 14 * S, deletedAt: 0, electedAt: T0, electedChanges: 0 });
    });

    it('an idle cluster gets no heartbeat', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      await a.tracker.tick(T0 + 20 * S);
      expect(a.counts.cas).toBe(1);
      expect((await h.stored('t', 'c'))?.receivedAt).toBe(T0);
    });

    it('compares strictly with update timeout + jitter', async () => {
      const h = harness();
      // UT 10s, no jitter: at 9s elapsed stays, at 10s elapsed rewrites.
      const plain = await h.instance({ updateTimeoutMs: 10 * S });
      await plain.tracker.checkReplica('t', 'plain', 'r1', T0 + 5 * S);
      await plain.tracker.checkReplica('t', 'plain', 'r1', T0 + 14 * S);
      await plain.tracker.tick(T0 + 14 * S);
      expect((await h.stored('t', 'plain'))?.receivedAt).toBe(T0 + 5 * S);
      await plain.tracker.checkReplica('t', 'plain', 'r1', T0 + 15 * S);
      await plain.tracker.tick(T0 + 15 * S);
      expect((await h.stored('t', 'plain'))?.receivedAt).toBe(T0 + 15 * S);

      // Jitter +2s (random 0.7 with max 5s): at 11s elapsed stays, at 12s rewrites.
      const jittered = await h.instance({ updateTimeoutMs: 10 * S, updateTimeoutJitterMaxMs: 5 * S, random: () => 0.7 });
      await jittered.tracker.checkReplica('t', 'jittered', 'r1', T0 + 5 * S);
      await jittered.tracker.checkReplica('t', 'jittered', 'r1', T0 + 16 * S);
      await jittered.tracker.tick(T0 + 16 * S);
      expect((await h.stored('t', 'jittered'))?.receivedAt).toBe(T0 + 5 * S);
      await jittered.tracker.checkReplica('t', 'jittered', 'r1', T0 + 17 * S);
      await jittered.tracker.tick(T0 + 17 * S);
      expect((await h.stored('t', 'jittered'))?.receivedAt).toBe(T0 + 17 * S);
    });

    it('jitter at its bounds: -max shortens the update timeout to UT-max, the largest draw lengthens it to UT+max-1ms', async () => {
      const h = harness();
      const cases = [
        { cluster: 'low', random: () => 0, dueAfter: 5 * S }, // jitter -5000
        { cluster: 'high', random: () => 0.99999999, dueAfter: 14_999 }, // jitter +4999 ([-max, +max))
      ];
      for (const { cluster, random, dueAfter } of cases) {
        const a = await h.instance({ updateTimeoutMs: 10 * S, updateTimeoutJitterMaxMs: 5 * S, failoverTimeoutMs: 16 * S, random });
        await a.tracker.checkReplica('t', cluster, 'r1', T0);
        await a.tracker.checkReplica('t', cluster, 'r1', T0 + dueAfter - 1);
        await a.tracker.tick(T0 + dueAfter - 1);
        expect((await h.stored('t', cluster))?.receivedAt, `${cluster}: 1 ms before due`).toBe(T0);
        await a.tracker.checkReplica('t', cluster, 'r1', T0 + dueAfter);
        await a.tracker.tick(T0 + dueAfter);
        expect((await h.stored('t', cluster))?.receivedAt, `${cluster}: due`).toBe(T0 + dueAfter);
      }
    });
  });

  describe('cluster limit and cleanup', () => {
    it('rejects clusters past the limit until cleanup frees a slot; all gone after the next cycles', async () => {
      const h = harness();
      const a = await h.instance({ maxClusters: 2 });
      expect((await a.tracker.checkReplica('t', 'a', 'r1', T0)).kind).toBe('accept');
      expect((await a.tracker.checkReplica('t', 'b', 'r1', T0)).kind).toBe('accept');
      expect(await a.tracker.checkReplica('t', 'c', 'r1', T0)).toEqual({ kind: 'too-many-clusters', limit: 2 });
      expect((await a.tracker.checkReplica('other', 'c', 'r1', T0)).kind).toBe('accept'); // per tenant
      expect(await h.stored('t', 'c')).toBeNull();

      // b fails over to b2, which stays alive; a goes idle past the deletion timeout. (Heartbeats without
      // tick's own cleanup cycle, so that only the explicit cleanups below run.)
      await a.tracker.checkReplica('t', 'b', 'b2', T0 + 30 * S);
      await a.tracker.flushHeartbeats(T0 + 30 * S);
      expect((await h.stored('t', 'b'))?.replica).toBe('b2');
      const later = T0 + 31 * MIN;
      await a.tracker.checkReplica('t', 'b', 'b2', later);
      await a.tracker.flushHeartbeats(later);
      await a.tracker.cleanup(later);
      expect((await h.stored('t', 'a'))?.deletedAt).toBe(later);
      expect(a.tracker.status().map((r) => `${r.tenant}/${r.cluster}`)).toEqual(['t/b']); // other/c was idle too

      expect((await a.tracker.checkReplica('t', 'c', 'r1', later)).kind).toBe('accept');
      expect(await a.tracker.checkReplica('t', 'a', 'r1', later)).toEqual({ kind: 'too-many-clusters', limit: 2 });

      // Next cycle: b and c idle → soft-deleted; a's mark is a deletion timeout old → removed. Then a is welcome.
      const last = later + 31 * MIN;
      await a.tracker.cleanup(last);
      expect(await h.stored('t', 'a')).toBeNull();
      expect((await h.stored('t', 'b'))?.deletedAt).toBe(last);
      expect((await h.stored('t', 'c'))?.deletedAt).toBe(last);
      expect(a.tracker.status()).toEqual([]);
      expect(await a.tracker.checkReplica('t', 'a', 'r1', last)).toEqual({ kind: 'accept' });
      expect(await h.stored('t', 'a')).toMatchObject({ replica: 'r1', deletedAt: 0, electedAt: last, electedChanges: 0 });
      expect(a.counts).toMatchObject({ marked: 4, deleted: 2, deleteFailed: 0, backgroundErrors: 0 });
    });

    it('soft-deletes an idle cluster, removes it after the delay, and lets a returning cluster re-elect', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('t', 'c', 'r1', T0);

      await a.tracker.cleanup(T0 + 29 * MIN); // not idle long enough
      expect((await h.stored('t', 'c'))?.deletedAt).toBe(0);

      const first = T0 + 31 * MIN;
      await a.tracker.cleanup(first);
      expect((await h.stored('t', 'c'))?.deletedAt).toBe(first); // still in the store
      expect(a.tracker.status()).toEqual([]); // gone from the cache

      // Returning cluster: any replica may take a soft-deleted key; a fresh election.
      expect((await a.tracker.checkReplica('t', 'c', 'r2', first + S)).kind).toBe('accept');
      expect(await h.stored('t', 'c')).toMatchObject({ replica: 'r2', deletedAt: 0, electedAt: first + S, receivedAt: first + S });

      const second = first + S + 31 * MIN;
      await a.tracker.cleanup(second);
      expect((await h.stored('t', 'c'))?.deletedAt).toBe(second);
      await a.tracker.cleanup(second + 29 * MIN); // marked less than the deletion timeout ago
      expect(await h.stored('t', 'c')).not.toBeNull();
      await a.tracker.cleanup(second + 30 * MIN);
      expect(await h.stored('t', 'c')).toBeNull();
      expect(a.counts).toMatchObject({ cleanupStarted: 5, marked: 2, deleted: 1, deleteFailed: 0 });
    });

    it('runs cleanup from tick on its jittered 24-36 minute cycle', async () => {
      const h = harness();
      const a = await h.instance({ random: () => 0 }); // shortest cycle: 24 min
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      await a.tracker.tick(T0); // schedules the first cleanup at T0 + 24 min
      await a.tracker.tick(T0 + 23 * MIN);
      expect(a.counts.cleanupStarted).toBe(0);
      await a.tracker.tick(T0 + 24 * MIN);
      expect(a.counts.cleanupStarted).toBe(1); // ran, but nothing is 30 min idle yet
      expect((await h.stored('t', 'c'))?.deletedAt).toBe(0);
      await a.tracker.tick(T0 + 48 * MIN);
      expect((await h.stored('t', 'c'))?.deletedAt).toBe(T0 + 48 * MIN);
    });
  });

  describe('trackers sharing the store', () => {
    it('elect the same leader and fail over together (watch)', async () => {
      const h = harness();
      const a = await h.instance();
      const b = await h.instance();
      await a.watch();
      await b.watch();

      expect((await a.tracker.checkReplica('t', 'c', 'r1', T0)).kind).toBe('accept');
      await eventually(() => b.leader('t', 'c') === 'r1', 'b to learn r1 through the watch');
      expect(await b.tracker.checkReplica('t', 'c', 'r2', T0)).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });
      expect(b.counts.cas).toBe(0); // b learned through the watch, no CAS needed

      // r1 dies. a has seen nobody since: its tick does nothing.
      await a.tracker.tick(T0 + 31 * S);
      expect(a.counts.cas).toBe(1);
      // r2 pushes to both. b's tick fails over; a's tick right after (its watch may not have delivered yet)
      // finds the record fresh: one election, not two.
      await b.tracker.checkReplica('t', 'c', 'r2', T0 + 31 * S);
      await a.tracker.checkReplica('t', 'c', 'r2', T0 + 31 * S);
      await b.tracker.tick(T0 + 31 * S);
      expect(b.leader('t', 'c')).toBe('r2');
      await a.tracker.tick(T0 + 31 * S);
      expect(await h.stored('t', 'c')).toMatchObject({ replica: 'r2', receivedAt: T0 + 31 * S, electedChanges: 1 });
      await eventually(() => a.leader('t', 'c') === 'r2', 'a to learn the failover');
      expect((await a.tracker.checkReplica('t', 'c', 'r2', T0 + 32 * S)).kind).toBe('accept');
      expect((await a.tracker.checkReplica('t', 'c', 'r1', T0 + 32 * S)).kind).toBe('reject-follower');
      expect(a.changes).toEqual(['t/c: - -> r1', 't/c: r1 -> r2']);
      expect(b.changes).toEqual(['t/c: - -> r1', 't/c: r1 -> r2']);
    });

    it('converge through CAS and loadAll without a watch', async () => {
      const h = harness();
      const a = await h.instance();
      const b = await h.instance();

      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      // b has never heard of the cluster: its CAS finds r1 fresh and adopts it.
      expect(await b.tracker.checkReplica('t', 'c', 'r2', T0 + S)).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });
      expect((await h.stored('t', 'c'))?.receivedAt).toBe(T0);

      // A restarted instance warms up from the store and rejects r2 without any CAS.
      const c = await h.instance();
      expect(await c.tracker.loadAll()).toBe(1);
      expect((await c.tracker.checkReplica('t', 'c', 'r2', T0 + 2 * S)).kind).toBe('reject-follower');
      expect(c.counts.cas).toBe(0);

      // b fails over to r2. a (no watch) still believes r1 until its own heartbeat CAS reads the new record.
      await b.tracker.checkReplica('t', 'c', 'r2', T0 + 31 * S);
      await b.tracker.tick(T0 + 31 * S);
      expect((await h.stored('t', 'c'))?.replica).toBe('r2');
      await a.tracker.checkReplica('t', 'c', 'r1', T0 + 35 * S); // r1 is back; a accepts from its stale cache
      await a.tracker.tick(T0 + 35 * S); // stored r2 is fresh: CAS declines and a adopts r2
      expect(await h.stored('t', 'c')).toMatchObject({ replica: 'r2', receivedAt: T0 + 31 * S, electedChanges: 1 });
      expect((await a.tracker.checkReplica('t', 'c', 'r1', T0 + 36 * S)).kind).toBe('reject-follower');
      expect((await a.tracker.checkReplica('t', 'c', 'r2', T0 + 36 * S)).kind).toBe('accept');
    });

    it("the instance whose background update runs first decides; each carries over only its own sightings (Mimir's two-distributor test)", async () => {
      const h = harness();
      // Mimir runs this with UT = FT = 5s; here failover must be at least UT + 1s.
      const opts = { updateTimeoutMs: 5 * S, failoverTimeoutMs: 6 * S };
      const t1 = await h.instance(opts);
      const t2 = await h.instance(opts);
      await t1.watch();
      await t2.watch();

      expect(await t1.tracker.checkReplica('t', 'c', 'first', T0)).toEqual({ kind: 'accept' });
      await eventually(() => t2.leader('t', 'c') === 'first', 't2 to learn the first election');

      // +10s: t1 sees first, t2 sees second; t2's background update runs first and fails over.
      expect((await t1.tracker.checkReplica('t', 'c', 'first', T0 + 10 * S)).kind).toBe('accept');
      expect((await t2.tracker.checkReplica('t', 'c', 'second', T0 + 10 * S)).kind).toBe('reject-follower');
      await t2.tracker.tick(T0 + 10 * S);
      expect(await h.stored('t', 'c')).toEqual({ replica: 'second', receivedAt: T0 + 10 * S, deletedAt: 0, electedAt: T0 + 10 * S, electedChanges: 1 });
      await eventually(() => t1.leader('t', 'c') === 'second', 't1 to learn the failover');
      await t1.tracker.tick(T0 + 10 * S); // fresh record: nothing to do
      // t1 never saw second, so it has nothing to heartbeat once the record is due.
      await t1.tracker.tick(T0 + 15 * S);
      expect((await h.stored('t', 'c'))?.receivedAt).toBe(T0 + 10 * S);

      // +19s / +20s: both see first (rejected now); t1's update re-elects it with t1's sighting as receivedAt.
      expect((await t1.tracker.checkReplica('t', 'c', 'first', T0 + 19 * S)).kind).toBe('reject-follower');
      expect((await t2.tracker.checkReplica('t', 'c', 'first', T0 + 20 * S)).kind).toBe('reject-follower');
      await t1.tracker.tick(T0 + 20 * S);
      expect(await h.stored('t', 'c')).toEqual({ replica: 'first', receivedAt: T0 + 19 * S, deletedAt: 0, electedAt: T0 + 20 * S, electedChanges: 2 });
      await eventually(() => t2.leader('t', 'c') === 'first', 't2 to learn the re-election');

      // t2 inherited its own non-elected sighting of first (+20s) as the elected one's last-seen time: its
      // heartbeat carries it although first has not pushed to t2 since.
      await t2.tracker.tick(T0 + 24 * S);
      expect(await h.stored('t', 'c')).toEqual({ replica: 'first', receivedAt: T0 + 20 * S, deletedAt: 0, electedAt: T0 + 20 * S, electedChanges: 2 });
      for (const t of [t1, t2]) expect(t.changes).toEqual(['t/c: - -> first', 't/c: first -> second', 't/c: second -> first']);
    });

    it("one instance's cleanup frees the cluster slot in the other (watch)", async () => {
      const h = harness();
      const a = await h.instance({ maxClusters: 1 });
      const b = await h.instance({ maxClusters: 1 });
      await a.watch();
      await b.watch();

      expect((await a.tracker.checkReplica('t', 'old', 'r1', T0)).kind).toBe('accept');
      await eventually(() => b.leader('t', 'old') === 'r1', 'b to learn the cluster');
      expect(await b.tracker.checkReplica('t', 'new', 'r1', T0 + S)).toEqual({ kind: 'too-many-clusters', limit: 1 });

      const later = T0 + 31 * MIN;
      await a.tracker.cleanup(later); // soft delete: a CAS every watcher sees
      expect((await h.stored('t', 'old'))?.deletedAt).toBe(later);
      await eventually(() => b.tracker.status().length === 0, 'b to drop the soft-deleted cluster');
      expect((await b.tracker.checkReplica('t', 'new', 'r1', later)).kind).toBe('accept');
      await eventually(() => a.leader('t', 'new') === 'r1', 'a to learn the new cluster');
      expect(a.tracker.status().map((r) => r.cluster)).toEqual(['new']);
    });
  });

  describe('sample-time failover', () => {
    async function run(failoverSampleTimeoutMs: number) {
      const h = harness();
      const a = await h.instance({ failoverSampleTimeoutMs });
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      // r2's samples lag 20s behind the wall clock.
      await a.tracker.checkReplica('t', 'c', 'r2', T0 + 30 * S, T0 + 10 * S);
      await a.tracker.tick(T0 + 30 * S);
      const atThirty = (await h.stored('t', 'c'))?.replica;
      await a.tracker.checkReplica('t', 'c', 'r2', T0 + 50 * S, T0 + 30 * S);
      await a.tracker.tick(T0 + 50 * S);
      return { atThirty, atFifty: (await h.stored('t', 'c'))?.replica };
    }

    it('waits until the sample time is past the failover sample timeout', async () => {
      expect(await run(30 * S)).toEqual({ atThirty: 'r1', atFifty: 'r2' });
    });

    it('is off at 0: wall-clock failover only', async () => {
      expect(await run(0)).toEqual({ atThirty: 'r2', atFifty: 'r2' });
    });

    it('caps a sample time in the future at now', async () => {
      const h = harness();
      const a = await h.instance({ failoverSampleTimeoutMs: 30 * S });
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      await a.tracker.checkReplica('t', 'c', 'r2', T0 + 29 * S, T0 + 10 * MIN);
      await a.tracker.checkReplica('t', 'c', 'r2', T0 + 30 * S, T0 + 10 * MIN);
      await a.tracker.tick(T0 + 30 * S);
      expect((await h.stored('t', 'c'))?.replica).toBe('r2');
    });
  });

  describe('records and status', () => {
    it('repairs a zero electedAt and keeps electedChanges on heartbeats', async () => {
      const h = harness();
      const a = await h.instance();
      await a.store.cas(h.key('t', 'c'), () => ({ replica: 'r1', receivedAt: T0 - 20 * S, deletedAt: 0, electedAt: 0, electedChanges: 4 }));
      expect(await a.tracker.loadAll()).toBe(1);
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      await a.tracker.tick(T0);
      expect(await h.stored('t', 'c')).toEqual({ replica: 'r1', receivedAt: T0, deletedAt: 0, electedAt: T0, electedChanges: 4 });
    });

    it('reports rows sorted by tenant and cluster with times until update and failover', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('b', 'z', 'r1', T0);
      await a.tracker.checkReplica('a', 'y', 'r2', T0 + 5 * S);
      h.clock.now = T0 + 20 * S;
      expect(a.tracker.status()).toEqual([
        { tenant: 'a', cluster: 'y', replica: 'r2', electedAt: T0 + 5 * S, lastSeen: T0 + 5 * S, untilUpdateMs: 0, untilFailoverMs: 15 * S, electedChanges: 0 },
        { tenant: 'b', cluster: 'z', replica: 'r1', electedAt: T0, lastSeen: T0, untilUpdateMs: -5 * S, untilFailoverMs: 10 * S, electedChanges: 0 },
      ]);
    });

    it('reports metrics hooks for CAS and leader changes', async () => {
      const h = harness();
      const a = await h.instance();
      await a.tracker.checkReplica('t', 'c', 'r1', T0);
      await a.tracker.checkReplica('t', 'c', 'r1', T0 + 16 * S);
      await a.tracker.tick(T0 + 16 * S);
      expect(a.events).toEqual(['cas t/c', 'elected t/c r1 true', 'cas t/c', 'elected t/c r1 false']);
    });
  });
}
