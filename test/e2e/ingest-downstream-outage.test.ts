/**
 * `promdedup ingest` while its remote-write target is down. Pushes for the elected replica get
 * 5xx (never 2xx) while the target is away, and the senders' own retries deliver everything once
 * it is back: first with our own retrying sender against a recording sink (the exact set of
 * samples at the sink is everything the leader sent, nothing of the follower), then with real
 * Prometheus servers: one scrapes a target every second and remote-writes through promdedup into a
 * second one (the remote-write receiver), which is stopped for 10 s and started again on the same
 * port and storage; afterwards the receiver holds every sample the sender's own TSDB holds for
 * that period, at the same timestamps.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { encodeWriteRequest, type DecodedTimeSeries } from '../../src/ingest/remote-write/v1-reference.js';
import { exited, sleep, terminate } from '../support/child-process.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';
import { sampleKeys, startRecordingSink, type RecordingSink } from '../support/remote-write-sink.js';
import { startIngestProcess, type IngestProcess } from '../support/ingest-process.js';

/** Fixed sample times (2024-01-01) for our own sender: the sink is ours, no day differs. */
const T0 = 1_704_067_200_000;

type Ingest = IngestProcess;

const startIngest = (args: string[]): Promise<IngestProcess> => startIngestProcess(args);

