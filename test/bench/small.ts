/**
 * The querier's fixed cost per query: tiny range queries (the newest 30 s of a dashboard panel,
 * 2 points at step 15 s, over series with hours of history), which a query frontend in front of the
 * querier sends on every refresh. Same data and panels as the frontend section (frontend.ts), on
 * the wall clock, its own HA pair of Prometheus servers.
 *
 * Four targets, in the same run, each measured the same way:
 *   - the promdedup querier over the pair,
 *   - a promdedup querier over replica a only (fan-out and dedup excluded),
 *   - Prometheus a directly,
 * and three measurements per target:
 *   - latency: one tiny query at a time (`fe_memory_bytes`, 40 series × 2 points, and
 *     `sum by (job) (rate(fe_http_requests_total[5m]))`), median and p90 of ROUNDS,
 *   - a burst: the 10 panels over their newest 30 s, all at once (what the frontend sends per
 *     refresh), wall time until the last answer, median of ROUNDS,
 *   - `vector(1)` one at a time: the per-request floor without any remote read.
 * Targets are measured interleaved round by round, so machine noise hits all alike.
 *
 * Standalone: `node dist/test/bench/small.js`, or the `small` section of run.ts (BENCH_SMALL_ROUNDS,
 * BENCH_SMALL_WARMUP, BENCH_SMALL_BASELINE, BENCH_PROFILE and BENCH_QUERIER_ARGS as described there).
 */
import { Agent } from 'undici';
import { fileURLToPath } from 'node:url';
import type { PrometheusServer } from '../support/prometheus.js';
import { generate, PANELS, startBenchPair } from './frontend.js';
import { expectOk, fmt, median, postForm, processCpuMs, quantile, startQuerierProcess, table, type Querier } from './harness.js';

const HOUR = 3_600_000;
const STEP_MS = 15_000;

export interface SmallTarget {
  readonly name: string;
  /** ms per request, one at a time. */
  readonly gauge: number[];
  readonly rate: number[];
  readonly trivial: number[];
  /** ms for the 10 panels at once. */
  readonly burst: number[];
  /** The querier process' CPU ms over the bursts (utime + stime, all threads); null for Prometheus. */
  burstCpuMs: number | null;
}

export interface SmallRow {
  readonly name: string;
  readonly gaugeMedian: number;
  readonly gaugeP90: number;
  readonly rateMedian: number;
  readonly trivialMedian: number;
  readonly burstMedian: number;
  readonly burstP90: number;
  /** Querier CPU ms per query during the bursts (null: not a promdedup process). */
  readonly cpuPerQuery: number | null;
}

export interface SmallBenchResult {
  readonly series: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly rows: readonly SmallRow[];
  /** querier (pair) ÷ Prometheus a */
  readonly gaugeRatio: number;
  readonly rateRatio: number;
  readonly burstRatio: number;
  /** The querier's answers = Prometheus a's for every panel (the data of both replicas is identical). */
  readonly identical: number;
  readonly compared: number;
  /** Panel answers of the other builds (BENCH_SMALL_BASELINE) that differ from this build's, byte for byte. */
  readonly otherBuildDiffers: number;
}

