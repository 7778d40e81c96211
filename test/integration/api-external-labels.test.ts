/**
 * A Prometheus whose external labels change at runtime (config reload): selects through the store
 * must never return series that contradict their matchers while the cached labels are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLabel } from '../../src/model/labels.js';
import { LabelMatcher } from '../../src/model/matcher.js';
import { PrometheusStore } from '../../src/store/prometheus/store.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';

const BASE_S = 1_700_000_000;

function history(): string {
  const lines = ['# TYPE demo_requests_total counter'];
  for (let i = 0; i <= 40; i++) lines.push(`demo_requests_total{path="/a"} ${i} ${BASE_S + i * 15}`);
  lines.push('# EOF', '');
  return lines.join('\n');
}

describe.skipIf(!prometheusAvailable())('external labels changed at runtime', () => {
  let prom: PrometheusServer;
  let store: PrometheusStore;

  beforeAll(async () => {
    prom = await startPrometheus({ externalLabels: { cluster: 'c1', replica: 'a' }, openMetrics: history() });
    store = new PrometheusStore({ url: prom.url, refreshIntervalMs: 0 });
    await store.start();
  });
  afterAll(async () => {
    await store?.stop();
    await prom?.stop();
  });

  it('drops series that contradict the matchers and refreshes the cached labels', async () => {
    expect(store.externalLabels()).toEqual([
      { name: 'cluster', value: 'c1' },
      { name: 'replica', value: 'a' },
    ]);
    const configFile = join(dirname(prom.dataDir), 'prometheus.yml');
    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('replica: a', 'replica: c'));
    const reload = await request(`${prom.url}/-/reload`, { method: 'POST' });
    await reload.body.dump();
    expect(reload.statusCode).toBe(200);

    const minTime = BASE_S * 1000;
    const maxTime = minTime + 600_000;
    const hints = { start: minTime, end: maxTime, step: 0, func: '', range: 0, grouping: [], by: false };
    const select = (value: string) =>
      store.select(
        {
          minTime,
          maxTime,
          matchers: [new LabelMatcher('=', '__name__', 'demo_requests_total'), new LabelMatcher('=', 'replica', value)],
          hints,
        },
        AbortSignal.timeout(10_000),
      );
    // The cache still says replica="a": the server answers with its series, now labelled "c".
    const stale = await select('a');
    expect(stale.series.map((s) => getLabel(s.labels, 'replica'))).toEqual([]);
    // The mismatch triggered a refresh; afterwards replica="c" is found.
    for (let i = 0; i < 50 && store.externalLabels()?.[1]?.value !== 'c'; i++) await new Promise((r) => setTimeout(r, 100));
    const fresh = await select('c');
    expect(fresh.series.map((s) => getLabel(s.labels, 'replica'))).toEqual(['c']);
  });
});
