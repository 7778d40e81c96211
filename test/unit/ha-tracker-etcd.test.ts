/**
 * The HA tracker on a real etcd (one per file, free ports): the shared behaviour suite
 * (test/support/ha-tracker-suite.ts), then what is etcd's own: the store contract, CAS races on the mod
 * revision, the bounded give-up, the watch feed, and etcd going away.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdReplicaDescStore, type EtcdReplicaDescStoreOptions } from '../../src/ingest/tracker/etcd-store.js';
import { HaTracker, replicaKey, type ReplicaDesc } from '../../src/ingest/tracker/index.js';
import { sleep } from '../support/child-process.js';
import { etcdAvailable, startEtcd, type EtcdServer } from '../support/etcd-server.js';
import { eventually, haTrackerBehaviour } from '../support/ha-tracker-suite.js';

if (!etcdAvailable()) console.warn('SKIP: etcd not installed: HA tracker tests against etcd skipped');

const T0 = 1_700_000_000_000;
const S = 1000;
const key = (tenant: string, cluster: string) => replicaKey('ha-tracker/', tenant, cluster);

const desc = (replica: string, receivedAt = T0, extra: Partial<ReplicaDesc> = {}): ReplicaDesc => ({
  replica,
  receivedAt,
  deletedAt: 0,
  electedAt: receivedAt,
  electedChanges: 0,
  ...extra,
});

/** A plain put by someone else, finished before this returns. */
function blindPutSync(url: string, k: string, value: string): void {
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const body = JSON.stringify({ key: b64(k), value: b64(value) });
  const script = `fetch(${JSON.stringify(`${url}/v3/kv/put`)}, { method: 'POST', body: ${JSON.stringify(body)} })
    .then((r) => { if (r.status !== 200) process.exit(2); }, () => process.exit(3));`;
  const r = spawnSync(process.execPath, ['-e', script], { stdio: 'ignore', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`blind put failed: status ${r.status}`);
}

let prefixCounter = 0;
/** A fresh etcd key prefix per test so tests sharing one server never see each other's keys. */
const freshPrefix = () => `promdedup-test-${process.pid}-${++prefixCounter}/`;

describe.skipIf(!etcdAvailable())('EtcdReplicaDescStore against a real etcd', () => {
  let etcd: EtcdServer;
  const stores: EtcdReplicaDescStore[] = [];
  const open = (prefix: string, extra: Partial<EtcdReplicaDescStoreOptions> = {}) => {
    const store = new EtcdReplicaDescStore({ endpoints: [etcd.url], prefix, dialTimeoutMs: 2000, requestTimeoutMs: 3000, ...extra });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close().catch(() => {})));
    await etcd?.stop();
  });

  describe('tracker behaviour', () => {
    // One etcd prefix for the suite (its tests share it, each with its own tracker key prefix).
    const suitePrefix = freshPrefix();
    haTrackerBehaviour({
      open: async () => open(suitePrefix),
      watchesLive: (s) => s.watchesReady(),
      close: (s) => s.close(),
    });
  });

  it('get / cas / delete / list', async () => {
    const prefix = freshPrefix();
    const store = open(prefix);
    expect(await store.get(key('t', 'c'))).toBeNull();

    const written = await store.cas(key('t', 'c'), (current) => {
      expect(current).toBeNull();
      return desc('r1');
    });
    expect(written).toEqual(desc('r1'));
    expect(await store.get(key('t', 'c'))).toEqual(desc('r1'));

    const updated = await store.cas(key('t', 'c'), (current) => ({ ...current!, receivedAt: T0 + 5 * S }));
    expect(updated).toEqual(desc('r1', T0 + 5 * S, { electedAt: T0 }));
    expect(await store.get(key('t', 'c'))).toEqual(updated);

    await store.cas(key('t', 'other/cluster'), () => desc('a'));
    await store.cas(key('u', 'c'), () => desc('b'));
    const all = await store.list('ha-tracker/');
    expect([...all.keys()].sort()).toEqual([key('t', 'c'), key('t', 'other/cluster'), key('u', 'c')]);
    expect(all.get(key('u', 'c'))).toEqual(desc('b'));
    expect([...(await store.list('ha-tracker/t/')).keys()].sort()).toEqual([key('t', 'c'), key('t', 'other/cluster')]);
    expect((await store.list('nothing-here/')).size).toBe(0);

    // Another etcd prefix is a separate keyspace.
    expect((await open(freshPrefix()).list('ha-tracker/')).size).toBe(0);

    await store.delete(key('t', 'c'));
    expect(await store.get(key('t', 'c'))).toBeNull();
    await store.delete(key('t', 'c')); // absent: not an error
    expect([...(await store.list('ha-tracker/')).keys()].sort()).toEqual([key('t', 'other/cluster'), key('u', 'c')]);
  });

  it('cas whose update returns null writes nothing and resolves to the current value', async () => {
    const store = open(freshPrefix());
    let seen: ReplicaDesc | null | undefined;
    expect(await store.cas(key('t', 'c'), () => null)).toBeNull();
    expect(await store.get(key('t', 'c'))).toBeNull();
    expect((await store.list('ha-tracker/')).size).toBe(0);

    await store.cas(key('t', 'c'), () => desc('r1'));
    const result = await store.cas(key('t', 'c'), (current) => {
      seen = current;
      return null;
    });
    expect(seen).toEqual(desc('r1'));
    expect(result).toEqual(desc('r1'));
    expect(await store.get(key('t', 'c'))).toEqual(desc('r1'));
  });

  it('concurrent cas from two instances on one key loses no update', async () => {
    const prefix = freshPrefix();
    const a = open(prefix);
    const b = open(prefix);
    await a.cas(key('t', 'c'), () => desc('r', T0));
    const applied: string[] = [];
    const bump = (store: EtcdReplicaDescStore, name: string) => async () => {
      for (let i = 0; i < 15; i++) {
        await store.cas(key('t', 'c'), (current) => ({ ...current!, electedChanges: current!.electedChanges + 1 }));
        applied.push(name);
      }
    };
    await Promise.all([bump(a, 'a')(), bump(b, 'b')(), bump(a, 'a2')(), bump(b, 'b2')()]);
    expect(applied).toHaveLength(60);
    expect((await b.get(key('t', 'c')))?.electedChanges).toBe(60);

    // Two racing first writers: exactly one creates the key, the other sees it.
    const results = await Promise.all([
      a.cas(key('t', 'fresh'), (current) => current ?? desc('from-a')),
      b.cas(key('t', 'fresh'), (current) => current ?? desc('from-b')),
    ]);
    expect(results[0]).toEqual(results[1]);
    expect(await a.get(key('t', 'fresh'))).toEqual(results[0]);
  });

  it('cas gives up with a clear error after the bounded number of lost races', async () => {
    const prefix = freshPrefix();
    const a = open(prefix, { maxCasAttempts: 3 });
    await a.cas(key('t', 'c'), () => desc('r1'));
    let calls = 0;
    // Every time `a` has computed its update, another client has already rewritten the key: the write is done
    // synchronously (a child process putting through etcd's JSON gateway) so it surely lands before a's txn.
    const result = a.cas(key('t', 'c'), (current) => {
      calls++;
      blindPutSync(etcd.url, prefix + key('t', 'c'), JSON.stringify(desc('r1', T0 + calls)));
      return { ...current!, replica: 'never' };
    });
    await expect(result).rejects.toThrow(/CAS on ha-tracker\/t\/c lost the race 3 times in a row/);
    expect(calls).toBe(3);
    expect(await a.get(key('t', 'c'))).toEqual(desc('r1', T0 + 3));
  });

  it("watch sees another instance's put and delete, and stops after unsubscribe", async () => {
    const prefix = freshPrefix();
    const writer = open(prefix);
    const watcher = open(prefix);
    const events: Array<[string, ReplicaDesc | null]> = [];
    const unsubscribe = watcher.watch('ha-tracker/t/', (k, d) => events.push([k, d]));
    await watcher.watchesReady();

    await writer.cas(key('t', 'c'), () => desc('r1'));
    await writer.cas(key('u', 'c'), () => desc('elsewhere')); // outside the watched prefix
    await writer.cas(key('t', 'c'), (cur) => ({ ...cur!, receivedAt: T0 + S }));
    await writer.delete(key('t', 'c'));
    await eventually(() => events.length >= 3, 'three watch events');
    expect(events).toEqual([
      [key('t', 'c'), desc('r1')],
      [key('t', 'c'), desc('r1', T0 + S, { electedAt: T0 })],
      [key('t', 'c'), null],
    ]);

    unsubscribe();
    await sleep(100);
    await writer.cas(key('t', 'after'), () => desc('r9'));
    await sleep(300);
    expect(events).toHaveLength(3);
  });
});

