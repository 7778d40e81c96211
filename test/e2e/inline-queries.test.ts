/**
 * Tiny queries run on the main thread (src/query/inline.ts): their answers are the workers', byte
 * for byte, and a query over the inline budget moves to a worker with the same answer. Three
 * in-process query pools over the same real HA pair: inline as shipped, inline off, and an inline
 * budget so small that nearly every query with data goes over it.
 */
import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryMetrics } from '../../src/query/metrics.js';
import { QueryPool, type QueryOutcome } from '../../src/query/pool.js';
import { Querier } from '../../src/query/querier.js';
import { StoreSet } from '../../src/query/stores.js';
import { inlineEligible } from '../../src/query/inline.js';
import type { QueryTask } from '../../src/query/protocol.js';
import { PrometheusStore } from '../../src/store/prometheus/index.js';
import { silentLogger } from '../../src/util/log.js';
import { generateHaData, type HaData } from '../support/hadata.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';

async function bodyText(o: QueryOutcome): Promise<string> {
  if (o.body instanceof Uint8Array) return Buffer.from(o.body).toString('utf8');
  const parts: Buffer[] = [];
  for await (const p of o.body as Readable) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

describe.skipIf(!prometheusAvailable())('inline tiny queries', () => {
  let d: HaData;
  const servers: PrometheusServer[] = [];
  const stores: PrometheusStore[] = [];
  const pools: Record<'inline' | 'workers' | 'tiny', QueryPool> = {} as never;

  beforeAll(async () => {
    ensureQuerierBuilt(); // the query workers' entry (dist/workers/query.js)
    d = generateHaData({ seed: 11 });
    for (const r of ['a', 'b'] as const) servers.push(await startPrometheus({ externalLabels: { cluster: d.cluster, replica: r }, openMetrics: d.openMetrics[r] }));
    for (const s of servers) {
      const st = new PrometheusStore({ url: s.url, refreshIntervalMs: 0 });
      await st.start();
      stores.push(st);
    }
    const storeSet = new StoreSet(stores);
    const settings = { lookbackDelta: 300_000, defaultEvaluationInterval: 60_000, maxSamples: 50_000_000, requestSeries: 0, requestSamples: 0, delayedNameRemoval: false };
    for (const [name, inlineMaxCost] of [['inline', undefined], ['workers', 0], ['tiny', 50]] as const) {
      const metrics = new QueryMetrics(new Registry());
      pools[name] = new QueryPool({ settings, min: 1, max: 4, querier: new Querier(storeSet, metrics), metrics, logger: silentLogger, ...(inlineMaxCost !== undefined ? { inlineMaxCost } : {}) });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(pools).map((p) => p.close()));
    await Promise.all(stores.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  });

  const task = (query: string, kind: 'instant' | 'range', start: number, end: number, step: number): QueryTask => ({
    kind,
    query,
    start,
    end,
    step,
    lookbackDelta: 0,
    compat: '3',
    annotations: true,
    timeoutMs: 0,
    replicaLabels: ['replica'],
    dedup: true,
    dedupFunc: 'penalty',
    partialResponse: true,
  });

  async function answer(pool: QueryPool, t: QueryTask): Promise<string> {
    try {
      return `ok ${await bodyText(await pool.run(t, { partialResponse: true, storeTimeout: 0 }, new AbortController().signal))}`;
    } catch (err) {
      return `error ${(err as Error).message}`;
    }
  }

  it('answers as the workers do, byte for byte, inline or moved to a worker', async () => {
    const at = (min: number) => d.startMs + min * 60_000;
    const queries = [
      'http_requests_total',
      'sum by (job) (rate(http_requests_total[5m]))',
      'rate(process_cpu_seconds_total[1m])',
      'memory_usage_bytes / on (instance) group_left max by (instance) (memory_usage_bytes)',
      'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
      'topk(2, queue_length)',
      'absent(nonexistent_metric)',
      'vector(1) + 1',
      'count_values("v", up)',
      'rate(http_requests_total[1h])', // more data than the tiny budget
      'sum(rate(',
    ];
    // Across the rolling restarts (minutes 40-52) and elsewhere; 1-3 steps, instant and range.
    const tasks: QueryTask[] = [];
    for (const q of queries) {
      for (const m of [30, 41, 47, 71]) {
        tasks.push(task(q, 'instant', at(m), at(m), 0));
        tasks.push(task(q, 'range', at(m), at(m) + 30_000, 15_000));
      }
    }
    for (const t of tasks) expect(inlineEligible(t), t.query).toBe(t.query !== 'sum(rate(');
    const before = { ...pools.inline.inlineStats };
    const tinyBefore = { ...pools.tiny.inlineStats };
    let withData = 0;
    for (const t of tasks) {
      const [inline, workers, tiny] = await Promise.all([answer(pools.inline, t), answer(pools.workers, t), answer(pools.tiny, t)]);
      expect(inline, `${t.kind} ${t.query} at ${t.start}`).toBe(workers);
      expect(tiny, `${t.kind} ${t.query} at ${t.start}`).toBe(workers);
      if (workers.startsWith('ok') && workers.includes('"metric"')) withData++;
    }
    expect(withData).toBeGreaterThan(tasks.length / 2);
    // Every parsable task started inline; with the shipped budget none moved, with a budget of 50 most did.
    const eligible = tasks.filter((t) => t.query !== 'sum(rate(').length;
    expect(pools.inline.inlineStats.started - before.started).toBe(eligible);
    expect(pools.inline.inlineStats.moved - before.moved).toBe(0);
    expect(pools.workers.inlineStats.started).toBe(0);
    expect(pools.tiny.inlineStats.moved - tinyBefore.moved).toBeGreaterThan(eligible / 2);
  }, 120_000);

  it('keeps subqueries, many steps and long queries in the workers', () => {
    const t0 = d.startMs + 3_600_000;
    expect(inlineEligible(task('max_over_time(rate(http_requests_total[5m])[1h:1m])', 'instant', t0, t0, 0))).toBe(false);
    expect(inlineEligible(task('up', 'range', t0, t0 + 16 * 15_000, 15_000))).toBe(false); // 17 steps
    expect(inlineEligible(task('up', 'range', t0, t0 + 15 * 15_000, 15_000))).toBe(true); // 16 steps
    expect(inlineEligible(task(`up{job="${'x'.repeat(1100)}"}`, 'instant', t0, t0, 0))).toBe(false);
    expect(inlineEligible(task(`${'('.repeat(30)}up${')'.repeat(30)}`, 'instant', t0, t0, 0))).toBe(false);
  });
});
