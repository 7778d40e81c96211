/**
 * End to end: replica B dies while the querier runs. Queries still answer from A with a warning that
 * names B (partial response, the default); with partial_response=false they fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, diffData } from '../support/compare.js';
import { generateHaData, type HaData } from '../support/hadata.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { prometheusAvailable, type PrometheusServer } from '../support/prometheus.js';
import { querierSourcePresent, type QuerierProcess } from '../support/querier-process.js';

const promOk = prometheusAvailable();
const querierOk = querierSourcePresent();
if (!promOk) console.warn('e2e: prometheus/promtool not on PATH (sudo apt-get install -y prometheus): skipping');
else if (!querierOk) console.warn('e2e: src/cmd/main.ts not present yet: skipping');

describe.skipIf(!promOk || !querierOk)('partial response when a replica dies', () => {
  let d: HaData;
  let a: PrometheusServer;
  let b: PrometheusServer;
  let querier: QuerierProcess;
  let setup: HaSetup | undefined;
  const time = () => d.endMs / 1000;
  /** Same value from the querier (dedup) and from A alone, whatever the external labels. */
  const TOTAL = 'sum(count_over_time(up[4h]))';
  const bHost = () => new URL(b.url).host;

  beforeAll(async () => {
    d = generateHaData({ seed: 3 });
    setup = await startHaSetup({
      cluster: d.cluster,
      openMetrics: { a: d.openMetrics.a, b: d.openMetrics.b },
      querierArgs: ['--store.response-timeout=5s'],
    });
    ({ a, b, querier } = setup);
  }, 300_000);

  afterAll(async () => {
    await setup?.stop();
  });

  it('both replicas up: no warnings, and more samples than A alone holds', async () => {
    const [got, onlyA] = await Promise.all([
      apiGet(querier.url, '/api/v1/query', { query: TOTAL, time: time() }),
      apiGet(a.url, '/api/v1/query', { query: TOTAL, time: time() }),
    ]);
    expect(got.httpStatus).toBe(200);
    expect(got.body.warnings ?? []).toEqual([]);
    const merged = Number((got.body.data as { result: { value: [number, string] }[] }).result[0]!.value[1]);
    const fromA = Number((onlyA.body.data as { result: { value: [number, string] }[] }).result[0]!.value[1]);
    expect(merged).toBeGreaterThan(fromA);
  });

  describe('after B is killed', () => {
    beforeAll(async () => {
      await b.stop();
    });

    it('instant query: HTTP 200, A\'s data, a warning naming B', async () => {
      const [got, onlyA] = await Promise.all([
        apiGet(querier.url, '/api/v1/query', { query: TOTAL, time: time() }),
        apiGet(a.url, '/api/v1/query', { query: TOTAL, time: time() }),
      ]);
      expect(got.httpStatus).toBe(200);
      expect(got.body.status).toBe('success');
      expect(got.body.warnings?.some((w) => w.includes(bHost()))).toBe(true);
      expect(diffData(got.body.data, onlyA.body.data)).toEqual([]);
    });

    it('range query: HTTP 200 with a warning naming B', async () => {
      const got = await apiGet(querier.url, '/api/v1/query_range', {
        query: 'sum(rate(http_requests_total[5m]))',
        start: d.startMs / 1000 + 3600,
        end: d.startMs / 1000 + 7200,
        step: 60,
      });
      expect(got.httpStatus).toBe(200);
      expect(got.body.status).toBe('success');
      expect(got.body.warnings?.some((w) => w.includes(bHost()))).toBe(true);
      expect((got.body.data as { result: unknown[] }).result.length).toBe(1);
    });

    it('/api/v1/series: HTTP 200 with a warning naming B', async () => {
      const got = await apiGet(querier.url, '/api/v1/series', { 'match[]': 'up', start: d.startMs / 1000, end: d.endMs / 1000 });
      expect(got.httpStatus).toBe(200);
      expect(got.body.warnings?.some((w) => w.includes(bHost()))).toBe(true);
      expect((got.body.data as unknown[]).length).toBeGreaterThan(0);
    });

    it('partial_response=false: an error (HTTP 503 or 422 with errorType)', async () => {
      const got = await apiGet(querier.url, '/api/v1/query', { query: TOTAL, time: time(), partial_response: 'false' });
      expect([503, 422]).toContain(got.httpStatus);
      expect(got.body.status).toBe('error');
      expect(typeof got.body.errorType).toBe('string');
      expect(got.body.errorType!.length).toBeGreaterThan(0);
    });

    it('the querier itself stays alive', async () => {
      const res = await fetch(`${querier.url}/-/healthy`).catch(() => null);
      const ready = await fetch(`${querier.url}/-/ready`).catch(() => null);
      expect(res !== null || ready !== null).toBe(true);
    });
  });
});
