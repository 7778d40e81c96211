/**
 * Memory of promdedup, from /proc/<pid>/status (VmRSS sampled every 10 ms, and VmHWM after
 * resetting it through clear_refs):
 * - peak RSS growth answering one big query (the plain selector over the largest size × 6 h, range
 *   at 30 s, uncompressed) vs the direct Prometheus' own growth answering it, both processes fresh;
 * - promdedup's RSS `settle` seconds after that query vs its idle baseline before it;
 * - with `--query.max-samples=L` (L = 100 × the largest size, 1 000 000 for 10 000 series): time to
 *   the 422 refusal and RSS growth for queries needing far more (fresh querier per query).
 */
import { counterName, SAMPLES_PER_SERIES, T_END } from './data.js';
import { fmt, median, memStatus, postForm, resetPeakRss, sample, sleep, table, type Querier } from './harness.js';

const MiB = 2 ** 20;

export interface PeakRss {
  readonly baselineMiB: number;
  readonly peakMiB: number;
  readonly growthMiB: number;
  readonly ms: number;
  readonly status: number;
  readonly bodyMiB: number;
}

export interface RefusalRow {
  readonly name: string;
  readonly expr: string;
  readonly kind: 'instant' | 'range';
  /** Samples one endpoint would send, and points the evaluation would hold, ÷ the limit. */
  readonly fetchFactor: number;
  readonly holdFactor: number;
  readonly status: number;
  readonly error: string;
  readonly msRounds: number[];
  readonly ms: number;
  readonly growthMiB: number;
}

export interface MemoryResult {
  readonly series: number;
  readonly bigQuery: string;
  readonly promdedup: PeakRss;
  readonly direct: PeakRss;
  /** Growth of the two replicas while serving promdedup's remote reads (informational). */
  readonly replicasDuringPromdedup: readonly number[];
  readonly settleS: number;
  readonly afterSettleMiB: number;
  readonly afterSettleGrowthMiB: number;
  readonly maxSamples: number;
  readonly refusals: RefusalRow[];
}

/** Runs `run` while sampling the RSS of `pids`; growth over each one's RSS just before. */
async function withPeak<T>(pids: readonly number[], run: () => Promise<T>): Promise<{ value: T; base: number[]; peak: number[] }> {
  const base = pids.map((p) => memStatus(p).rss);
  const hwmOk = pids.map((p) => resetPeakRss(p));
  const sampler = sample(10, () => pids.map((p) => memStatus(p).rss));
  let value: T;
  let samples: { t: number; v: number[] }[];
  try {
    value = await run();
    await sleep(20);
  } finally {
    samples = await sampler.stop();
  }
  const peak = pids.map((p, i) => {
    let m = base[i]!;
    for (const s of samples) m = Math.max(m, s.v[i]!);
    if (hwmOk[i]) m = Math.max(m, memStatus(p).hwm);
    return m;
  });
  return { value, base, peak };
}

function peakRss(base: number, peak: number, ms: number, status: number, bytes: number): PeakRss {
  return { baselineMiB: base / MiB, peakMiB: peak / MiB, growthMiB: (peak - base) / MiB, ms, status, bodyMiB: bytes / MiB };
}

