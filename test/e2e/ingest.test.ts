/**
 * `promdedup ingest` end to end (in-memory tracker): two replicas of one cluster remote-write
 * through it to a real Prometheus with the remote-write receiver. The first replica is elected, the
 * other gets 202 and Mimir's body, the forwarded series carry no `__replica__` label, and when the
 * elected replica goes quiet for the failover timeout the other one's samples flow. Bad bodies get
 * 415 / 400 / 413.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { encodeWriteRequest } from '../../src/ingest/remote-write/v1-reference.js';
import { sleep, terminate } from '../support/child-process.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';
import { etcdAvailable, startEtcd } from '../support/etcd-server.js';
import { startIngestProcess, type IngestProcess } from '../support/ingest-process.js';

/** Fixed sample times (2024-01-01), so the test sees the same data on any day. */
const T0 = 1_704_067_200_000;

function writeRequest(replica: string | null, value: number, t: number, job = 'api'): Uint8Array {
  const labels = [
    { name: '__name__', value: 'requests_total' },
    ...(replica !== null ? [{ name: '__replica__', value: replica }] : []),
    { name: 'cluster', value: 'eu1' },
    { name: 'job', value: job },
  ];
  return encodeBody(encodeWriteRequest({ timeseries: [{ labels, samples: [{ value, timestamp: t }], exemplars: [], histograms: [] }], metadata: [] }));
}

async function pushTo(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', ...headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/** Starts `promdedup ingest` with these flags on a free port; resolves once it is ready. */
const startIngest = (args: string[]): Promise<IngestProcess> => startIngestProcess(args);

interface SharedStore {
  readonly flags: string[];
  stop(): Promise<void>;
}

const sharedStores: { name: string; available: () => boolean; start: () => Promise<SharedStore> }[] = [
  {
    name: 'Redis',
    available: redisAvailable,
    start: async () => {
      const r = await startRedis();
      return { flags: ['--ha-tracker.store=redis', `--ha-tracker.redis.address=${r.address}`], stop: () => r.stop() };
    },
  },
  {
    name: 'etcd',
    available: etcdAvailable,
    start: async () => {
      const e = await startEtcd();
      return { flags: ['--ha-tracker.store=etcd', `--ha-tracker.etcd.endpoints=${e.url}`], stop: () => e.stop() };
    },
  },
];

for (const shared of sharedStores) {
  describe.skipIf(!prometheusAvailable() || !shared.available())(`promdedup ingest: two instances sharing ${shared.name}`, () => {
    let sink: PrometheusServer;
    let store: SharedStore;
    const instances: { url: string; child: ChildProcess }[] = [];

    beforeAll(async () => {
      ensureQuerierBuilt();
      [sink, store] = await Promise.all([startPrometheus({ extraArgs: ['--web.enable-remote-write-receiver'] }), shared.start()]);
      for (let i = 0; i < 2; i++) instances.push(await startIngest([`--remote-write.url=${sink.url}/api/v1/write`, ...store.flags]));
    }, 120_000);

    afterAll(async () => {
      for (const i of instances) await terminate(i.child);
      await store?.stop();
      await sink?.stop();
    });

    it('elect the same leader: the replica the first one elected is the one the second one follows', async () => {
      const [one, two] = instances;
      expect((await pushTo(one!.url, writeRequest('a', 1, T0))).status).toBe(200);
      const follower = await pushTo(two!.url, writeRequest('b', 2, T0));
      expect(follower).toEqual({ status: 202, text: 'replicas did not match, rejecting sample: replica=b, elected=a' });
      expect((await pushTo(two!.url, writeRequest('a', 3, T0 + 15_000))).status).toBe(200);
    });
  });
}

describe.skipIf(!prometheusAvailable())('promdedup ingest', () => {
  let sink: PrometheusServer;
  let ingest: { url: string; child: ChildProcess; logs(): string };
  let url = '';
  const push = (body: Uint8Array, headers: Record<string, string> = {}) => pushTo(url, body, headers);

  const sinkSeries = async (time: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`${sink.url}/api/v1/query?query=${encodeURIComponent('requests_total')}&time=${time / 1000}`);
    return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
  };

  beforeAll(async () => {
    ensureQuerierBuilt();
    sink = await startPrometheus({ extraArgs: ['--web.enable-remote-write-receiver'] });
    ingest = await startIngest([
      `--remote-write.url=${sink.url}/api/v1/write`,
      '--ha-tracker.update-timeout=1s',
      '--ha-tracker.update-timeout-jitter-max=0s',
      '--ha-tracker.failover-timeout=2s',
      '--remote-write.max-request-bytes=65536',
    ]);
    url = ingest.url;
  }, 120_000);

  afterAll(async () => {
    if (ingest) await terminate(ingest.child);
    await sink?.stop();
  });

  it('elects the first replica, answers the other 202, forwards without __replica__, fails over when the leader goes quiet', async () => {
    expect(await push(writeRequest('a', 1, T0))).toEqual({ status: 200, text: '' });
    const follower = await push(writeRequest('b', 2, T0));
    expect(follower.status).toBe(202);
    expect(follower.text).toBe('replicas did not match, rejecting sample: replica=b, elected=a');
    let series = await sinkSeries(T0);
    expect(series).toEqual([{ metric: { __name__: 'requests_total', cluster: 'eu1', job: 'api' }, value: [T0 / 1000, '1'] }]);

    // a goes quiet; b keeps sending. After the failover timeout (2 s) a tick elects b.
    let t = T0;
    let accepted = false;
    for (let i = 0; i < 40 && !accepted; i++) {
      t += 15_000;
      const r = await push(writeRequest('b', 2, t));
      accepted = r.status === 200;
      if (!accepted) expect(r.status).toBe(202);
      else expect(r.text).toBe('');
      await sleep(200);
    }
    expect(accepted).toBe(true);
    series = await sinkSeries(t);
    expect(series).toEqual([{ metric: { __name__: 'requests_total', cluster: 'eu1', job: 'api' }, value: [t / 1000, '2'] }]);
    expect(ingest.logs()).toMatch(/elected replica changed.*cluster=eu1.*to=b/);
    // The page shows b elected.
    const page = (await (await fetch(`${url}/distributor/ha_tracker`, { headers: { accept: 'application/json' } })).json()) as { elected: { cluster: string; replica: string }[] };
    expect(page.elected).toEqual([expect.objectContaining({ cluster: 'eu1', replica: 'b' })]);
  }, 30_000);

  it('passes requests without both HA labels on unchanged', async () => {
    expect((await push(writeRequest(null, 5, T0 + 3_600_000, 'batch'))).status).toBe(200);
    const res = await fetch(`${sink.url}/api/v1/query?query=${encodeURIComponent('requests_total{job="batch"}')}&time=${(T0 + 3_600_000) / 1000}`);
    const body = (await res.json()) as { data: { result: { metric: Record<string, string> }[] } };
    expect(body.data.result.map((r) => r.metric)).toEqual([{ __name__: 'requests_total', cluster: 'eu1', job: 'batch' }]);
  });

  it('refuses bad bodies with the right status and a reason', async () => {
    expect((await push(writeRequest('a', 1, T0), { 'content-type': 'application/json' })).status).toBe(415);
    expect((await push(writeRequest('a', 1, T0), { 'content-encoding': 'gzip' })).status).toBe(415);
    const broken = await push(new Uint8Array([0xff, 0xff, 0xff, 0x7f, 0x01, 0x02]));
    expect(broken.status).toBe(400);
    expect(broken.text).not.toBe('');
    expect((await push(new Uint8Array(70_000))).status).toBe(413);
    expect((await fetch(`${url}/-/healthy`)).status).toBe(200);
  });
});

