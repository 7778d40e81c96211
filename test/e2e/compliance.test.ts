/**
 * The PromQL compliance tester's queries (prometheus/compliance, promql/promql-test-queries.yml
 * expanded into compliance/expanded-queries.tsv: 539 queries, 5 of them expected to fail) against
 * promdedup over an HA pair and against a Prometheus holding the reference-deduplicated data.
 *
 * Data: test/support/demo-metrics.ts (the PromLabs demo service's metrics, 5 s scrapes, three
 * instances, replica outages that never overlap). Every query runs
 * - as a range query of 10 minutes at a 10 s step, as the compliance tester does, in one of two
 *   windows that each span two replica switches (queries alternate between the windows), and
 * - as an instant query at several times (before any outage, inside outages, after the data ends).
 * Answers must be equal exactly (diffAnswers: labels, timestamps, value strings, warnings);
 * FAIL queries must fail on both sides with the same HTTP status and errorType.
 *
 * Times: samples sit at whole seconds + 123 ms and every query time is a whole multiple of 10 s
 * plus 500 ms (so `[1s]` windows hold one sample), so no sample is on a window boundary (2.x/3.x boundary semantics are test/e2e/window-boundaries).
 * Every select start a query can produce (time − range − offset, lookback, subquery ranges) must be
 * a safe start for the penalty merge (see hadata.ts); the times are searched for that.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, diffAnswers, type ApiAnswer } from '../support/compare.js';
import { generateDemoData } from '../support/demo-metrics.js';
import { MINUTE_MS, type HaData } from '../support/hadata.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { prometheusAvailable, type PrometheusServer } from '../support/prometheus.js';
import { querierSourcePresent, type QuerierProcess } from '../support/querier-process.js';

const promOk = prometheusAvailable();
const querierOk = querierSourcePresent();

interface ComplianceQuery {
  expect: 'OK' | 'FAIL';
  query: string;
}

const QUERIES: ComplianceQuery[] = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'compliance', 'expanded-queries.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l.trim() !== '')
  .map((l) => {
    const tab = l.indexOf('\t');
    return { expect: l.slice(0, tab) as 'OK' | 'FAIL', query: l.slice(tab + 1) };
  });

/** Instant-vector order matters for these (sort and topk/bottomk); equal values may still swap (compare.ts). */
const ordered = (q: string) => /\b(sort|sort_desc|topk|bottomk)\s*\(/.test(q) || /\b(topk|bottomk)\b/.test(q);

const S = 1000;
/** Every duration a compliance query subtracts from its evaluation time to start a select. */
const RANGES = [0, 1, 15, 60, 180, 300, 900, 3600].map((s) => s * S); // ranges, 5m lookback, subquery ranges + their inner range/lookback
const OFFSETS = [0, 60, 300, 600, -60, -300, -600].map((s) => s * S);
const SELECT_SPANS = RANGES.flatMap((r) => OFFSETS.map((o) => r + o));

/** Query times sit this far after a whole 10 s, so that even `[1s]` windows hold a sample (at .123 s). */
const PHASE_MS = 500;

/**
 * The first whole 10 s + PHASE_MS at or after `from` whose select starts are all safe: from the query
 * time itself, and from the 10 s subquery grid (which is aligned to multiples of the step).
 */
function safeTime(d: HaData, from: number, extraSpan = 0): number {
  for (let g = Math.ceil(from / 10_000) * 10_000; g < from + 5 * MINUTE_MS; g += 10_000) {
    const t = g + PHASE_MS;
    const starts = [t, g + 10_000, t + extraSpan, g + 10_000 + extraSpan];
    if (SELECT_SPANS.every((x) => starts.every((s) => d.isSafeMint(s - x)))) return t;
  }
  throw new Error(`compliance: no safe evaluation time near ${from}`);
}

const RANGE_MS = 10 * MINUTE_MS;
const STEP_S = 10;

/** Runs jobs with at most `n` in flight. */
async function pool<T>(items: readonly T[], n: number, job: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await job(items[i]!, i);
      }
    }),
  );
}