describe.skipIf(!etcdAvailable())('EtcdReplicaDescStore with etcd stopped', () => {
  let etcd: EtcdServer | undefined;
  let store: EtcdReplicaDescStore | undefined;

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await store?.close().catch(() => {});
    await etcd?.stop();
  });

  it('unknown clusters reject, known clusters answer from the cache', async () => {
    store = new EtcdReplicaDescStore({ endpoints: [etcd!.url], prefix: freshPrefix(), dialTimeoutMs: 1000, requestTimeoutMs: 1500 });
    const tracker = new HaTracker({ store, now: () => T0, random: () => 0.5, updateTimeoutJitterMaxMs: 0 });
    expect(await tracker.checkReplica('t', 'known', 'r1', T0)).toEqual({ kind: 'accept' });

    await etcd!.stop();

    const started = Date.now();
    await expect(tracker.checkReplica('t', 'unknown', 'r1', T0)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(30_000);
    await expect(store.get(key('t', 'known'))).rejects.toThrow();
    await expect(store.cas(key('t', 'known'), () => desc('x'))).rejects.toThrow();
    await expect(store.list('ha-tracker/')).rejects.toThrow();

    expect(await tracker.checkReplica('t', 'known', 'r1', T0 + S)).toEqual({ kind: 'accept' });
    expect(await tracker.checkReplica('t', 'known', 'r2', T0 + S)).toEqual({ kind: 'reject-follower', replica: 'r2', elected: 'r1' });
  });
});