export async function benchSmall(log: (s: string) => void, opts: { rounds: number; warmup: number; profileDir?: string; querierArgs?: readonly string[]; baselineEntry?: string }): Promise<SmallBenchResult> {
  const http = new Agent({ connections: 32, keepAliveTimeout: 60_000, headersTimeout: 600_000, bodyTimeout: 600_000 });
  const now = Date.now();
  const dataFrom = Math.floor((now - 8 * HOUR) / STEP_MS) * STEP_MS;
  const dataTo = Math.floor((now + HOUR) / STEP_MS) * STEP_MS;
  const end = Math.floor((now - 5 * 60_000) / STEP_MS) * STEP_MS;
  const start = end - STEP_MS; // 2 points
  const gen = generate(dataFrom, dataTo);
  log(`  data: ${gen.series} series, ${(gen.samples / 1e6).toFixed(2)} M samples per replica`);
  const replicas: PrometheusServer[] = [];
  const queriers: Querier[] = [];
  try {
    await startBenchPair(gen.text, replicas);
    const prof = opts.profileDir !== undefined ? { cpuProfileDir: opts.profileDir } : {};
    const pair = await startQuerierProcess({ endpoints: replicas.map((r) => r.url), extraArgs: opts.querierArgs ?? [], ...prof });
    queriers.push(pair);
    const single = await startQuerierProcess({ endpoints: [replicas[0]!.url], extraArgs: opts.querierArgs ?? [] });
    queriers.push(single);
    const list: { name: string; url: string; pid?: number }[] = [
      { name: 'promdedup querier (pair)', url: pair.url, pid: pair.pid },
      { name: 'promdedup querier (replica a only)', url: single.url, pid: single.pid },
      { name: 'one Prometheus (a)', url: replicas[0]!.url },
    ];
    // Other builds over the pair: `name=path/dist/src/cmd/main.js`, comma-separated (a bare path is "baseline").
    for (const spec of (opts.baselineEntry ?? '').split(',').filter((x) => x !== '')) {
      const eq = spec.indexOf('=');
      const [name, entry] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : ['baseline', spec];
      const base = await startQuerierProcess({ endpoints: replicas.map((r) => r.url), extraArgs: opts.querierArgs ?? [], entry });
      queriers.push(base);
      list.push({ name: `${name} build, querier (pair)`, url: base.url, pid: base.pid });
    }
    const targets: { name: string; url: string; pid?: number; r: SmallTarget }[] = list.map((t) => ({ ...t, r: { name: t.name, gauge: [], rate: [], trivial: [], burst: [], burstCpuMs: t.pid !== undefined ? 0 : null } }));

    const range = (url: string, expr: string) =>
      postForm(url, '/api/v1/query_range', { query: expr, start: String(start / 1000), end: String(end / 1000), step: String(STEP_MS / 1000) }, { keepBody: true, dispatcher: http }).then((r) => expectOk(r, `${expr} at ${url}`));
    const burst = async (url: string): Promise<{ ms: number; bodies: string[] }> => {
      const t = performance.now();
      const answers = await Promise.all(PANELS.map((p) => range(url, p.expr)));
      return { ms: performance.now() - t, bodies: answers.map((a) => a.text ?? '') };
    };
    // Warm-up: the queriers' JIT (each of their query workers compiles on its own: a fresh querier
    // takes a few thousand tiny queries to settle), page cache and head of the replicas.
    for (let i = 0; i < opts.warmup; i++) for (const t of targets) await burst(t.url);

    let identical = 0;
    let compared = 0;
    let otherBuildDiffers = 0;
    for (let round = 0; round < opts.rounds; round++) {
      for (const t of targets) {
        t.r.gauge.push((await range(t.url, 'fe_memory_bytes')).ms);
        t.r.rate.push((await range(t.url, PANELS[0]!.expr)).ms);
        t.r.trivial.push((await postForm(t.url, '/api/v1/query', { query: 'vector(1)', time: String(end / 1000) }, { dispatcher: http }).then((x) => expectOk(x, 'vector(1)'))).ms);
      }
      const bodies: string[][] = [];
      for (const t of targets) {
        const cpu0 = t.pid !== undefined ? processCpuMs(t.pid) : 0;
        const b = await burst(t.url);
        if (t.pid !== undefined) t.r.burstCpuMs! += processCpuMs(t.pid) - cpu0;
        t.r.burst.push(b.ms);
        bodies.push(b.bodies);
      }
      for (let p = 0; p < PANELS.length; p++) {
        compared++;
        if (bodies[0]![p] === bodies[2]![p]) identical++;
        for (let b = 3; b < bodies.length; b++) if (bodies[b]![p] !== bodies[0]![p]) otherBuildDiffers++;
      }
    }
    const rows: SmallRow[] = targets.map(({ r }) => ({
      name: r.name,
      gaugeMedian: median(r.gauge),
      gaugeP90: quantile(r.gauge, 0.9),
      rateMedian: median(r.rate),
      trivialMedian: median(r.trivial),
      burstMedian: median(r.burst),
      burstP90: quantile(r.burst, 0.9),
      cpuPerQuery: r.burstCpuMs === null ? null : r.burstCpuMs / (r.burst.length * PANELS.length),
    }));
    const [q, , p] = rows as [SmallRow, SmallRow, SmallRow];
    for (const r of rows) log(`  ${r.name}: one gauge query ${fmt(r.gaugeMedian, 2)} ms, one rate query ${fmt(r.rateMedian, 2)} ms, vector(1) ${fmt(r.trivialMedian, 2)} ms, 10 at once ${fmt(r.burstMedian, 1)} ms`);
    return {
      series: gen.series,
      rounds: opts.rounds,
      warmup: opts.warmup,
      rows,
      gaugeRatio: q.gaugeMedian / p.gaugeMedian,
      rateRatio: q.rateMedian / p.rateMedian,
      burstRatio: q.burstMedian / p.burstMedian,
      identical,
      compared,
      otherBuildDiffers,
    };
  } finally {
    await Promise.all(queriers.map((q) => q.stop()));
    await Promise.all(replicas.map((r) => r.stop()));
    await http.close();
  }
}

