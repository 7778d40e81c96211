/**
 * Isolation of promdedup under CPU-heavy queries:
 * - probes: `GET /-/healthy` and `GET /api/v1/query?query=1%2B1` every 20 ms (each on its own
 *   connection), idle and while four heavy queries run at once: p50 / p99 / max latency;
 * - parallelism: one heavy query alone vs two at once, max(two) ÷ one (on 2 cores, ≤ 1.3 means the
 *   two really ran in parallel);
 * - cancellation: time from the client's abort (and from a `timeout=` parameter firing) until the
 *   querier process stops using CPU, from per-thread CPU time sampled every 10 ms.
 */
import { Agent } from 'undici';
import { T_END } from './data.js';
import { cpuBetween, fmt, get, median, postForm, quantile, sample, sleep, table, threadCpu, type HttpResult } from './harness.js';

export interface ProbeStats {
  readonly probes: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface CancelResult {
  readonly how: 'client abort' | 'timeout parameter';
  /** After how long the query was cancelled (abort) or the timeout it was given. */
  readonly afterMs: number;
  /** Cores the querier used in the 500 ms before the cancellation. */
  readonly coresBefore: number;
  /** Time from the abort (or the timeout's expiry) until the querier's CPU use fell below 10 % of a core. */
  readonly dropMs: number;
  /** timeout parameter: when the answer came, since the request started, and its status. */
  readonly answerMs?: number;
  readonly answerStatus?: number;
}

export interface IsolationResult {
  readonly heavy: string;
  readonly heavyAloneMs: number;
  readonly idle: { healthy: ProbeStats; query: ProbeStats };
  readonly loaded: { healthy: ProbeStats; query: ProbeStats; concurrent: number; heavyMs: number[] };
  readonly parallel: { aloneMs: number[]; pairMaxMs: number[]; ratio: number };
  readonly cancel: CancelResult[];
}

function stats(rs: readonly (HttpResult | null)[]): ProbeStats {
  const ok = rs.filter((r): r is HttpResult => r !== null && r.status === 200).map((r) => r.ms);
  return { probes: rs.length, failed: rs.length - ok.length, p50Ms: quantile(ok, 0.5), p99Ms: quantile(ok, 0.99), maxMs: Math.max(...ok) };
}

/** Probes both endpoints every `everyMs` until `until` settles. */
async function probe(url: string, until: Promise<unknown>, everyMs = 20): Promise<{ healthy: ProbeStats; query: ProbeStats }> {
  const loop = async (path: string): Promise<(HttpResult | null)[]> => {
    const dispatcher = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
    const out: (HttpResult | null)[] = [];
    let done = false;
    until.then(
      () => (done = true),
      () => (done = true),
    );
    try {
      let next = performance.now();
      while (!done) {
        try {
          out.push(await get(url, path, dispatcher));
        } catch {
          out.push(null);
        }
        next += everyMs;
        await sleep(Math.max(0, next - performance.now()));
      }
    } finally {
      await dispatcher.close();
    }
    return out;
  };
  const [h, q] = await Promise.all([loop('/-/healthy'), loop(`/api/v1/query?query=1%2B1&time=${T_END / 1000}`)]);
  return { healthy: stats(h), query: stats(q) };
}

async function heavyQuery(url: string, expr: string, extra: Record<string, string> = {}, signal?: AbortSignal): Promise<HttpResult> {
  return postForm(url, '/api/v1/query', { query: expr, time: String(T_END / 1000), ...extra }, signal ? { signal } : {});
}

async function heavyOk(url: string, expr: string): Promise<number> {
  const r = await heavyQuery(url, expr);
  if (r.status !== 200) throw new Error(`heavy query ${expr}: HTTP ${r.status}: ${r.text?.slice(0, 300)}`);
  return r.ms;
}

/** First sample time ≥ from after which the process uses < 10 % of a core for 100 ms. */
function dropTime(samples: readonly { t: number; v: Map<string, number> }[], from: number): number {
  for (let i = 0; i < samples.length; i++) {
    if (samples[i]!.t < from) continue;
    let j = i + 1;
    while (j < samples.length && samples[j]!.t - samples[i]!.t < 100) j++;
    if (j >= samples.length) break;
    const dt = samples[j]!.t - samples[i]!.t;
    if (cpuBetween(samples[i]!.v, samples[j]!.v) / dt < 0.1) return samples[i]!.t - from;
  }
  return NaN;
}

function coresOver(samples: readonly { t: number; v: Map<string, number> }[], from: number, to: number): number {
  const a = samples.find((s) => s.t >= from);
  const b = [...samples].reverse().find((s) => s.t <= to);
  if (!a || !b || b.t <= a.t) return NaN;
  return cpuBetween(a.v, b.v) / (b.t - a.t);
}

async function cancellation(url: string, pid: number, expr: string, how: CancelResult['how'], afterMs: number): Promise<CancelResult> {
  await sleep(300); // let the previous query's CPU use settle
  const sampler = sample(10, () => threadCpu(pid));
  try {
    const started = performance.now();
    let cancelAt: number;
    let answerMs: number | undefined;
    let answerStatus: number | undefined;
    if (how === 'client abort') {
      const ac = new AbortController();
      const q = heavyQuery(url, expr, {}, ac.signal).catch(() => null);
      await sleep(afterMs);
      cancelAt = performance.now();
      ac.abort();
      await q;
    } else {
      const r = await heavyQuery(url, expr, { timeout: `${afterMs}ms` });
      answerMs = r.ms;
      answerStatus = r.status;
      cancelAt = started + afterMs;
    }
    await sleep(Math.max(0, cancelAt + 3000 - performance.now()));
    const samples = await sampler.stop();
    return {
      how,
      afterMs,
      coresBefore: coresOver(samples, cancelAt - 500, cancelAt),
      dropMs: dropTime(samples, cancelAt),
      ...(answerMs !== undefined ? { answerMs, answerStatus: answerStatus! } : {}),
    };
  } finally {
    await sampler.stop();
  }
}

export async function benchIsolation(o: { url: string; pid: number; heavy: string; log: (s: string) => void }): Promise<IsolationResult> {
  const { url, heavy } = o;
  const warm = await heavyOk(url, heavy);
  o.log(`  heavy query alone (warm-up): ${fmt(warm)} ms`);

  const idle = await probe(url, sleep(2000));
  const concurrent = 4;
  const heavyRuns = Array.from({ length: concurrent }, () => heavyOk(url, heavy));
  const all = Promise.all(heavyRuns);
  const loaded = await probe(url, all.catch(() => undefined));
  const heavyMs = await all;
  o.log(`  ${concurrent} heavy at once: ${heavyMs.map((m) => fmt(m, 0)).join(', ')} ms; /-/healthy p99 ${fmt(loaded.healthy.p99Ms)} ms`);

  const aloneMs: number[] = [];
  const pairMaxMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    aloneMs.push(await heavyOk(url, heavy));
    const pair = await Promise.all([heavyOk(url, heavy), heavyOk(url, heavy)]);
    pairMaxMs.push(Math.max(...pair));
  }
  const ratio = median(pairMaxMs) / median(aloneMs);
  o.log(`  alone ${aloneMs.map((m) => fmt(m, 0)).join(', ')} ms; two at once (max) ${pairMaxMs.map((m) => fmt(m, 0)).join(', ')} ms → ${fmt(ratio, 2)}`);

