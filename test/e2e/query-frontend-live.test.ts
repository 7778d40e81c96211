/**
 * Freshness on live data: two real Prometheus replicas scrape one target every second, a promdedup
 * querier (stable dedup) merges them, a query frontend (5 s max freshness, 20 s split interval) sits
 * in front. A dashboard-like range query over the last minute, refreshed every second, must always
 * carry the newest scrapes (nothing stale from the cache) and agree with the querier asked
 * directly at the same moment on every point old enough not to be in flux.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusAvailable, startPrometheus } from '../support/prometheus.js';
import { ensureQuerierBuilt, startQuerier, type QuerierProcess } from '../support/querier-process.js';
import { startFrontendProcess, type FrontendProcess } from '../support/frontend-process.js';
import { sleep } from '../support/child-process.js';

const ok = prometheusAvailable();

type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

async function matrix(url: string): Promise<Matrix> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { result: Matrix } }).data.result;
}

describe.skipIf(!ok)('query frontend over live HA replicas scraping every second', () => {
  let target: Server;
  const servers: { stop(): Promise<void> }[] = [];
  let querier: QuerierProcess;
  let fe: FrontendProcess;

  beforeAll(async () => {
    ensureQuerierBuilt();
    // The target: a counter that grows with the wall clock, and a gauge, the same for both replicas.
    target = createServer((_req, res) => {
      const s = Date.now() / 1000;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE live_ticks_total counter\nlive_ticks_total ${Math.floor(s * 10)}\n# TYPE live_phase gauge\nlive_phase ${(s % 60).toFixed(1)}\n`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as { port: number }).port;
    const scrape = [{ job_name: 'live', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }];
    const [a, b] = await Promise.all(
      (['a', 'b'] as const).map((replica) => startPrometheus({ externalLabels: { cluster: 'live', replica }, scrapeInterval: '1s', scrapeConfigs: scrape })),
    );
    servers.push(a!, b!);
    querier = await startQuerier({ endpoints: [a!.url, b!.url], replicaLabels: ['replica'], extraArgs: ['--deduplication.func=stable'] });
    servers.push(querier);
    fe = await startFrontendProcess(querier.url, ['--query-range.response-cache-max-freshness=5s', '--query-range.split-interval=20s']);
    servers.push(fe);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await new Promise((r) => target?.close(r));
  });

  it('every refresh has the newest scrapes and equals the querier on everything older than 5 s', async () => {
    await sleep(8_000); // a few scrapes in both replicas
    let compared = 0;
    for (let refresh = 0; refresh < 15; refresh++) {
      const end = Math.floor(Date.now() / 1000);
      for (const q of ['rate(live_ticks_total[5s])', 'live_phase', 'live_ticks_total']) {
        const url = (base: string): string => `${base}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${end - 60}&end=${end}&step=1`;
        const [viaFrontend, direct] = await Promise.all([matrix(url(fe.url)), matrix(url(querier.url))]);
        expect(viaFrontend.length, q).toBe(1);
        const points = viaFrontend[0]!.values;
        // Fresh: the last point is at (or a scrape before) the end, not where the cache stopped.
        expect(end - points[points.length - 1]![0], `${q} refresh ${refresh}`).toBeLessThanOrEqual(3);
        const old = (m: Matrix): [number, string][] => m[0]!.values.filter(([t]) => t <= end - 5);
        expect(old(viaFrontend), `${q} refresh ${refresh}`).toEqual(old(direct));
        compared += old(direct).length;
      }
      await sleep(1_000);
    }
    expect(compared).toBeGreaterThan(15 * 3 * 5);
    const m = await (await fetch(`${fe.url}/metrics`)).text();
    expect(m).toMatch(/promdedup_frontend_cache_requests_total\{kind="query_range",result="(hit|partial)"\} [1-9]/);
  }, 90_000);
});
