/**
 * End to end: two real Prometheus replicas with outages behind the promdedup querier, compared answer
 * for answer with a Prometheus that holds the reference-deduplicated data ("expected") and one that
 * holds every replica series with its replica label ("all", for dedup=false).
 * Comparison rules: test/support/compare.ts. Timing rules: test/e2e/queries.ts.
 * E2E_REPORT=/path/file.jsonl appends every failing comparison's differences (one JSON line per test).
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, diffAnswers, diffLabelSets, type ApiAnswer, type Params } from '../support/compare.js';
import { generateHaData, MINUTE_MS, type HaData } from '../support/hadata.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { prometheusAvailable, type PrometheusServer } from '../support/prometheus.js';
import { querierSourcePresent, type QuerierProcess } from '../support/querier-process.js';
import { instantTimes, pinnedTimes, QUERIES, RAW_QUERIES, rangeWindows, sec, type E2eQuery } from './queries.js';

const promOk = prometheusAvailable();
const querierOk = querierSourcePresent();
if (!promOk) console.warn('e2e: prometheus/promtool not on PATH (sudo apt-get install -y prometheus): skipping');
else if (!querierOk) console.warn('e2e: src/cmd/main.ts not present yet: skipping');

/** Fails with the first differences in the message; E2E_REPORT=<file> also appends them as JSON lines. */
function expectNoDiffs(title: string, diffs: string[]): void {
  if (process.env.E2E_REPORT && diffs.length > 0) appendFileSync(process.env.E2E_REPORT, JSON.stringify({ title, diffs }) + '\n');
  expect(diffs, `${title}: ${diffs.length} difference(s), first: ${diffs[0]}`).toEqual([]);
}

/** Runs jobs with at most `n` in flight (two cores: keep it small). */
async function pool<T, R>(items: readonly T[], n: number, job: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await job(items[i]!);
      }
    }),
  );
  return out;
}