  const cancelAfter = Math.max(300, Math.min(1500, Math.round(median(aloneMs) / 2)));
  const cancel: CancelResult[] = [];
  for (const how of ['client abort', 'timeout parameter'] as const) {
    for (let i = 0; i < 2; i++) cancel.push(await cancellation(url, o.pid, heavy, how, cancelAfter));
  }
  o.log(`  cancellation: ${cancel.map((c) => `${c.how} ${fmt(c.dropMs, 0)} ms`).join(', ')}`);
  return { heavy, heavyAloneMs: median(aloneMs), idle, loaded: { ...loaded, concurrent, heavyMs }, parallel: { aloneMs, pairMaxMs, ratio }, cancel };
}

export function formatIsolation(r: IsolationResult): string {
  const row = (name: string, s: ProbeStats): string[] => [name, String(s.probes), String(s.failed), fmt(s.p50Ms), fmt(s.p99Ms), fmt(s.maxMs)];
  return [
    `heavy query: \`${r.heavy}\` (instant), alone ${fmt(r.heavyAloneMs, 0)} ms`,
    table(
      ['probe', 'probes', 'failed', 'p50 ms', 'p99 ms', 'max ms'],
      [
        row('/-/healthy, idle', r.idle.healthy),
        row('1+1 query, idle', r.idle.query),
        row(`/-/healthy, ${r.loaded.concurrent} heavy queries running`, r.loaded.healthy),
        row(`1+1 query, ${r.loaded.concurrent} heavy queries running`, r.loaded.query),
      ],
    ),
    `(the ${r.loaded.concurrent} heavy queries took ${r.loaded.heavyMs.map((m) => fmt(m, 0)).join(', ')} ms; target /-/healthy p99 < 50 ms)`,
    '',
    `one heavy query alone: ${r.parallel.aloneMs.map((m) => fmt(m, 0)).join(', ')} ms; two at once, the slower: ${r.parallel.pairMaxMs.map((m) => fmt(m, 0)).join(', ')} ms`,
    `max(two) ÷ one (medians): ${fmt(r.parallel.ratio, 2)} (target ≤ 1.3)`,
    '',
    table(
      ['cancellation', 'after ms', 'cores busy before', 'until CPU < 10 % of a core, ms', 'answer'],
      r.cancel.map((c) => [
        c.how,
        String(c.afterMs),
        fmt(c.coresBefore, 2),
        fmt(c.dropMs, 0),
        c.answerMs !== undefined ? `HTTP ${c.answerStatus} after ${fmt(c.answerMs, 0)} ms` : '—',
      ]),
    ),
  ].join('\n');
}