describe('promdedup ingest: forwarding', () => {
  let sink: import('node:http').Server;
  let sinkPort = 0;
  let answer = 204;
  const seen: Record<string, string | undefined>[] = [];
  let ingest: { url: string; child: ChildProcess };

  beforeAll(async () => {
    ensureQuerierBuilt();
    const { createServer } = await import('node:http');
    sink = createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => {
        seen.push({ authorization: req.headers.authorization, org: String(req.headers['x-scope-orgid']), encoding: req.headers['content-encoding'] });
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 300 ? `sink says ${answer}` : '');
      });
    });
    sinkPort = await freePort();
    await new Promise<void>((r) => sink.listen(sinkPort, '127.0.0.1', r));
    ingest = await startIngest([
      `--remote-write.url=http://127.0.0.1:${sinkPort}/api/v1/write`,
      '--remote-write.header=X-Scope-OrgID: team-a',
      '--remote-write.basic-auth.username=writer',
      '--remote-write.basic-auth.password=s3cret',
    ]);
  }, 60_000);

  afterAll(async () => {
    if (ingest) await terminate(ingest.child);
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
  });

  it('sends the configured headers and basic auth; 4xx comes back with its reason, 5xx and a dead target become 5xx', async () => {
    answer = 204;
    expect((await pushTo(ingest.url, writeRequest(null, 1, T0))).status).toBe(200);
    expect(seen.at(-1)).toEqual({ authorization: `Basic ${Buffer.from('writer:s3cret').toString('base64')}`, org: 'team-a', encoding: 'snappy' });
    answer = 400;
    const bad = await pushTo(ingest.url, writeRequest(null, 1, T0));
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/HTTP 400: sink says 400/);
    answer = 500;
    expect((await pushTo(ingest.url, writeRequest(null, 1, T0))).status).toBe(500);
    answer = 429;
    expect((await pushTo(ingest.url, writeRequest(null, 1, T0))).status).toBe(503);
    await new Promise<void>((r) => sink.close(() => r()));
    sink.closeAllConnections?.();
    expect((await pushTo(ingest.url, writeRequest(null, 1, T0))).status).toBe(503);
  });
});