describe.skipIf(!promOk || !querierOk)('promdedup vs Prometheus on deduplicated data', () => {
  let d: HaData;
  let setup: HaSetup | undefined;
  let expected: PrometheusServer;
  let all: PrometheusServer;
  let querier: QuerierProcess;

  beforeAll(async () => {
    d = generateHaData();
    // Every select start the queries can produce must be a safe one (see hadata.ts).
    const starts = [...instantTimes(d).map((x) => x.t), ...rangeWindows(d).flatMap((w) => [w.start, w.end]), ...pinnedTimes(d)];
    for (const t of starts)
      for (let k = 0; k <= 130; k++)
        if (!d.isSafeMint(t - k * MINUTE_MS)) throw new Error(`test design: select start ${t - k * MINUTE_MS} is unsafe`);
    setup = await startHaSetup({ cluster: d.cluster, openMetrics: d.openMetrics });
    querier = setup.querier;
    expected = setup.expected!;
    all = setup.all!;
  }, 300_000);

  afterAll(async () => {
    await setup?.stop();
  });

  const queryTitle = (q: E2eQuery) => (typeof q.q === 'string' ? q.q : q.q.toString().replace(/^\(d\) => /, ''));
  const text = (q: E2eQuery) => (typeof q.q === 'string' ? q.q : q.q(d));

  async function instantDiffs(q: E2eQuery, target: string, ref: string, extra: Params = {}): Promise<string[]> {
    const lines = await pool(instantTimes(d), 3, async ({ name, t }) => {
      const params = { query: text(q), time: sec(t), ...extra };
      const [got, want] = await Promise.all([apiGet(target, '/api/v1/query', params), apiGet(ref, '/api/v1/query', params)]);
      return diffAnswers(got, want, { ordered: q.ordered }).map((x) => `@${name} (${sec(t)}): ${x}`);
    });
    return lines.flat();
  }

  async function rangeDiffs(q: E2eQuery, target: string, ref: string, extra: Params = {}): Promise<string[]> {
    const windows = rangeWindows(d).filter((w) => !(q.subquery && w.stepMs % 15_000 !== 0));
    const lines = await pool(windows, 2, async (w) => {
      const params = { query: text(q), start: sec(w.start), end: sec(w.end), step: w.stepMs / 1000, ...extra };
      const [got, want] = await Promise.all([apiGet(target, '/api/v1/query_range', params), apiGet(ref, '/api/v1/query_range', params)]);
      return diffAnswers(got, want).map((x) => `[${w.name}]: ${x}`);
    });
    return lines.flat();
  }

  describe('/api/v1/query (dedup on) equals the expected Prometheus', () => {
    for (const q of QUERIES) {
      const title = queryTitle(q);
      it(title, async () => {
        expectNoDiffs(`query ${title}`, await instantDiffs(q, querier.url, expected.url));
      });
    }
  });

  describe('/api/v1/query_range (dedup on) equals the expected Prometheus', () => {
    for (const q of QUERIES.filter((x) => !x.instantOnly)) {
      const title = queryTitle(q);
      it(title, async () => {
        expectNoDiffs(`query_range ${title}`, await rangeDiffs(q, querier.url, expected.url));
      });
    }
  });

  describe('dedup=false equals the "all replicas" Prometheus', () => {
    for (const q of RAW_QUERIES) {
      it(`query ${q.q as string}`, async () => {
        expectNoDiffs(`dedup=false query ${q.q as string}`, await instantDiffs(q, querier.url, all.url, { dedup: 'false' }));
      });
      if (!q.instantOnly)
        it(`query_range ${q.q as string}`, async () => {
          expectNoDiffs(`dedup=false query_range ${q.q as string}`, await rangeDiffs(q, querier.url, all.url, { dedup: 'false' }));
        });
    }
  });

  it('dedup=true is the default', async () => {
    const t = sec(instantTimes(d)[2]!.t);
    const q = { query: 'rate(http_requests_total[5m])', time: t };
    const [def, on] = await Promise.all([apiGet(querier.url, '/api/v1/query', q), apiGet(querier.url, '/api/v1/query', { ...q, dedup: 'true' })]);
    expect(diffAnswers(def, on)).toEqual([]);
  });

  describe('/api/v1/series', () => {
    const matches = ['up', 'http_requests_total{code="500"}', '{__name__=~"http_request_duration_seconds_.*",path="/"}'];
    const span = () => ({ start: sec(d.startMs), end: sec(d.endMs) });

    it('dedup on: no replica label, one series per target, as the expected Prometheus', async () => {
      const params = { 'match[]': matches, ...span() };
      const [got, want] = await Promise.all([apiGet(querier.url, '/api/v1/series', params), apiGet(expected.url, '/api/v1/series', params)]);
      expect(got.httpStatus).toBe(200);
      const series = got.body.data as Record<string, string>[];
      expect(series.some((s) => 'replica' in s)).toBe(false);
      expect(diffLabelSets(series, want.body.data as Record<string, string>[])).toEqual([]);
    });

    it('dedup=false: every replica series, as the "all" Prometheus', async () => {
      const params = { 'match[]': matches, ...span() };
      const [got, want] = await Promise.all([
        apiGet(querier.url, '/api/v1/series', { ...params, dedup: 'false' }),
        apiGet(all.url, '/api/v1/series', params),
      ]);
      expect(got.httpStatus).toBe(200);
      expect(diffLabelSets(got.body.data as Record<string, string>[], want.body.data as Record<string, string>[])).toEqual([]);
    });

    it('a time range inside the history limits the answer (retired instance)', async () => {
      const params = { 'match[]': ['up'], start: sec(d.at(170)), end: sec(d.at(175)) };
      const [got, want] = await Promise.all([apiGet(querier.url, '/api/v1/series', params), apiGet(expected.url, '/api/v1/series', params)]);
      expect(diffLabelSets(got.body.data as Record<string, string>[], want.body.data as Record<string, string>[])).toEqual([]);
    });
  });

  describe('labels endpoints answer as the deduplicated Prometheus, and with dedup=false as the "all" one', () => {
    const cases: [string, Params][] = [
      ['/api/v1/labels', {}],
      ['/api/v1/labels', { 'match[]': ['http_requests_total'] }],
      ['/api/v1/label/replica/values', {}],
      ['/api/v1/label/path/values', {}],
      ['/api/v1/label/__name__/values', {}],
      ['/api/v1/label/instance/values', { 'match[]': ['up{job="api"}'] }],
    ];
    for (const [path, params] of cases) {
      it(`${path} ${JSON.stringify(params)}`, async () => {
        const p = { ...params, start: sec(d.startMs), end: sec(d.endMs) };
        const [got, want, gotRaw, wantRaw]: ApiAnswer[] = await Promise.all([
          apiGet(querier.url, path, p),
          apiGet(expected.url, path, p),
          apiGet(querier.url, path, { ...p, dedup: 'false' }),
          apiGet(all.url, path, p),
        ]);
        expect(got.httpStatus).toBe(200);
        expect(got.body.data).toEqual(want.body.data);
        expect(gotRaw.body.data).toEqual(wantRaw.body.data);
      });
    }
  });
});
