/**
 * `promdedup ingest` on Redis while Redis hangs, dies and comes back empty. Two real promdedup
 * instances share one real redis-server, which is SIGSTOPped (connections open, no answers), then
 * SIGKILLed, then started again on the same port with no data (it ran without persistence, as a
 * cache-style Redis or a pod without a volume does; a restart with its data is the easier case:
 * the records are simply still there). Retrying senders push remote-write 1.0 requests for HA
 * pairs (`cluster`, `__replica__` a/b) to the instances, some alternating, some sticky, and a
 * recording sink decodes what is forwarded.
 *
 * While Redis is away the known clusters keep flowing from the cache (leader 200 and its samples at
 * the sink, follower 202) and a cluster first seen then gets 500 within a bounded time (the sender
 * retries); once Redis is back everything flows, the new cluster included, and no leader changes.
 * Over the whole run: the sink holds exactly the samples of the requests answered 200 (without
 * `__replica__`), every request ended 200 or 202 (nothing lost), 5xx went only to the new cluster
 * while Redis was away, /-/ready and /metrics kept answering and agree with what the senders saw,
 * and no process crashed or logged an unhandled rejection.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { encodeWriteRequest, type DecodedTimeSeries } from '../../src/ingest/remote-write/v1-reference.js';
import { exited, sleep, terminate } from '../support/child-process.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { sampleKeys, startRecordingSink, type RecordingSink } from '../support/remote-write-sink.js';
import { startIngestProcess, type IngestProcess } from '../support/ingest-process.js';

/** Fixed sample times (2024-01-01): the sink is ours, so any time will do and no day differs. */
const T0 = 1_704_067_200_000;
const KNOWN = ['eu1', 'eu2', 'us1'];
const LATE = 'ap1';
const REPLICAS = ['a', 'b'];

type Ingest = IngestProcess;

const startIngest = (args: string[]): Promise<IngestProcess> => startIngestProcess(args);

/** Two series per request, each replica with its own values (so the sink tells them apart). */
function series(cluster: string, replica: string, seq: number): DecodedTimeSeries[] {
  return ['api', 'db'].map((job, j) => ({
    labels: [
      { name: '__name__', value: 'requests_total' },
      { name: '__replica__', value: replica },
      { name: 'cluster', value: cluster },
      { name: 'job', value: job },
    ],
    samples: [{ value: seq * 10 + j + (replica === 'a' ? 0.25 : 0.5), timestamp: T0 + seq * 1000 }],
    exemplars: [],
    histograms: [],
  }));
}

/**
 * Which instance a push goes to: eu1 and the new cluster alternate (a load balancer per request);
 * eu2 and us1 are sticky (a kept-alive connection per Prometheus), so each instance sees only one
 * of their replicas.
 */
function route(cluster: string, replica: string, n: number): number {
  if (cluster === 'eu2') return replica === 'a' ? 0 : 1;
  if (cluster === 'us1') return replica === 'a' ? 1 : 0;
  return n % 2;
}

interface Attempt {
  readonly status: number;
  readonly startedAt: number;
  readonly ms: number;
  readonly instance: number;
}

interface Sent {
  readonly cluster: string;
  readonly replica: string;
  readonly seq: number;
  /** The samples as the sink must see them when accepted: without __replica__. */
  readonly keys: string[];
  readonly attempts: Attempt[];
  /** Answered 2xx or 4xx (no more retries). */
  done: boolean;
}

const final = (s: Sent): number => s.attempts.at(-1)!.status;
const retryable = (status: number): boolean => status === 0 || status >= 500;

