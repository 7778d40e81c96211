/**
 * query_range latency through promdedup over two replicas, divided by the same query sent to one
 * replica directly, measured in the same run. Data: N series × 1 h at 15 s on both replicas
 * (identical timestamps, replica B with a 10-minute outage), imported as TSDB blocks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { terminate, waitReady } from '../support/child-process.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';

export interface QueryBenchRow {
  readonly series: number;
  readonly query: string;
  readonly directMs: number;
  readonly promdedupMs: number;
  readonly ratio: number;
  /** The same with `Accept-Encoding: gzip`, as Grafana's client sends (both servers compress). */
  readonly directGzipMs: number;
  readonly promdedupGzipMs: number;
  readonly gzipRatio: number;
}

const HOUR = 3_600_000;
const STEP_MS = 15_000;
const SIZES = [100, 1000];

function openMetrics(startMs: number, endMs: number, outage: [number, number] | null): string {
  const lines: string[] = [];
  for (const size of SIZES) {
    const name = `bench_requests_${size}_total`;
    lines.push(`# TYPE ${name} counter`);
    for (let s = 0; s < size; s++) {
      let value = s * 10;
      for (let t = startMs; t <= endMs; t += STEP_MS) {
        value += (s % 7) + 1;
        if (outage && t >= outage[0] && t < outage[1]) continue;
        lines.push(`${name}{instance="host-${s}",job="bench"} ${value} ${(t / 1000).toFixed(3)}`);
      }
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

async function timeQuery(base: string, params: Record<string, string>, rounds: number, gzip = false): Promise<number> {
  const body = new URLSearchParams(params).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (gzip) headers['accept-encoding'] = 'gzip';
  const once = async (): Promise<number> => {
    const started = performance.now();
    const res = await request(`${base}/api/v1/query_range`, { method: 'POST', headers, body });
    // Bytes as received: a client would inflate either server's answer alike.
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${base}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 3; i++) await once(); // warm-up: JIT, caches, connections
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function benchQuery(rounds = 15): Promise<QueryBenchRow[]> {
  if (!prometheusAvailable()) throw new Error('prometheus and promtool must be on PATH');
  const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const start = end - HOUR;
  const servers: PrometheusServer[] = [];
  let querier: ChildProcess | null = null;
  try {
    servers.push(
      await startPrometheus({ externalLabels: { cluster: 'bench', replica: 'a' }, openMetrics: openMetrics(start - 10 * 60_000, end, null) }),
      await startPrometheus({
        externalLabels: { cluster: 'bench', replica: 'b' },
        openMetrics: openMetrics(start - 10 * 60_000, end, [start + 20 * 60_000, start + 30 * 60_000]),
      }),
    );
    const port = await freePort();
    const main = fileURLToPath(new URL('../../src/cmd/main.js', import.meta.url));
    // BENCH_PROFILE=dir writes a V8 CPU profile of promdedup to dir when it exits.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    querier = spawn(
      process.execPath,
      [...profile, main, 'query', `--http-address=127.0.0.1:${port}`, '--grpc-address=127.0.0.1:0', '--query.replica-label=replica',
        ...servers.map((s) => `--endpoint=${s.url}`)],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const promdedup = `http://127.0.0.1:${port}`;
    let spawnError: Error | null = null;
    querier.on('error', (e) => (spawnError = e));
    await waitReady({ name: 'promdedup', url: promdedup, child: querier, timeoutMs: 30_000, output: () => '', spawnError: () => spawnError });

    const rows: QueryBenchRow[] = [];
    for (const size of SIZES) {
      for (const query of [`bench_requests_${size}_total`, `rate(bench_requests_${size}_total[5m])`, `sum by (job) (rate(bench_requests_${size}_total[5m]))`]) {
        const params = { query, start: String(start / 1000), end: String(end / 1000), step: '15' };
        const directMs = await timeQuery(servers[0]!.url, params, rounds);
        const promdedupMs = await timeQuery(promdedup, params, rounds);
        const directGzipMs = await timeQuery(servers[0]!.url, params, rounds, true);
        const promdedupGzipMs = await timeQuery(promdedup, params, rounds, true);
        rows.push({
          series: size,
          query,
          directMs,
          promdedupMs,
          ratio: promdedupMs / directMs,
          directGzipMs,
          promdedupGzipMs,
          gzipRatio: promdedupGzipMs / directGzipMs,
        });
      }
    }
    return rows;
  } finally {
    if (querier) await terminate(querier);
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export function formatQueryBench(rows: readonly QueryBenchRow[]): string {
  const lines = [
    '| series | query | direct (ms) | promdedup (ms) | ratio | direct, gzip (ms) | promdedup, gzip (ms) | ratio, gzip |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.series} | \`${r.query}\` | ${r.directMs.toFixed(1)} | ${r.promdedupMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ` +
        `${r.directGzipMs.toFixed(1)} | ${r.promdedupGzipMs.toFixed(1)} | ${r.gzipRatio.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchQuery().then(
    (rows) => console.log(formatQueryBench(rows)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
