/**
 * The HA tracker on a real redis-server (one per file, free port): the shared behaviour suite
 * (test/support/ha-tracker-suite.ts), then what is Redis's own: the store contract, CAS under
 * concurrency from two clients, and Redis going away (known clusters answered from the cache, unknown
 * ones refused, all fine once it is back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaTracker, type ReplicaDesc } from '../../src/ingest/tracker/index.js';
import { RedisReplicaDescStore } from '../../src/ingest/tracker/redis-store.js';
import { sleep } from '../support/child-process.js';
import { haTrackerBehaviour } from '../support/ha-tracker-suite.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';

if (!redisAvailable()) console.warn('SKIP: redis-server not on PATH: HA tracker tests against Redis skipped');

const T0 = 1_700_000_000_000;
const desc = (replica: string, receivedAt: number): ReplicaDesc => ({ replica, receivedAt, deletedAt: 0, electedAt: receivedAt, electedChanges: 0 });

describe.skipIf(!redisAvailable())('Redis HA tracker store', () => {
  let redis: RedisServer;
  const stores: RedisReplicaDescStore[] = [];
  const store = async (): Promise<RedisReplicaDescStore> => {
    // Polling every 20 ms keeps the watch-based scenarios fast (production default: 1 s).
    const s = new RedisReplicaDescStore({ address: redis.address, pollIntervalMs: 20, commandTimeoutMs: 500 });
    await s.connect();
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis?.stop();
  });

  // Before the tests below, the last of which stops and restarts the server.
  describe('tracker behaviour', () => {
    haTrackerBehaviour({ open: store, close: (s) => s.close() });
  });

  it('gets, CASes (no write when the update says so), lists by prefix and deletes', async () => {
    const s = await store();
    expect(await s.get('t1/x')).toBeNull();
    expect(await s.cas('t1/x', () => desc('a', T0))).toEqual(desc('a', T0));
    expect(await s.cas('t1/x', (cur) => (cur?.replica === 'a' ? null : desc('b', T0)))).toEqual(desc('a', T0));
    await s.cas('t1/y', () => desc('b', T0));
    await s.cas('other/z', () => desc('c', T0));
    expect([...(await s.list('t1/')).keys()].sort()).toEqual(['t1/x', 't1/y']);
    await s.delete('t1/x');
    await s.delete('t1/absent');
    expect(await s.get('t1/x')).toBeNull();
  });

  it('loses no update when two clients CAS one key concurrently', async () => {
    const [a, b] = [await store(), await store()];
    await a.cas('race/k', () => desc('a', T0));
    const bump = (s: RedisReplicaDescStore) => s.cas('race/k', (cur) => ({ ...cur!, electedChanges: cur!.electedChanges + 1 }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 === 0 ? a : b)));
    expect((await a.get('race/k'))!.electedChanges).toBe(20);
  });

  it('Redis down: known clusters answer from the cache, unknown ones are refused; all is well once it is back', async () => {
    const s = await store();
    const tracker = new HaTracker({ store: s, now: () => T0, random: () => 0.5, updateTimeoutJitterMaxMs: 0, keyPrefix: 'down/' });
    expect(await tracker.checkReplica('t', 'known', 'r1', T0)).toEqual({ kind: 'accept' });
    await redis.stop();
    expect(await tracker.checkReplica('t', 'known', 'r1', T0 + 1000)).toEqual({ kind: 'accept' });
    await expect(tracker.checkReplica('t', 'new', 'r1', T0 + 1000)).rejects.toThrow();
    await redis.restart();
    const deadline = Date.now() + 10_000;
    let answer: unknown = null;
    while (Date.now() < deadline) {
      answer = await tracker.checkReplica('t', 'new', 'r1', T0 + 2000).catch(() => null);
      if (answer !== null) break;
      await sleep(100);
    }
    expect(answer).toEqual({ kind: 'accept' });
  }, 30_000);
});