export function formatSmall(r: SmallBenchResult): string {
  return [
    `Tiny range queries (2 points at step 15 s ending 5 min ago, over ${r.series} series with 8 h of history), median of ${r.rounds} interleaved rounds after ${r.warmup} warm-up bursts per target:`,
    '',
    table(
      ['target', 'one `fe_memory_bytes` (40 series) ms', 'p90', '÷ Prometheus', 'one `sum by (job) (rate(…[5m]))` ms', '÷ Prometheus', '`vector(1)` ms', '10 panels at once ms', 'p90', '÷ Prometheus', 'querier CPU ms per query (bursts)'],
      r.rows.map((x) => {
        const p = r.rows[2]!;
        return [x.name, fmt(x.gaugeMedian, 2), fmt(x.gaugeP90, 2), fmt(x.gaugeMedian / p.gaugeMedian, 2), fmt(x.rateMedian, 2), fmt(x.rateMedian / p.rateMedian, 2), fmt(x.trivialMedian, 2), fmt(x.burstMedian, 1), fmt(x.burstP90, 1), fmt(x.burstMedian / p.burstMedian, 2), x.cpuPerQuery === null ? '—' : fmt(x.cpuPerQuery, 2)];
      }),
    ),
    '',
    `querier (pair) ÷ one Prometheus: one gauge query **${fmt(r.gaugeRatio, 2)}**, one rate query **${fmt(r.rateRatio, 2)}**, 10 at once **${fmt(r.burstRatio, 2)}**; ` +
      `answers identical to Prometheus a's: ${r.identical} of ${r.compared} (informational: the querier adds the external label \`cluster\` to raw series)` +
      (r.rows.length > 3 ? `; the other builds' answers that differ from this build's, byte for byte: ${r.otherBuildDiffers} of ${r.compared * (r.rows.length - 3)}` : ''),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = (s: string): void => console.error(s);
  const r = await benchSmall(log, {
    rounds: Number(process.env.BENCH_SMALL_ROUNDS ?? 30),
    warmup: Number(process.env.BENCH_SMALL_WARMUP ?? 100),
    ...(process.env.BENCH_SMALL_BASELINE !== undefined ? { baselineEntry: process.env.BENCH_SMALL_BASELINE } : {}),
    ...(process.env.BENCH_PROFILE !== undefined ? { profileDir: process.env.BENCH_PROFILE } : {}),
    querierArgs: (process.env.BENCH_QUERIER_ARGS ?? '').split(/\s+/).filter((x) => x !== ''),
  });
  console.log(formatSmall(r));
}