async function metric(url: string, line: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = line.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('promdedup ingest: the remote-write target goes down, our own retrying senders', () => {
  let sink: RecordingSink;
  let ingest: Ingest;
  let stopSenders = false;
  let aborted = false;
  const loops: Promise<void>[] = [];
  interface Attempt {
    readonly status: number;
    readonly startedAt: number;
    readonly endedAt: number;
  }
  interface Sent {
    readonly replica: string;
    readonly keys: string[];
    readonly attempts: Attempt[];
    done: boolean;
  }
  const sent: Sent[] = [];

  const series = (replica: string, seq: number): DecodedTimeSeries[] =>
    ['api', 'db'].map((job, j) => ({
      labels: [
        { name: '__name__', value: 'requests_total' },
        { name: '__replica__', value: replica },
        { name: 'cluster', value: 'eu1' },
        { name: 'job', value: job },
      ],
      samples: [{ value: seq * 10 + j + (replica === 'a' ? 0.25 : 0.5), timestamp: T0 + seq * 1000 }],
      exemplars: [],
      histograms: [],
    }));

  const push = async (body: Uint8Array): Promise<number> => {
    try {
      const res = await fetch(`${ingest.url}/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0; // no answer: retried like a 5xx
    }
  };

  /** One request, retried on 5xx or no answer with a backoff from 50 ms doubling to 400 ms, as Prometheus does. */
  const send = async (replica: string, seq: number): Promise<Sent> => {
    const s = series(replica, seq);
    const body = encodeBody(encodeWriteRequest({ timeseries: s, metadata: [] }));
    const record: Sent = { replica, keys: sampleKeys(s, ['__replica__']), attempts: [], done: false };
    sent.push(record);
    for (let backoff = 50; !aborted; backoff = Math.min(backoff * 2, 400)) {
      const startedAt = Date.now();
      const status = await push(body);
      record.attempts.push({ status, startedAt, endedAt: Date.now() });
      if (status !== 0 && status < 500) {
        record.done = true;
        break;
      }
      await sleep(backoff);
    }
    return record;
  };

  beforeAll(async () => {
    ensureQuerierBuilt();
    sink = await startRecordingSink();
    ingest = await startIngest([`--remote-write.url=${sink.writeUrl}`]);
  }, 60_000);

  afterAll(async () => {
    aborted = true;
    await Promise.allSettled(loops);
    if (ingest) await terminate(ingest.child);
    await sink?.stop();
  });

  it('answers the leader 5xx while the target is down; its retries deliver exactly what it sent', async () => {
    expect((await send('a', 0)).attempts.map((a) => a.status)).toEqual([200]);
    expect((await send('b', 0)).attempts.map((a) => a.status)).toEqual([202]);
    for (const r of ['a', 'b']) {
      loops.push(
        (async () => {
          for (let seq = 1; !stopSenders && !aborted; seq++) {
            await send(r, seq);
            await sleep(50);
          }
        })(),
      );
    }
    await sleep(1000);
    await sink.stop();
    const downAt = Date.now();
    await sleep(3000);
    const upAt = Date.now();
    await sink.start();
    await sleep(1500);
    stopSenders = true;
    await Promise.all(loops);

    const leader = sent.filter((s) => s.replica === 'a');
    const follower = sent.filter((s) => s.replica === 'b');
    const leaderAttempts = leader.flatMap((s) => s.attempts);
    // While the sink was down the leader got only 5xx, and retried.
    const whileDown = leaderAttempts.filter((a) => a.startedAt >= downAt && a.endedAt <= upAt);
    expect(whileDown.length).toBeGreaterThan(5);
    expect(new Set(whileDown.map((a) => a.status))).toEqual(new Set([503]));
    // Before and after it: 200s. Every request ended 200 for the leader, 202 for the follower.
    expect(leaderAttempts.filter((a) => a.startedAt > upAt + 500).length).toBeGreaterThan(5);
    expect(sent.filter((s) => !s.done)).toEqual([]);
    expect(new Set(leader.map((s) => s.attempts.at(-1)!.status))).toEqual(new Set([200]));
    expect(new Set(follower.flatMap((s) => s.attempts.map((a) => a.status)))).toEqual(new Set([202]));
    // The sink holds exactly every sample the leader sent, without __replica__.
    expect([...sink.samples].sort()).toEqual([...new Set(leader.flatMap((s) => s.keys))].sort());

    const failed = await metric(ingest.url, /^promdedup_ingest_requests_total\{outcome="failed"\} (\d+)$/m);
    expect(failed).toBe(leaderAttempts.filter((a) => a.status >= 500).length);
    expect(exited(ingest.child)).toBe(false);
    expect(ingest.logs()).not.toMatch(/unhandled|uncaught|TypeError|RangeError/i);
  }, 30_000);
});

interface Matrix {
  metric: Record<string, string>;
  values: [number, string][];
}
interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

async function query<T>(url: string, q: string, timeSec: number): Promise<T[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}&time=${timeSec}`);
  const body = (await res.json()) as { status: string; data: { result: T[] } };
  if (body.status !== 'success') throw new Error(`${q}: ${JSON.stringify(body)}`);
  return body.data.result;
}

describe.skipIf(!prometheusAvailable())('promdedup ingest: the receiving Prometheus goes down for 10 s, a real Prometheus sends', () => {
  let target: Server;
  let receiver: PrometheusServer | null = null;
  let sender: PrometheusServer;
  let ingest: Ingest;
  let receiverPort = 0;
  let receiverData = '';
  let scrapes = 0;

  const startReceiver = async (): Promise<PrometheusServer> =>
    startPrometheus({ port: receiverPort, dataDir: receiverData, extraArgs: ['--web.enable-remote-write-receiver'] });

  beforeAll(async () => {
    ensureQuerierBuilt();
    target = createServer((_req, res) => {
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE demo_scrapes_total counter\ndemo_scrapes_total ${scrapes}\n`);
    });
    const targetPort = await freePort();
    await new Promise<void>((r) => target.listen(targetPort, '127.0.0.1', r));
    receiverPort = await freePort();
    receiverData = mkdtempSync(join(tmpdir(), 'promdedup-receiver-'));
    receiver = await startReceiver();
    ingest = await startIngest([`--remote-write.url=${receiver.url}/api/v1/write`]);
    sender = await startPrometheus({
      externalLabels: { cluster: 'eu1', __replica__: 'a' },
      scrapeInterval: '1s',
      scrapeConfigs: [{ job_name: 'demo', static_configs: [{ targets: [`127.0.0.1:${targetPort}`] }] }],
      remoteWrite: [{ url: `${ingest.url}/api/v1/push`, queue_config: { batch_send_deadline: '200ms', min_backoff: '50ms', max_backoff: '500ms' } }],
    });
  }, 90_000);

  afterAll(async () => {
    await sender?.stop();
    if (ingest) await terminate(ingest.child);
    await receiver?.stop();
    if (receiverData !== '') rmSync(receiverData, { recursive: true, force: true });
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
  });

  /** The newest sample time (ms) the receiver holds for `selector`, or 0. */
  const newest = async (url: string, selector: string): Promise<number> => {
    const r = await query<Vector>(url, `timestamp(${selector})`, Date.now() / 1000);
    return r.length === 1 ? Math.round(Number(r[0]!.value[1]) * 1000) : 0;
  };
  const until = async (what: string, f: () => Promise<boolean>, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${ingest.logs()}`);
      await sleep(200);
    }
  };

  it('the receiver holds every sample the sender scraped, the 10 s it was down included', async () => {
    const series = ['up{job="demo"}', 'demo_scrapes_total{job="demo"}'];
    await until('three scrapes at the receiver', async () => {
      const m = await query<Matrix>(receiver!.url, 'demo_scrapes_total[1m]', Date.now() / 1000);
      return m.length === 1 && m[0]!.values.length >= 3;
    }, 30_000);
    const from = Date.now() - 2000;
    await receiver!.stop();
    receiver = null;
    const downAt = Date.now();
    await sleep(10_000);
    receiver = await startReceiver();
    const upAt = Date.now();
    // Caught up: every series has a sample scraped after the restart (one series' samples go out in order).
    await until('samples scraped after the restart', async () => {
      for (const s of series) if ((await newest(receiver!.url, s)) < upAt + 1000) return false;
      return true;
    }, 30_000);
    let to = Infinity;
    for (const s of series) to = Math.min(to, await newest(receiver!.url, s));

    const rangeSec = Math.ceil((to - from) / 1000) + 5;
    for (const s of series) {
      const raw = async (url: string) => {
        const m = await query<Matrix>(url, `${s}[${rangeSec}s]`, to / 1000);
        expect(m).toHaveLength(1);
        return { metric: m[0]!.metric, samples: m[0]!.values.filter(([t]) => t * 1000 >= from).map(([t, v]) => `${Math.round(t * 1000)} ${v}`) };
      };
      const own = await raw(sender.url);
      const got = await raw(receiver.url);
      // The sender scraped all through the outage: at least 9 samples fall inside it.
      expect(own.samples.filter((x) => Number(x.split(' ')[0]) > downAt && Number(x.split(' ')[0]) < upAt).length).toBeGreaterThanOrEqual(9);
      expect(got.samples).toEqual(own.samples);
      expect(got.metric).toMatchObject({ cluster: 'eu1', job: 'demo' });
      expect(got.metric).not.toHaveProperty('__replica__');
    }

    // The sender was answered 5xx (retried), never a non-recoverable error, and dropped nothing.
    const senderMetric = (name: string) => metric(sender.url, new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm'));
    expect(await senderMetric('prometheus_remote_storage_samples_retried_total')).toBeGreaterThan(0);
    expect(await senderMetric('prometheus_remote_storage_samples_failed_total')).toBe(0);
    expect(await senderMetric('prometheus_remote_storage_samples_dropped_total')).toBe(0);
    expect(await metric(ingest.url, /^promdedup_ingest_request_duration_seconds_count\{status="503"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(exited(ingest.child)).toBe(false);
    expect(ingest.logs()).not.toMatch(/unhandled|uncaught|TypeError|RangeError/i);
  }, 60_000);
});
