/**
 * dedup=explain end to end: two real Prometheus replicas of one series, replica a down for ten
 * minutes. The answer is the deduplicated one plus `data.provenance`: which replica served which
 * span, where the leader switched (at a's outage, and back only when b has its own gap) and why.
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

  it('still answers dedup=false and rejects other values', async () => {
    expect((await rangeQuery('false')).body.data.provenance).toBeUndefined();
    expect((await rangeQuery('maybe')).status).toBe(400);
  });
});