describe.skipIf(!promOk || !querierOk)('PromQL compliance queries: promdedup over an HA pair vs Prometheus on the deduplicated data', () => {
  let d: HaData;
  let setup: HaSetup | undefined;
  let querier: QuerierProcess;
  let expected: PrometheusServer;
  /** Per query: differences, and whether the reference answered with data. */
  const results = new Map<string, { diffs: string[]; nonEmpty: boolean; refError: string | null }>();
  let instants: { name: string; t: number }[] = [];
  let windows: { name: string; start: number }[] = [];

  beforeAll(async () => {
    d = generateDemoData();
    instants = [
      { name: 'before any outage', t: safeTime(d, d.at(62)) },
      { name: 'a down', t: safeTime(d, d.at(73)) },
      { name: 'b down after the switch back', t: safeTime(d, d.at(77)) },
      { name: 'b-only outage', t: safeTime(d, d.at(88)) },
      { name: 'second restart, after a reset', t: safeTime(d, d.at(108.5)) },
      { name: 'after the data ends', t: safeTime(d, d.at(121)) },
    ];
    windows = [
      { name: 'first rolling restart', start: safeTime(d, d.at(66.5), RANGE_MS) },
      { name: 'second rolling restart', start: safeTime(d, d.at(101), RANGE_MS) },
    ];
    setup = await startHaSetup({ cluster: d.cluster, openMetrics: d.openMetrics });
    expected = setup.expected!;
    querier = setup.querier;

    const sec = (ms: number) => ms / 1000;
    await pool(QUERIES, 4, async (q, i) => {
      const diffs: string[] = [];
      let nonEmpty = false;
      let refError: string | null = null;
      const compare = async (label: string, path: string, params: Record<string, string | number>, isOrdered: boolean) => {
        const [got, want]: ApiAnswer[] = await Promise.all([apiGet(querier.url, path, params), apiGet(expected.url, path, params)]);
        if (want.body.status === 'error') refError ??= `${label}: ${want.body.errorType}: ${want.body.error}`;
        const r = (want.body.data as { result?: unknown } | undefined)?.result;
        if (Array.isArray(r) ? r.length > 0 : r !== undefined) nonEmpty = true;
        diffs.push(...diffAnswers(got, want, { ordered: isOrdered }).map((x) => `${label}: ${x}`));
      };
      const w = windows[i % windows.length]!;
      await compare(`range [${w.name}]`, '/api/v1/query_range', { query: q.query, start: sec(w.start), end: sec(w.start + RANGE_MS), step: STEP_S }, false);
      for (const x of instants) await compare(`instant @${x.name}`, '/api/v1/query', { query: q.query, time: sec(x.t) }, ordered(q.query));
      results.set(q.query, { diffs, nonEmpty, refError });
    });
  }, 600_000);

  afterAll(async () => {
    await setup?.stop();
  });

  it('has the 539 compliance queries, 5 expected to fail', () => {
    expect(QUERIES).toHaveLength(539);
    expect(QUERIES.filter((q) => q.expect === 'FAIL')).toHaveLength(5);
  });

  it('the data set answers most queries with data (the generator covers what the queries use)', () => {
    const ok = QUERIES.filter((q) => q.expect === 'OK');
    const empty = ok.filter((q) => !results.get(q.query)?.nonEmpty).map((q) => q.query);
    // No data by design: metrics that do not exist, absent*() of existing ones, filters no sample
    // passes (comparisons without bool against small numbers or equal series), clamp with min > max,
    // histogram_quantile of a metric without `le`, functions needing two samples in a [1s] window (5 s scrapes).
    const emptyByDesign =
      /nonexistent|(delta|rate|increase|deriv|predict_linear)\(demo_\w+\[1s\]|absent(_over_time)?\(demo_memory_usage_bytes|instance=~"host"|clamp\(demo_memory_usage_bytes, 1000000000000, 0\)|histogram_quantile\(0\.9, demo_memory_usage_bytes\)|(==|!=|<=|>=|<|>)(?! bool)/;
    if (process.env.E2E_REPORT) appendFileSync(process.env.E2E_REPORT, JSON.stringify({ title: 'empty', diffs: empty }) + '\n');
    expect(empty.filter((q) => !emptyByDesign.test(q))).toEqual([]);
  });

  for (const q of QUERIES) {
    it(`${q.expect} ${q.query}`, () => {
      const r = results.get(q.query);
      expect(r, 'not run').toBeDefined();
      if (q.expect === 'FAIL') expect(r!.refError, 'Prometheus should reject this query').not.toBeNull();
      else expect(r!.refError, 'Prometheus should accept this query').toBeNull();
      if (process.env.E2E_REPORT && r!.diffs.length > 0) appendFileSync(process.env.E2E_REPORT, JSON.stringify({ title: q.query, diffs: r!.diffs }) + '\n');
      expect(r!.diffs, `${r!.diffs.length} difference(s), first: ${r!.diffs[0]}`).toEqual([]);
    });
  }
});
