/**
 * `promdedup ingest` on the write path: requests of 2000 series × 1 sample × 10 labels from the
 * elected replica, through promdedup (decode, decide, strip the replica label, forward) to a local
 * sink, against the same requests written to the sink directly in the same run.
 *   - latency: sequential requests, p50 and p99 of each path; the added p99 is the difference;
 *   - throughput: 8 senders for a few seconds, samples/s, and samples per CPU second of promdedup
 *     (its utime + stime), i.e. samples/s on one core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { Agent, request } from 'undici';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { encodeWriteRequest, type DecodedTimeSeries } from '../../src/ingest/remote-write/v1-reference.js';
import { terminate, waitReady } from '../support/child-process.js';
import { freePort } from '../support/prometheus.js';
import { querierEntryPoint } from '../support/querier-process.js';
import { fmt, processCpuMs, quantile, table } from './harness.js';

const SERIES = 2000;
const LABELS = 10;

export interface IngestBenchResult {
  readonly requestBytes: number;
  readonly direct: { p50: number; p99: number };
  readonly through: { p50: number; p99: number };
  readonly addedP99Ms: number;
  readonly samplesPerS: number;
  readonly samplesPerCpuS: number;
  readonly directSamplesPerS: number;
}

function request2000(t: number): Uint8Array {
  const timeseries: DecodedTimeSeries[] = [];
  for (let i = 0; i < SERIES; i++) {
    const labels = [
      { name: '__name__', value: 'bench_ingest_total' },
      { name: '__replica__', value: 'a' },
      { name: 'cluster', value: 'eu1' },
      { name: 'instance', value: `10.0.${i >> 8}.${i & 255}:9100` },
      { name: 'job', value: 'node' },
    ];
    for (let k = labels.length; k < LABELS; k++) labels.push({ name: `l${k}`, value: `v${(i * 7 + k) % 97}` });
    labels.sort((a, b) => (a.name < b.name ? -1 : 1));
    timeseries.push({ labels, samples: [{ value: i, timestamp: t }], exemplars: [], histograms: [] });
  }
  return encodeBody(encodeWriteRequest({ timeseries, metadata: [] }));
}

async function startSink(): Promise<{ url: string; server: Server; received(): number }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/api/v1/write`, server, received: () => received };
}

const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };

async function send(agent: Agent, url: string, body: Uint8Array): Promise<number> {
  const res = await request(url, { method: 'POST', headers, body, dispatcher: agent });
  await res.body.dump();
  return res.statusCode;
}

async function latencies(agent: Agent, url: string, body: Uint8Array, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const status = await send(agent, url, body);
    out.push(performance.now() - t);
    if (status >= 300) throw new Error(`${url}: HTTP ${status}`);
  }
  return out;
}

async function throughput(agent: Agent, url: string, body: Uint8Array, senders: number, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let requests = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (performance.now() < until) {
        const status = await send(agent, url, body);
        if (status >= 300) throw new Error(`${url}: HTTP ${status}`);
        requests++;
      }
    }),
  );
  return (requests * SERIES) / seconds;
}

export async function benchIngest(log: (s: string) => void, quick: boolean): Promise<IngestBenchResult> {
  const sink = await startSink();
  const port = await freePort();
  let logs = '';
  const child: ChildProcess = spawn(process.execPath, [querierEntryPoint(), 'ingest', `--http-address=127.0.0.1:${port}`, `--remote-write.url=${sink.url}`, '--log.level=warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const agent = new Agent({ connections: 16, keepAliveTimeout: 60_000 });
  try {
    await waitReady({ name: 'promdedup ingest', url: base, child, timeoutMs: 30_000, output: () => logs, spawnError: () => null });
    const body = request2000(1_704_067_200_000);
    const push = `${base}/api/v1/push`;
    const n = quick ? 100 : 500;
    await latencies(agent, push, body, 50); // warm-up (JIT, connections)
    await latencies(agent, sink.url, body, 50);
    const direct: number[] = [];
    const through: number[] = [];
    // Interleaved rounds so both paths see the same machine load.
    for (let r = 0; r < 5; r++) {
      direct.push(...(await latencies(agent, sink.url, body, n / 5)));
      through.push(...(await latencies(agent, push, body, n / 5)));
    }
    const seconds = quick ? 3 : 8;
    const directSamplesPerS = await throughput(agent, sink.url, body, 8, seconds);
    const cpu0 = processCpuMs(child.pid!);
    const samplesPerS = await throughput(agent, push, body, 8, seconds);
    const cpuS = (processCpuMs(child.pid!) - cpu0) / 1000;
    const result: IngestBenchResult = {
      requestBytes: body.length,
      direct: { p50: quantile(direct, 0.5), p99: quantile(direct, 0.99) },
      through: { p50: quantile(through, 0.5), p99: quantile(through, 0.99) },
      addedP99Ms: quantile(through, 0.99) - quantile(direct, 0.99),
      samplesPerS,
      samplesPerCpuS: (samplesPerS * seconds) / cpuS,
      directSamplesPerS,
    };
    log(`  ingest: p99 direct ${fmt(result.direct.p99, 2)} ms, through ${fmt(result.through.p99, 2)} ms; ${fmt(samplesPerS / 1e6, 2)} M samples/s (${fmt(result.samplesPerCpuS / 1e6, 2)} M per CPU second)`);
    return result;
  } finally {
    await agent.close();
    await terminate(child);
    await new Promise<void>((r) => sink.server.close(() => r()));
  }
}

export function formatIngest(r: IngestBenchResult): string {
  return [
    `Requests of ${SERIES} series × 1 sample × ${LABELS} labels (${fmt(r.requestBytes / 1024, 1)} KiB snappy), from the elected replica; sink: a local HTTP server answering 204`,
    table(
      ['path', 'p50 ms', 'p99 ms', 'samples/s (8 senders)'],
      [
        ['straight to the sink', fmt(r.direct.p50, 2), fmt(r.direct.p99, 2), fmt(r.directSamplesPerS, 0)],
        ['through promdedup ingest', fmt(r.through.p50, 2), fmt(r.through.p99, 2), fmt(r.samplesPerS, 0)],
      ],
    ),
    `added p99: **${fmt(r.addedP99Ms, 2)} ms**; promdedup's CPU: **${fmt(r.samplesPerCpuS / 1e6, 2)} M samples per CPU second** (samples/s on one core)`,
  ].join('\n');
}
