/**
 * Window boundaries through the querier: the HA data of hadata.ts with samples exactly on the 15 s
 * grid (offsetMs 0), queried at times that coincide with sample timestamps. Prometheus 2.42 closes
 * its windows: the lookback is [t − 5m, t], a range selector [t − d, t], and a subquery's grid starts
 * at the first multiple of the step ≥ t − range, so samples on the left edge count. promdedup in
 * 2.x mode (auto, from the backends' version) must give the same answers as Prometheus on the
 * reference-deduplicated data (computed on these same timestamps).
 *
 * Select starts (t − range − offset, lookback, subquery ranges) are sample timestamps here; every
 * one the queries produce is checked to be a safe start for the penalty merge (see hadata.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, diffAnswers } from '../support/compare.js';
import { generateHaData, MINUTE_MS, type HaData } from '../support/hadata.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { prometheusAvailable, type PrometheusServer } from '../support/prometheus.js';
import { querierSourcePresent, type QuerierProcess } from '../support/querier-process.js';

const promOk = prometheusAvailable();
const querierOk = querierSourcePresent();

const S = 1000;
/** Every duration the queries below subtract from an evaluation time to start a select. */
const SPANS = [0, 15, 30, 45, 60, 90, 120, 180, 300, 360, 420, 600, 900].map((s) => s * S);

interface Q {
  q: string | ((t: number) => string);
  ordered?: boolean;
  subquery?: boolean;
}

const QUERIES: Q[] = [
  // Lookback: the sample at t counts, and one exactly at t − 5m still does in 2.x.
  { q: 'up' },
  { q: 'memory_usage_bytes' },
  { q: 'timestamp(up)' },
  { q: 'queue_length offset 15s' },
  { q: 'queue_length offset 5m' },
  // Range selectors whose both ends sit on samples.
  { q: 'count_over_time(up[1m])' },
  { q: 'count_over_time(up[15s])' },
  { q: 'last_over_time(memory_usage_bytes[15s])' },
  { q: 'sum_over_time(queue_length[1m])' },
  { q: 'min_over_time(room_temperature_celsius[30s])' },
  { q: 'rate(http_requests_total[1m])' },
  { q: 'increase(jobs_processed_total[2m])' },
  { q: 'irate(http_requests_total[30s])' },
  { q: 'delta(room_temperature_celsius[45s])' },
  { q: 'changes(queue_length[5m])' },
  { q: 'resets(http_requests_total[15m])' },
  { q: 'count_over_time(up[1m] offset 30s)' },
  { q: 'absent_over_time(up{instance="10.0.0.3:8080"}[5m])' },
  { q: (t) => `count_over_time(up[1m] @ ${(t - 2 * MINUTE_MS) / 1000})` },
  // Subqueries: grids that hit the window start and samples.
  { q: 'count_over_time(queue_length[1m:15s])', subquery: true },
  { q: 'sum_over_time(queue_length[2m:30s])', subquery: true },
  { q: 'max_over_time(rate(http_requests_total[1m])[5m:15s])', subquery: true },
  { q: 'count_over_time(up[3m:1m] offset 1m)', subquery: true },
];

describe.skipIf(!promOk || !querierOk)('window boundaries (2.x closed windows) through the querier', () => {
  let d: HaData;
  let setup: HaSetup | undefined;
  let querier: QuerierProcess;
  let expected: PrometheusServer;
  let instants: { name: string; t: number }[] = [];
  let windows: { name: string; start: number; end: number; step: number }[] = [];

  /** The first grid time at or after `from` (a sample timestamp) whose select starts are all safe. */
  function safeGridTime(from: number): number {
    for (let t = Math.ceil((from - d.startMs) / 15_000) * 15_000 + d.startMs; t < from + 5 * MINUTE_MS; t += 15_000) {
      // Selects start from the query (range) start, or from a subquery's step-aligned grid.
      const starts = [t, Math.ceil(t / 60_000) * 60_000, Math.ceil(t / 30_000) * 30_000];
      if (SPANS.every((x) => starts.every((s) => d.isSafeMint(s - x)))) return t;
    }
    throw new Error(`window-boundaries: no safe grid time near ${from}`);
  }

  beforeAll(async () => {
    d = generateHaData({ offsetMs: 0, seed: 5 });
    instants = [
      { name: 'normal', t: safeGridTime(d.at(30)) },
      { name: 'a down', t: safeGridTime(d.at(43)) },
      { name: 'b down after the switch back', t: safeGridTime(d.at(48)) },
      { name: 'second rolling restart', t: safeGridTime(d.at(117)) },
      // The retired instance's last sample is at 164:45: exactly t − 5m at 169:45.
      { name: 'retired sample exactly at t - 5m', t: d.at(169.75) },
      { name: 'retired sample just out of the lookback', t: d.at(170) },
    ];
    for (const x of instants.slice(-2)) for (const s of SPANS) if (!d.isSafeMint(x.t - s)) throw new Error(`test design: ${x.name} unsafe`);
    const w1 = safeGridTime(d.at(38));
    const w2 = safeGridTime(d.at(108));
    windows = [
      { name: 'first rolling restart, 15 s', start: w1, end: w1 + 10 * MINUTE_MS, step: 15 },
      { name: 'second rolling restart, 60 s', start: w2, end: w2 + 10 * MINUTE_MS, step: 60 },
      { name: 'retirement, 15 s', start: d.at(162), end: d.at(172), step: 15 },
    ];
    setup = await startHaSetup({ cluster: d.cluster, openMetrics: d.openMetrics });
    expected = setup.expected!;
    querier = setup.querier;
  }, 300_000);

  afterAll(async () => {
    await setup?.stop();
  });

  it('the data has samples exactly on the query times', () => {
    for (const x of instants) expect(d.grid.includes(x.t), x.name).toBe(true);
  });

  it('the closed lookback is exercised: a sample exactly at t - 5m is seen, 15 s later it is not', async () => {
    const has = async (t: number) => {
      const r = await apiGet(querier.url, '/api/v1/query', { query: 'up{instance="10.0.0.3:8080"}', time: t / 1000 });
      return (r.body.data as { result: unknown[] }).result.length;
    };
    expect(await has(d.at(169.75))).toBe(1);
    expect(await has(d.at(170))).toBe(0);
  });

  for (const q of QUERIES) {
    const title = typeof q.q === 'string' ? q.q : q.q(0).replace(/@ [-\d.]+/, '@ <t - 2m>');
    it(title, async () => {
      const text = (t: number) => (typeof q.q === 'string' ? q.q : q.q(t));
      const diffs: string[] = [];
      for (const x of instants) {
        const params = { query: text(x.t), time: x.t / 1000 };
        const [got, want] = await Promise.all([apiGet(querier.url, '/api/v1/query', params), apiGet(expected.url, '/api/v1/query', params)]);
        expect(want.body.status).toBe('success');
        diffs.push(...diffAnswers(got, want, { ordered: q.ordered }).map((s) => `@${x.name}: ${s}`));
      }
      for (const w of windows) {
        const params = { query: text(w.start), start: w.start / 1000, end: w.end / 1000, step: w.step };
        const [got, want] = await Promise.all([apiGet(querier.url, '/api/v1/query_range', params), apiGet(expected.url, '/api/v1/query_range', params)]);
        diffs.push(...diffAnswers(got, want).map((s) => `[${w.name}]: ${s}`));
      }
      expect(diffs, `${diffs.length} difference(s), first: ${diffs[0]}`).toEqual([]);
    });
  }
});