export async function benchMemory(o: {
  series: number;
  direct: { url: string; pid: number };
  replicaPids: readonly number[];
  startQuerier: (extraArgs: readonly string[]) => Promise<Querier>;
  settleS: number;
  log: (s: string) => void;
}): Promise<MemoryResult> {
  const n = o.series;
  const expr = counterName(n);
  const params = { query: expr, start: String((T_END - 6 * 3_600_000) / 1000), end: String(T_END / 1000), step: '30' };
  const big = () => postForm(o.direct.url, '/api/v1/query_range', params);

  // Direct first, while the Prometheus process is fresh.
  await sleep(1000);
  const d = await withPeak([o.direct.pid], big);
  const direct = peakRss(d.base[0]!, d.peak[0]!, d.value.ms, d.value.status, d.value.bytes);
  o.log(`  direct: ${fmt(direct.ms, 0)} ms, RSS +${fmt(direct.growthMiB)} MiB (from ${fmt(direct.baselineMiB)})`);

  const q = await o.startQuerier([]);
  let promdedup: PeakRss;
  let replicasDuringPromdedup: number[];
  let afterSettleMiB: number;
  const refusals: RefusalRow[] = [];
  const limit = 100 * n;
  try {
    // Idle baseline after start-up and one tiny query (workers started).
    await postForm(q.url, '/api/v1/query', { query: '1+1', time: String(T_END / 1000) });
    await sleep(2000);
    const p = await withPeak([q.pid, ...o.replicaPids], () => postForm(q.url, '/api/v1/query_range', params));
    promdedup = peakRss(p.base[0]!, p.peak[0]!, p.value.ms, p.value.status, p.value.bytes);
    replicasDuringPromdedup = o.replicaPids.map((_, i) => (p.peak[i + 1]! - p.base[i + 1]!) / MiB);
    o.log(`  promdedup: ${fmt(promdedup.ms, 0)} ms, RSS +${fmt(promdedup.growthMiB)} MiB (from ${fmt(promdedup.baselineMiB)})`);
    const settleUntil = performance.now() + o.settleS * 1000;

    // Meanwhile (other processes): refusals under --query.max-samples.
    const cases: Omit<RefusalRow, 'status' | 'error' | 'msRounds' | 'ms' | 'growthMiB'>[] = [
      {
        name: 'count_over_time 6h, instant',
        expr: `count_over_time(${expr}[6h])`,
        kind: 'instant',
        fetchFactor: (n * SAMPLES_PER_SERIES) / limit,
        holdFactor: (n * SAMPLES_PER_SERIES) / limit,
      },
      {
        // 6 h at 2 s: 10 801 steps (the most Prometheus allows is 11 000 points per series).
        name: 'rate, 6h range at step 2s',
        expr: `rate(${expr}[5m])`,
        kind: 'range',
        fetchFactor: (n * (SAMPLES_PER_SERIES + 20)) / limit,
        holdFactor: (n * 10_801) / limit,
      },
    ];
    for (const c of cases) {
      const m = await o.startQuerier([`--query.max-samples=${limit}`]);
      try {
        await postForm(m.url, '/api/v1/query', { query: '1+1', time: String(T_END / 1000) });
        await sleep(1000);
        const run = () =>
          c.kind === 'instant'
            ? postForm(m.url, '/api/v1/query', { query: c.expr, time: String(T_END / 1000) })
            : postForm(m.url, '/api/v1/query_range', { query: c.expr, start: params.start, end: params.end, step: '2' });
        const msRounds: number[] = [];
        let status = 0;
        let error = '';
        const r = await withPeak([m.pid], async () => {
          for (let i = 0; i < 3; i++) {
            const res = await run();
            msRounds.push(res.ms);
            status = res.status;
            error = res.text?.slice(0, 200) ?? '';
          }
        });
        const row: RefusalRow = { ...c, status, error, msRounds, ms: median(msRounds), growthMiB: (r.peak[0]! - r.base[0]!) / MiB };
        refusals.push(row);
        o.log(`  max-samples ${limit}: ${c.name}: HTTP ${status} in ${msRounds.map((x) => fmt(x, 0)).join(', ')} ms, RSS +${fmt(row.growthMiB)} MiB`);
      } finally {
        await m.stop();
      }
    }

    await sleep(Math.max(0, settleUntil - performance.now()));
    afterSettleMiB = memStatus(q.pid).rss / MiB;
    o.log(`  promdedup RSS ${o.settleS} s later: ${fmt(afterSettleMiB)} MiB (idle baseline ${fmt(promdedup.baselineMiB)})`);
  } finally {
    await q.stop();
  }
  return {
    series: n,
    bigQuery: `${expr} over 6 h at step 30 s (range)`,
    promdedup,
    direct,
    replicasDuringPromdedup,
    settleS: o.settleS,
    afterSettleMiB,
    afterSettleGrowthMiB: afterSettleMiB - promdedup.baselineMiB,
    maxSamples: limit,
    refusals,
  };
}

export function formatMemory(r: MemoryResult): string {
  const row = (name: string, p: PeakRss): string[] => [name, `HTTP ${p.status}`, fmt(p.ms, 0), fmt(p.bodyMiB), fmt(p.baselineMiB), fmt(p.peakMiB), fmt(p.growthMiB)];
  return [
    `big query: ${r.bigQuery}`,
    table(
      ['process', 'answer', 'ms', 'body MiB', 'RSS before MiB', 'peak RSS MiB', 'growth MiB'],
      [row('promdedup (fresh)', r.promdedup), row('Prometheus, direct (fresh)', r.direct)],
    ),
    `peak growth promdedup ÷ Prometheus: ${fmt(r.promdedup.growthMiB / r.direct.growthMiB, 2)}; replicas a, b grew ${r.replicasDuringPromdedup.map((x) => fmt(x)).join(', ')} MiB serving promdedup's remote reads`,
    `promdedup RSS ${r.settleS} s after the query: ${fmt(r.afterSettleMiB)} MiB = idle baseline ${r.afterSettleGrowthMiB >= 0 ? '+' : ''}${fmt(r.afterSettleGrowthMiB)} MiB`,
    '',
    `--query.max-samples=${r.maxSamples} (targets: refused in < 2 s, RSS growth < 300 MB):`,
    table(
      ['query', 'fetch ÷ limit', 'points held ÷ limit', 'answer', 'ms (3 rounds)', 'median ms', 'RSS growth MiB'],
      r.refusals.map((x) => [
        `${x.name}: \`${x.expr}\``,
        fmt(x.fetchFactor, 1) + '×',
        fmt(x.holdFactor, 1) + '×',
        `HTTP ${x.status}`,
        x.msRounds.map((m) => fmt(m, 0)).join(', '),
        fmt(x.ms, 0),
        fmt(x.growthMiB),
      ]),
    ),
  ].join('\n');
}