describe('promdedup ingest: large requests in worker threads; HA off', () => {
  let sink: import('node:http').Server;
  const received: { labels: Record<string, string>; value: number }[] = [];
  /** Off while timing: decoding a large body here would stall this process, and with it the probes' clocks. */
  let decodeAtSink = true;
  let inline: { url: string; child: ChildProcess };
  let offloaded: { url: string; child: ChildProcess };
  let disabled: { url: string; child: ChildProcess };

  /** `n` series of cluster eu1 from `replica`, with labels long enough that the body is large. */
  const bigRequest = (replica: string, n: number, value: number): Uint8Array =>
    encodeBody(
      encodeWriteRequest({
        timeseries: Array.from({ length: n }, (_, i) => ({
          labels: [
            { name: '__name__', value: 'big_total' },
            { name: '__replica__', value: replica },
            { name: 'cluster', value: 'eu1' },
            { name: 'instance', value: `host-${i}.example.org:9100` },
            { name: 'path', value: `/api/v1/items/${i % 977}/details` },
          ],
          samples: [{ value, timestamp: T0 }],
          exemplars: [],
          histograms: [],
        })),
        metadata: [],
      }),
    );

  beforeAll(async () => {
    ensureQuerierBuilt();
    const { createServer } = await import('node:http');
    const { decodeBody } = await import('../../src/ingest/remote-write/body.js');
    const { decodeWriteRequest } = await import('../../src/ingest/remote-write/v1-reference.js');
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!decodeAtSink) return void res.writeHead(204).end();
        const { message } = decodeBody(Buffer.concat(chunks), req.headers['content-encoding'], req.headers['content-type'], 1 << 28);
        for (const ts of decodeWriteRequest(message).timeseries) {
          received.push({ labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])), value: ts.samples[0]!.value });
        }
        res.writeHead(204).end();
      });
    });
    const sinkPort = await freePort();
    await new Promise<void>((r) => sink.listen(sinkPort, '127.0.0.1', r));
    const target = `--remote-write.url=http://127.0.0.1:${sinkPort}/api/v1/write`;
    // One after another, so that each started one is assigned (and stopped by afterAll) even if a later one fails.
    inline = await startIngest([target]);
    offloaded = await startIngest([target, '--remote-write.worker-min-bytes=0', '--remote-write.worker-threads=1']);
    disabled = await startIngest([target, '--ha-tracker.enable=false', '--ha-tracker.store=redis']); // off: the store is not even connected
  }, 60_000);

  afterAll(async () => {
    await Promise.all([inline, offloaded, disabled].filter((p) => p !== undefined).map((p) => terminate(p.child)));
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
  });

  it('answers and forwards exactly as inline: election, label removal, 202, bad bodies', async () => {
    for (const [i, ingest] of [inline, offloaded].entries()) {
      received.length = 0;
      const leader = await pushTo(ingest.url, bigRequest('a', 20_000, i));
      expect(leader).toEqual({ status: 200, text: '' });
      expect(received).toHaveLength(20_000);
      expect(received[12_345]).toEqual({ labels: { __name__: 'big_total', cluster: 'eu1', instance: 'host-12345.example.org:9100', path: '/api/v1/items/621/details' }, value: i });
      expect(received.some((r) => '__replica__' in r.labels)).toBe(false);
      expect(await pushTo(ingest.url, bigRequest('b', 1000, i))).toEqual({ status: 202, text: 'replicas did not match, rejecting sample: replica=b, elected=a' });
      const damaged = bigRequest('a', 1000, i).subarray(0, 5000);
      const bad = await pushTo(ingest.url, damaged);
      expect(bad.status).toBe(400);
      expect(bad.text).toMatch(/^invalid snappy body: /);
      expect((await pushTo(ingest.url, writeRequest('a', 1, T0), { 'content-type': 'text/plain' })).status).toBe(415);
    }
  });

  it('with --ha-tracker.enable=false forwards both replicas unchanged', async () => {
    received.length = 0;
    expect(await pushTo(disabled.url, bigRequest('a', 10, 1))).toEqual({ status: 200, text: '' });
    expect(await pushTo(disabled.url, bigRequest('b', 10, 2))).toEqual({ status: 200, text: '' });
    expect(received.map((r) => r.labels['__replica__'])).toEqual([...Array(10).fill('a'), ...Array(10).fill('b')]);
  });

  it('keeps /-/healthy fast while a large request is prepared in a worker', async () => {
    const body = bigRequest('a', 100_000, 7);
    decodeAtSink = false;
    const pushing = pushTo(offloaded.url, body);
    const probes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      expect((await fetch(`${offloaded.url}/-/healthy`)).status).toBe(200);
      probes.push(performance.now() - t);
      await sleep(20);
    }
    expect((await pushing).status).toBe(200);
    decodeAtSink = true;
    expect(Math.max(...probes)).toBeLessThan(100);
  });
});