/** GET over RESP: the key's value, or null. */
function redisGet(port: number, key: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.once('connect', () => sock.write(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`));
    sock.on('data', (d) => {
      data += d.toString();
      const m = /^\$(-?\d+)\r\n/.exec(data);
      if (m === null) return;
      const len = Number(m[1]);
      if (len < 0) {
        sock.destroy();
        resolve(null);
      } else if (data.length >= m[0].length + len) {
        sock.destroy();
        resolve(data.slice(m[0].length, m[0].length + len));
      }
    });
    sock.once('error', reject);
  });
}

describe.skipIf(!redisAvailable())('promdedup ingest on Redis: Redis hung, killed and restarted empty mid-run', () => {
  let redis: RedisServer;
  let sink: RecordingSink;
  const instances: Ingest[] = [];
  const sent: Sent[] = [];
  let stopSenders = false;
  let aborted = false;
  const loops: Promise<void>[] = [];

  /** The status, or 0 when there was no answer (refused, reset, or none within 15 s: a hang). */
  const push = async (instance: number, body: Uint8Array): Promise<number> => {
    try {
      const res = await fetch(`${instances[instance]!.url}/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  };

  /** Sends one request and retries it on 5xx or no answer (as Prometheus does) until it is answered 2xx or 4xx. */
  const send = async (cluster: string, replica: string, seq: number): Promise<Sent> => {
    const s = series(cluster, replica, seq);
    const body = encodeBody(encodeWriteRequest({ timeseries: s, metadata: [] }));
    const record: Sent = { cluster, replica, seq, keys: sampleKeys(s, ['__replica__']), attempts: [], done: false };
    sent.push(record);
    for (let attempt = 0; !aborted; attempt++) {
      const instance = route(cluster, replica, seq + attempt);
      const startedAt = Date.now();
      const status = await push(instance, body);
      record.attempts.push({ status, startedAt, ms: Date.now() - startedAt, instance });
      if (!retryable(status)) {
        record.done = true;
        break;
      }
      await sleep(100);
    }
    return record;
  };

  /** One sender per (cluster, replica): a request every 100 ms, seq numbers from `from` on. */
  const startSender = (cluster: string, replica: string, from: number): void => {
    loops.push(
      (async () => {
        for (let seq = from; !stopSenders && !aborted; seq++) {
          await send(cluster, replica, seq);
          await sleep(100);
        }
      })(),
    );
  };

  /** Requests sent and answered (finally) within [from, to]. */
  const within = (from: number, to: number, f: (s: Sent) => boolean): Sent[] =>
    sent.filter((s) => s.done && f(s) && s.attempts[0]!.startedAt >= from && s.attempts.at(-1)!.startedAt + s.attempts.at(-1)!.ms <= to);
  const attemptsOf = (cluster: string, from: number, to: number): Attempt[] =>
    sent.filter((s) => s.cluster === cluster).flatMap((s) => s.attempts.filter((a) => a.startedAt >= from && a.startedAt + a.ms <= to));

  const health: { ready: number; metrics: number }[] = [];
  /** Polls /-/ready and /metrics of both instances for `ms`. */
  const watchHealth = async (ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      for (const i of instances) {
        const get = async (path: string) => {
          try {
            const res = await fetch(`${i.url}${path}`, { signal: AbortSignal.timeout(5000) });
            await res.arrayBuffer();
            return res.status;
          } catch {
            return 0;
          }
        };
        health.push({ ready: await get('/-/ready'), metrics: await get('/metrics') });
      }
      await sleep(250);
    }
  };

  const elected = async (i: Ingest): Promise<string[]> => {
    const res = await fetch(`${i.url}/distributor/ha_tracker`, { headers: { accept: 'application/json' } });
    return ((await res.json()) as { elected: { cluster: string; replica: string }[] }).elected.map((r) => `${r.cluster}=${r.replica}`);
  };

  beforeAll(async () => {
    ensureQuerierBuilt();
    [redis, sink] = await Promise.all([startRedis(), startRecordingSink()]);
    const flags = [
      `--remote-write.url=${sink.writeUrl}`,
      '--ha-tracker.store=redis',
      `--ha-tracker.redis.address=${redis.address}`,
      '--ha-tracker.update-timeout=1s',
      '--ha-tracker.update-timeout-jitter-max=0s',
      // Shorter than the outage below: the stored last-seen times go stale while nobody can write them.
      '--ha-tracker.failover-timeout=3s',
    ];
    instances.push(await startIngest(flags), await startIngest(flags));
  }, 60_000);

  afterAll(async () => {
    aborted = true;
    await Promise.allSettled(loops);
    for (const i of instances) await terminate(i.child);
    await redis?.stop();
    await sink?.stop();
  });

  it('known clusters flow from the cache, a new one gets 500 in bounded time until Redis is back, nothing answered 200 is lost', async () => {
    // Elect a for every known cluster (one instance elects, the other follows through Redis).
    for (const c of KNOWN) {
      expect(final(await send(c, 'a', 0))).toBe(200);
      expect(final(await send(c, 'b', 0))).toBe(202);
    }
    for (const c of KNOWN) for (const r of REPLICAS) startSender(c, r, 1);
    await sleep(1500);

    // Redis hangs: connections stay open, nothing is answered. A cluster nobody has seen yet starts sending.
    const hungAt = Date.now();
    redis.pause();
    for (const r of REPLICAS) startSender(LATE, r, 0);
    await watchHealth(3000);
    // Then it dies.
    const killedAt = Date.now();
    await redis.kill();
    await watchHealth(3000);
    const restartedAt = Date.now();

    // While Redis was away: the known clusters' leaders got 200 and their samples reached the
    // sink, their followers 202; the new cluster only 500, within the client's command timeout
    // (2 s) while Redis hung and at once while it was dead; nothing of it reached the sink.
    for (const c of KNOWN) {
      const leader = within(hungAt, restartedAt, (s) => s.cluster === c && s.replica === 'a');
      const follower = within(hungAt, restartedAt, (s) => s.cluster === c && s.replica === 'b');
      expect(leader.length).toBeGreaterThan(20);
      expect(follower.length).toBeGreaterThan(20);
      expect(new Set(leader.map(final))).toEqual(new Set([200]));
      expect(new Set(follower.map(final))).toEqual(new Set([202]));
      for (const s of leader) for (const k of s.keys) expect(sink.samples.has(k)).toBe(true);
    }
    const hung = attemptsOf(LATE, hungAt, killedAt);
    const dead = attemptsOf(LATE, killedAt + 500, restartedAt);
    expect(hung.length).toBeGreaterThan(0);
    expect(dead.length).toBeGreaterThan(10);
    expect(new Set([...hung, ...dead].map((a) => a.status))).toEqual(new Set([500]));
    expect(Math.max(...hung.map((a) => a.ms))).toBeLessThan(3000);
    expect(Math.max(...dead.map((a) => a.ms))).toBeLessThan(1000);
    expect([...sink.samples].some((k) => k.includes(`cluster="${LATE}"`))).toBe(false);
    expect(health.filter((h) => h.ready !== 200 || h.metrics !== 200)).toEqual([]);
    for (const i of instances) expect(await elected(i)).toEqual(KNOWN.map((c) => `${c}=a`));

    // Redis comes back on the same port, empty (it ran without persistence).
    await redis.restart();
    // The new cluster's retried requests get through: one of its replicas is elected.
    const deadline = Date.now() + 20_000;
    while (!sent.some((s) => s.cluster === LATE && s.done && final(s) === 200)) {
      if (Date.now() > deadline) throw new Error(`${LATE} never accepted after Redis came back\n${instances.map((i) => i.logs()).join('\n')}`);
      await sleep(100);
    }
    const lateAcceptedAt = Date.now();
    await watchHealth(3000);
    stopSenders = true;
    await Promise.all(loops);

    // No leader changed over the whole run: a never stopped sending and kept every known cluster
    // (neither the empty Redis nor the stale last-seen times handed a cluster to b, which would
    // also have had both replicas accepted for a moment); the new cluster kept the replica it elected.
    for (const c of KNOWN) {
      expect(new Set(sent.filter((s) => s.cluster === c && s.replica === 'a').map(final))).toEqual(new Set([200]));
      expect(new Set(sent.filter((s) => s.cluster === c && s.replica === 'b').map(final))).toEqual(new Set([202]));
    }
    const lateFinals = REPLICAS.map((r) => [...new Set(sent.filter((s) => s.cluster === LATE && s.replica === r).map(final))].sort());
    expect(lateFinals.sort()).toEqual([[200], [202]]);
    const lateLeader = sent.find((s) => s.cluster === LATE && final(s) === 200)!.replica;
    for (const i of instances) {
      expect(await elected(i)).toEqual([`${LATE}=${lateLeader}`, ...KNOWN.map((c) => `${c}=a`)]);
      expect(i.logs()).not.toMatch(/elected replica changed.*from=[ab]/);
    }
    // Redis holds the elections again (written back by the heartbeats, the new one by its CAS).
    for (const c of KNOWN) expect(await redisGet(redis.port, `ha-tracker/anonymous/${c}`)).toMatch(/"replica":"a"/);
    expect(await redisGet(redis.port, `ha-tracker/anonymous/${LATE}`)).toMatch(new RegExp(`"replica":"${lateLeader}"`));

    // The invariant over the whole run: the sink holds exactly the samples of the requests
    // answered 200, without __replica__; every request ended 200 (leader) or 202 (follower).
    expect(sent.filter((s) => !s.done)).toEqual([]);
    const expected = new Set(sent.filter((s) => final(s) === 200).flatMap((s) => s.keys));
    expect([...expected].filter((k) => !sink.samples.has(k))).toEqual([]);
    expect([...sink.samples].filter((k) => !expected.has(k))).toEqual([]);
    expect(sent.filter((s) => final(s) !== 200 && final(s) !== 202)).toEqual([]);
    // 5xx only for the new cluster, only until Redis was back and the client reconnected; no
    // answer ever took long, and every push had one.
    const failures = sent.flatMap((s) => s.attempts.filter((a) => retryable(a.status)).map((a) => ({ cluster: s.cluster, ...a })));
    expect(new Set(failures.map((f) => `${f.cluster} ${f.status}`))).toEqual(new Set([`${LATE} 500`]));
    expect(failures.filter((f) => f.startedAt < hungAt || f.startedAt > lateAcceptedAt)).toEqual([]);
    expect(Math.max(...sent.flatMap((s) => s.attempts.map((a) => a.ms)))).toBeLessThan(3000);
    expect(health.filter((h) => h.ready !== 200 || h.metrics !== 200)).toEqual([]);

    // What the instances counted agrees with what the senders saw.
    const counted = { accepted: 0, deduped: 0, failed: 0 };
    for (const i of instances) {
      const text = await (await fetch(`${i.url}/metrics`)).text();
      for (const k of Object.keys(counted) as (keyof typeof counted)[]) {
        const m = new RegExp(`^promdedup_ingest_requests_total\\{outcome="${k}"\\} (\\d+)$`, 'm').exec(text);
        counted[k] += m ? Number(m[1]) : 0;
      }
    }
    // The CAS calls that failed while Redis was away are counted (promdedup_ha_tracker_kv_store_cas_failures_total).
    let casFailures = 0;
    for (const i of instances) {
      const text = await (await fetch(`${i.url}/metrics`)).text();
      for (const m of text.matchAll(/^promdedup_ha_tracker_kv_store_cas_failures_total\{[^}]*\} (\d+)$/gm)) casFailures += Number(m[1]);
    }
    expect(casFailures).toBeGreaterThan(0);
    const attempts = sent.flatMap((s) => s.attempts);
    expect(counted).toEqual({
      accepted: attempts.filter((a) => a.status === 200).length,
      deduped: attempts.filter((a) => a.status === 202).length,
      failed: attempts.filter((a) => a.status >= 500).length,
    });

    for (const i of instances) {
      expect(exited(i.child)).toBe(false);
      expect(i.logs()).not.toMatch(/unhandled|uncaught|TypeError|RangeError/i);
    }
  }, 60_000);
});
