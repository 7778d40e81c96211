/**
 * Operations basics against real replicas: the query log line, SIGHUP reloading instead of killing
 * the process, Thanos' per-endpoint store limits, and the worker metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/child-process.js';
import { apiGet } from '../support/compare.js';
import { generateHaData, type HaData } from '../support/hadata.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { prometheusAvailable } from '../support/prometheus.js';
import { startQuerier } from '../support/querier-process.js';

describe.skipIf(!prometheusAvailable())('operations', () => {
  let d: HaData;
  let setup: HaSetup;

  beforeAll(async () => {
    d = generateHaData({ seed: 5 });
    setup = await startHaSetup({ cluster: d.cluster, openMetrics: { a: d.openMetrics.a, b: d.openMetrics.b } });
  }, 300_000);

  afterAll(async () => {
    await setup?.stop();
  });

  it('logs one line per query at info level: query, range, duration, samples, endpoints, status', async () => {
    const t = d.endMs / 1000;
    const ok = await apiGet(setup.querier.url, '/api/v1/query_range', { query: 'sum(up)', start: t - 600, end: t, step: 60 });
    expect(ok.httpStatus).toBe(200);
    const bad = await apiGet(setup.querier.url, '/api/v1/query', { query: 'sum(', time: t });
    expect(bad.httpStatus).toBe(400);
    await sleep(100);
    const lines = setup.querier.logs().split('\n').filter((l) => l.includes('msg=query'));
    const good = lines.find((l) => l.includes('query=sum(up) '));
    expect(good, lines.join('\n')).toBeDefined();
    expect(good).toMatch(/level=info/);
    expect(good).toMatch(/type=range/);
    expect(good).toMatch(new RegExp(`start=${t - 600} end=${t} step=60`));
    expect(good).toMatch(/duration_ms=\d/);
    expect(good).toMatch(/samples=[1-9]\d*/);
    expect(good).toMatch(/endpoints=2/);
    expect(good).toMatch(/status=success/);
    const failed = lines.find((l) => l.includes('query=sum( '));
    expect(failed).toMatch(/status=bad_data code=PROMDEDUP_ERR_BAD_QUERY/);
  });

  it('reloads on SIGHUP and keeps serving', async () => {
    process.kill(setup.querier.pid, 'SIGHUP');
    await sleep(500);
    const health = await fetch(`${setup.querier.url}/-/healthy`);
    expect(health.status).toBe(200);
    expect(setup.querier.logs()).toMatch(/reloading on SIGHUP/);
    expect(setup.querier.logs()).toMatch(/reload done/);
  });

  it('exports the query workers by state', async () => {
    const text = await (await fetch(`${setup.querier.url}/metrics`)).text();
    expect(text).toMatch(/promdedup_query_workers\{state="idle"\} [1-9]/);
    expect(text).toMatch(/promdedup_query_workers\{state="busy"\} 0/);
  });

  it('enforces --store.limits.request-series and --store.limits.request-samples per endpoint read', async () => {
    const t = d.endMs / 1000;
    const limited = await startQuerier({
      endpoints: [setup.a.url, setup.b.url],
      extraArgs: ['--store.limits.request-series=2', '--store.limits.request-samples=1000000'],
    });
    const samples = await startQuerier({ endpoints: [setup.a.url, setup.b.url], extraArgs: ['--store.limits.request-samples=10'] });
    try {
      const r = await apiGet(limited.url, '/api/v1/query', { query: 'up', time: t });
      expect(r.httpStatus).toBe(422);
      expect(r.body.error).toMatch(/^exceeded series limit: limit 2 violated \(got 3\)$/);
      expect((await apiGet(limited.url, '/api/v1/query', { query: 'up{instance="10.0.0.1:8080"}', time: t })).httpStatus).toBe(200);
      const s = await apiGet(samples.url, '/api/v1/query', { query: 'count_over_time(up[1h])', time: t });
      expect(s.httpStatus).toBe(422);
      expect(s.body.error).toMatch(/^exceeded samples limit: limit 10 violated \(got \d+\)$/);
    } finally {
      await Promise.all([limited.stop(), samples.stop()]);
    }
  });
});
