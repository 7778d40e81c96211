/**
 * dedup=explain end to end: two real Prometheus replicas of one series, replica a down for ten
 * minutes. The answer is the deduplicated one plus `data.provenance`: which replica served which
 * span, where the leader switched (at a's outage, and back only when b has its own gap) and why.
 * Also Thanos' analyze=true and /api/v1/query(_range)_explain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { prometheusAvailable } from '../support/prometheus.js';

const T0 = Date.UTC(2026, 0, 5, 12) / 1000; // fixed: never the wall clock
const STEP = 15;

/** One counter every 15 s for an hour; replica b's scrapes lag a's by 2 s; `down` is skipped. */
function openMetrics(offset: number, down: [number, number] | null): string {
  const lines = ['# TYPE jobs counter'];
  for (let i = 0; i <= 240; i++) {
    const t = T0 + i * STEP + offset;
    if (down !== null && t >= down[0] && t < down[1]) continue;
    lines.push(`jobs_total{job="batch"} ${i * 10} ${t}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

interface Switch {
  time: number;
  from: number;
  to: number;
  last_from: number;
  next_from: number | null;
  gap_seconds: number | null;
  penalty_seconds: number | null;
}

describe.skipIf(!prometheusAvailable())('dedup=explain', () => {
  let setup: HaSetup;

  beforeAll(async () => {
    // a: down 20–30 min; b: down 40–45 min (so the merge comes back to a there).
    setup = await startHaSetup({
      cluster: 'eu1',
      openMetrics: { a: openMetrics(0, [T0 + 1200, T0 + 1800]), b: openMetrics(2, [T0 + 2400, T0 + 2700]) },
    });
  }, 120_000);

  afterAll(async () => {
    await setup?.stop();
  });

  const rangeQuery = async (dedup: string) => {
    const params = new URLSearchParams({ query: 'jobs_total', start: String(T0), end: String(T0 + 3600), step: '60', dedup });
    const res = await fetch(`${setup.querier.url}/api/v1/query_range?${params}`);
    return { status: res.status, body: (await res.json()) as { status: string; data: { result: unknown[]; provenance?: unknown[] } } };
  };

  it('answers as dedup=true, plus the provenance of the merged series', async () => {
    const explained = await rangeQuery('explain');
    const plain = await rangeQuery('true');
    expect(explained.status).toBe(200);
    expect(explained.body.data.result).toEqual(plain.body.data.result);
    expect(plain.body.data.provenance).toBeUndefined();

    const provenance = explained.body.data.provenance as {
      selector: string;
      func: string;
      series: { metric: Record<string, string>; replicas: { labels: Record<string, string>; samples_in: number; samples_used: number }[]; spans: { replica: number; start: number; end: number; samples: number }[]; switches: Switch[] }[];
    }[];
    expect(provenance).toHaveLength(1);
    expect(provenance[0]!.selector).toBe('{__name__="jobs_total"}');
    expect(provenance[0]!.func).toBe('penalty');
    const [series] = provenance[0]!.series;
    expect(series!.metric).toEqual({ __name__: 'jobs_total', cluster: 'eu1', job: 'batch' });
    const replicaOf = (i: number) => series!.replicas[i]!.labels['replica'];
    expect(series!.replicas.map((r) => r.labels)).toEqual([{ replica: 'a' }, { replica: 'b' }]);

    // a leads, b takes over in a's outage, a takes over again in b's.
    expect(series!.spans.map((s) => replicaOf(s.replica))).toEqual(['a', 'b', 'a']);
    const [toB, toA] = series!.switches;
    expect(replicaOf(toB!.from)).toBe('a');
    expect(toB!.last_from).toBeLessThan(T0 + 1200);
    expect(toB!.next_from).toBeGreaterThanOrEqual(T0 + 1800); // a's gap is the outage
    expect(toB!.gap_seconds).toBeGreaterThan(toB!.penalty_seconds!); // why: the gap outlasted the penalty
    // b's first sample past a's last one plus the penalty (2 × a's last step) is where it takes over.
    expect(toB!.penalty_seconds).toBe(2 * STEP);
    expect(toB!.time - toB!.last_from).toBeGreaterThan(toB!.penalty_seconds!);
    expect(toB!.time - toB!.last_from).toBeLessThanOrEqual(toB!.penalty_seconds! + STEP);
    expect(replicaOf(toA!.from)).toBe('b');
    expect(toA!.next_from).toBeGreaterThanOrEqual(T0 + 2700);

    // Every merged sample is accounted for, and the counts add up.
    const used = series!.replicas.reduce((n, r) => n + r.samples_used, 0);
    expect(series!.spans.reduce((n, s) => n + s.samples, 0)).toBe(used);
    for (const r of series!.replicas) expect(r.samples_used).toBeLessThanOrEqual(r.samples_in);
  });

  it('analyze=true: the operator tree with time and samples per operator, and what each endpoint sent', async () => {
    const params = new URLSearchParams({ query: 'sum by (job) (rate(jobs_total[5m]))', start: String(T0), end: String(T0 + 3600), step: '60', analyze: 'true' });
    const res = await fetch(`${setup.querier.url}/api/v1/query_range?${params}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { result: { values: unknown[] }[]; analysis: Record<string, unknown> } };
    expect(body.data.result).toHaveLength(1);
    const a = body.data.analysis as {
      name: string;
      executionTime: string;
      totalSamples: number;
      children: { name: string; children: { name: string }[] }[];
      endpoints: { endpoint: string; series: number; samples: number }[];
      fetchTime: string;
    };
    expect(a.name).toBe('[aggregate] sum by (job)');
    expect(a.executionTime).toMatch(/^[0-9.]+(ns|µs|ms|s)$/);
    expect(a.totalSamples).toBe(body.data.result[0]!.values.length); // the points the root produced
    expect(a.children[0]!.name).toBe('[function] rate');
    expect(a.children[0]!.children[0]!.name).toBe('[matrixSelector] jobs_total[5m]');
    expect(a.endpoints.map((e) => e.endpoint).sort()).toEqual([setup.a.url, setup.b.url].sort());
    for (const e of a.endpoints) {
      expect(e.series).toBe(1);
      expect(e.samples).toBeGreaterThan(150);
    }
    expect(a.fetchTime).toMatch(/^[0-9.]+(ns|µs|ms|s)$/);
  });

  it('query_explain and query_range_explain: the tree without evaluating; a bad query or engine is 400', async () => {
    const explain = async (path: string, params: Record<string, string>) => {
      const res = await fetch(`${setup.querier.url}/api/v1/${path}?${new URLSearchParams(params)}`);
      return { status: res.status, body: (await res.json()) as { status: string; data?: unknown; error?: string } };
    };
    const tree = await explain('query_explain', { query: 'max(jobs_total) / on() group_left count(up)', engine: 'thanos' });
    expect(tree.status).toBe(200);
    expect(tree.body.data).toEqual({
      name: '[binary] / on() group_left',
      children: [
        { name: '[aggregate] max', children: [{ name: '[vectorSelector] jobs_total' }] },
        { name: '[aggregate] count', children: [{ name: '[vectorSelector] up' }] },
      ],
    });
    expect((await explain('query_range_explain', { query: 'rate(jobs_total[5m])', start: String(T0), end: String(T0 + 60), step: '15' })).status).toBe(200);
    expect((await explain('query_range_explain', { query: 'jobs_total[5m]' })).status).toBe(400);
    const bad = await explain('query_explain', { query: 'sum(' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^invalid parameter "query": /);
    expect((await explain('query_explain', { query: 'up', engine: 'mimir' })).body.error).toBe("'mimir' bad engine");
  });

  it('still answers dedup=false and rejects other values', async () => {
    expect((await rangeQuery('false')).body.data.provenance).toBeUndefined();
    expect((await rangeQuery('maybe')).status).toBe(400);
  });
});
