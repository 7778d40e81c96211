/**
 * The query frontend's dashboard benchmark: a Grafana dashboard of 10 range panels (last 6 h at
 * step 15 s) refreshed 10 times, each refresh 30 s later than the one before, against
 *   (a) `promdedup query-frontend` (default flags) over a promdedup querier over the HA pair,
 *   (b) the promdedup querier alone,
 *   (c) one Prometheus (replica a),
 * each path from fresh processes (cold caches), warmed up first by 30 refreshes of the same dashboard at a 30 s step
 * (other cache keys: a long-running process' JIT, not a warm cache). The panels of one refresh are sent at once (as
 * Grafana does), refreshes one after another. Remote reads are counted from each replica's own
 * /metrics (`prometheus_http_{requests_total,response_size_bytes_sum}{handler="/api/v1/read"}`).
 * The frontend's answers are compared byte for byte with the querier's for the same requests.
 *
 * Then N = 1, 3, 8 identical alert queries at once straight to the querier (it coalesces
 * identical requests in flight): wall time and remote reads, median of a few rounds.
 *
 * Unlike the other sections the data is on the wall clock: the dashboard ends at "now" and the
 * frontend's max-freshness logic uses the wall clock. Samples every 15 s (+123 ms, so none sits
 * on a window boundary) from now − 8 h to now + 1 h, both replicas identical.
 */
import { Agent } from 'undici';
import { startFrontendProcess, type FrontendProcess } from '../support/frontend-process.js';
import { renderOpenMetrics, type OmFamily, type OmSeries } from '../support/openmetrics.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { prng } from '../support/prng.js';
import { cpuBetween, expectOk, fmt, median, postForm, prometheusPid, startQuerierProcess, table, threadCpu, type Querier } from './harness.js';

const HOUR = 3_600_000;
const STEP_MS = 15_000;
const RANGE_MS = 6 * HOUR;
const REFRESHES = 10;
const SHIFT_MS = 30_000;
const OFFSET_MS = 123;
/** BENCH_FRONTEND_SCALE: every family's series count times this (1: 368 series). */
const SCALE = Math.max(1, Math.floor(Number(process.env.BENCH_FRONTEND_SCALE ?? '1')) || 1);
/** The bench's own connections (harness' shared agent is closed by the sections before this one). */
let http = new Agent({ connections: 32, keepAliveTimeout: 60_000, headersTimeout: 600_000, bodyTimeout: 600_000 });

// ---- data ----------------------------------------------------------------------------------------

interface FamilySpec {
  readonly name: string;
  readonly kind: 'counter' | 'gauge' | 'buckets';
  readonly series: number;
  /** Extra label per series. */
  readonly extra?: (i: number) => Record<string, string>;
}

const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const CODES = ['200', '201', '204', '301', '400', '404', '500', '503'];
const MODES = ['user', 'system', 'iowait', 'idle'];

const FAMILIES: readonly FamilySpec[] = [
  { name: 'fe_http_requests', kind: 'counter', series: 48, extra: (i) => ({ code: CODES[i % CODES.length]! }) },
  { name: 'fe_http_errors', kind: 'counter', series: 30 },
  { name: 'fe_cpu_seconds', kind: 'counter', series: 40, extra: (i) => ({ mode: MODES[i % MODES.length]! }) },
  { name: 'fe_bytes_sent', kind: 'counter', series: 40 },
  { name: 'fe_memory_bytes', kind: 'gauge', series: 40 },
  { name: 'fe_queue_length', kind: 'gauge', series: 30 },
  { name: 'fe_temperature_celsius', kind: 'gauge', series: 30 },
  { name: 'fe_open_connections', kind: 'gauge', series: 40 },
  { name: 'fe_goroutines', kind: 'gauge', series: 20 },
  // Histogram buckets as a plain family (histogram_quantile only needs `le`): 5 instances × 10 buckets.
  { name: 'fe_latency_seconds_bucket', kind: 'buckets', series: 50 },
];

/** The instance number of series i: buckets and CPU modes share an instance, others have one each (labels stay unique). */
function instanceOf(spec: FamilySpec, i: number): number {
  if (spec.kind === 'buckets') return Math.floor(i / LE.length);
  if (spec.name === 'fe_cpu_seconds') return Math.floor(i / MODES.length);
  return i;
}

/** OpenMetrics text of every family over [from, to) at 15 s, and the series and sample counts. */
export function generate(from: number, to: number): { text: string; series: number; samples: number } {
  const times: number[] = [];
  for (let t = from; t < to; t += STEP_MS) times.push(t + OFFSET_MS);
  const families: OmFamily[] = [];
  let series = 0;
  FAMILIES.forEach((spec, f) => {
    const out: OmSeries[] = [];
    for (let i = 0; i < spec.series * SCALE; i++) {
      const rand = prng(f * 10_007 + i + 1);
      const labels: Record<string, string> = {
        __name__: spec.kind === 'counter' ? `${spec.name}_total` : spec.name,
        instance: `host-${instanceOf(spec, i)}`,
        job: `job-${instanceOf(spec, i) % 5}`,
        ...(spec.extra?.(i) ?? {}),
      };
      if (spec.kind === 'buckets') labels.le = LE[i % LE.length]!;
      const samples: [number, number][] = [];
      let v = Math.floor(rand() * 1000);
      const le = i % LE.length;
      for (const t of times) {
        if (spec.kind === 'counter') v += Math.floor(rand() * (1 + (i % 10) * 5));
        else if (spec.kind === 'buckets') v += Math.floor(rand() * 3 * (le + 1)); // cumulative: larger le grows faster
        else v = Math.max(0, v + Math.floor(rand() * 21) - 10);
        samples.push([t, v]);
      }
      out.push({ labels, samples });
    }
    series += out.length;
    families.push({ name: spec.name, type: spec.kind === 'counter' ? 'counter' : spec.kind === 'gauge' ? 'gauge' : 'unknown', series: out });
  });
  return { text: renderOpenMetrics(families), series, samples: series * times.length };
}

// ---- the dashboard -------------------------------------------------------------------------------

export const PANELS: readonly { readonly title: string; readonly expr: string }[] = [
  { title: 'requests by job', expr: 'sum by (job) (rate(fe_http_requests_total[5m]))' },
  { title: 'requests by code', expr: 'sum by (code) (rate(fe_http_requests_total[5m]))' },
  { title: 'error ratio by job', expr: 'sum by (job) (rate(fe_http_errors_total[5m])) / sum by (job) (rate(fe_http_requests_total[5m]))' },
  { title: 'busy CPU by instance', expr: 'sum by (instance) (rate(fe_cpu_seconds_total{mode!="idle"}[5m]))' },
  { title: 'memory (every series)', expr: 'fe_memory_bytes' },
  { title: 'queue length, avg by job', expr: 'avg by (job) (fe_queue_length)' },
  { title: 'temperature, max by job', expr: 'max by (job) (fe_temperature_celsius)' },
  { title: 'connections by job', expr: 'sum by (job) (fe_open_connections)' },
  { title: 'p99 latency', expr: 'histogram_quantile(0.99, sum by (le) (rate(fe_latency_seconds_bucket[5m])))' },
  { title: 'bytes sent, top 5', expr: 'topk(5, rate(fe_bytes_sent_total[5m]))' },
];

/** The alert query of the coalescing measurement: a subquery, so one evaluation takes tens of ms. */
export const ALERT = 'max_over_time(sum by (job, code) (rate(fe_http_requests_total[5m]))[6h:5s]) > 0';

// ---- metrics -------------------------------------------------------------------------------------

/** Sum of the samples of `name` whose label set contains `labelPart` (text exposition). */
function metricSum(text: string, name: string, labelPart = ''): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labelPart !== '' && !rest.includes(labelPart)) continue;
    n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  return res.text();
}

interface Reads {
  readonly requests: number;
  readonly bytes: number;
}

async function remoteReads(replicas: readonly PrometheusServer[]): Promise<Reads> {
  let requests = 0;
  let bytes = 0;
  for (const r of replicas) {
    const text = await metricsText(r.url);
    requests += metricSum(text, 'prometheus_http_requests_total', 'handler="/api/v1/read"');
    bytes += metricSum(text, 'prometheus_http_response_size_bytes_sum', 'handler="/api/v1/read"');
  }
  return { requests, bytes };
}

const minus = (a: Reads, b: Reads): Reads => ({ requests: a.requests - b.requests, bytes: a.bytes - b.bytes });

/** The frontend's own counters (promdedup_frontend_*, thanos_frontend_split_queries_total). */
async function frontendCounters(url: string): Promise<Record<string, number>> {
  const text = await metricsText(url);
  const out: Record<string, number> = {};
  for (const r of ['hit', 'partial', 'miss', 'uncacheable']) out[r] = metricSum(text, 'promdedup_frontend_cache_requests_total', `result="${r}"`);
  out.downstream = metricSum(text, 'promdedup_frontend_downstream_requests_total');
  out.split = metricSum(text, 'thanos_frontend_split_queries_total');
  out.coalesced = metricSum(text, 'promdedup_frontend_coalesced_total');
  return out;
}

const diff = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => Object.fromEntries(Object.keys(a).map((k) => [k, a[k]! - (b[k] ?? 0)]));

// ---- the measurement -----------------------------------------------------------------------------

export interface RefreshResult {
  readonly ms: number;
  readonly reads: Reads;
  /** Bytes of the 10 answers. */
  readonly answerBytes: number;
  /** The frontend's counters during this refresh (path a only). */
  readonly frontend?: Record<string, number>;
}

export interface PathResult {
  readonly name: string;
  readonly refreshes: readonly RefreshResult[];
  readonly coldMs: number;
  readonly warmMedianMs: number;
  readonly warmMeanMs: number;
  readonly totalMs: number;
  readonly reads: Reads;
  /** CPU ms per warm refresh by process (its threads' schedstat over the 9 warm refreshes; "client" is the bench itself). */
  readonly warmCpuMs: Readonly<Record<string, number>>;
}

/** A process whose CPU time a path's refreshes are charged with. */
interface CpuCharged {
  readonly name: string;
  /** -1: this process (the bench, as the dashboard's client). */
  readonly pid: number;
}

const CLIENT: CpuCharged = { name: 'client', pid: -1 };

type CpuSample = number | Map<string, number>;

function cpuNow(processes: readonly CpuCharged[]): CpuSample[] {
  return processes.map((x) => {
    if (x.pid === -1) {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
    try {
      return threadCpu(x.pid);
    } catch {
      return NaN; // not Linux, or gone
    }
  });
}

/** CPU ms per process between two cpuNow() samples. */
function cpuSpent(a: readonly CpuSample[], b: readonly CpuSample[]): number[] {
  return b.map((v, i) => {
    const u = a[i]!;
    return typeof v === 'number' || typeof u === 'number' ? Number(v) - Number(u) : cpuBetween(u, v);
  });
}

export interface CoalesceRow {
  readonly n: number;
  readonly ms: number;
  /** The querier's CPU time (all its threads), median ms per burst. */
  readonly cpuMs: number;
  readonly cpuRatio: number;
  readonly reads: Reads;
  readonly msRatio: number;
  readonly requestsRatio: number;
  readonly bytesRatio: number;
  readonly coalesced: number;
}

export interface FrontendBenchResult {
  readonly series: number;
  readonly samplesPerReplica: number;
  readonly importMs: number;
  readonly dataFrom: string;
  readonly dataTo: string;
  readonly t0: string;
  readonly paths: readonly PathResult[];
  /** Refreshes 1, 2, 1, 2 again through the frontend after the ten (wholly cached). */
  readonly replays: readonly Replay[];
  /** Median time of the 10 panels over their newest 30 s only, straight to the querier. */
  readonly gapMs: number;
  readonly warmOverCold: number;
  readonly warmOverPrometheus: number;
  readonly compared: number;
  readonly mismatches: readonly string[];
  /** The querier's answers compared with Prometheus a's (informational). */
  readonly promMismatches: number;
  readonly promMismatchPanels: readonly string[];
  /** The same newest-30-s panels straight to Prometheus a. */
  readonly gapPromMs: number;
  /** Medians of the steady-state refreshes (after the ten) through the frontend and to one Prometheus. */
  readonly steadyFrontendMs: number;
  readonly steadyPrometheusMs: number;
  /** N = 1 and 8 of a query without remote reads (`vector(1)`): the per-request cost alone, median ms. */
  readonly trivial: { readonly one: number; readonly eight: number };
  readonly alertSingleMs: number;
  readonly coalesceRounds: number;
  readonly coalesce: readonly CoalesceRow[];
}

type Bodies = string[][];

interface Replay {
  readonly ms: number;
  readonly reads: Reads;
  readonly frontend: Record<string, number>;
  /** Byte-identical to the first answers of the same refresh. */
  readonly same: boolean;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One refresh: every panel at once; returns the wall time and the bodies. */
function refresh(url: string, endMs: number): Promise<{ ms: number; bodies: string[]; bytes: number }> {
  return refreshRange(url, endMs - RANGE_MS, endMs);
}

async function refreshRange(url: string, start: number, endMs: number, stepMs = STEP_MS): Promise<{ ms: number; bodies: string[]; bytes: number }> {
  const t = performance.now();
  const answers = await Promise.all(
    PANELS.map((p) =>
      postForm(url, '/api/v1/query_range', { query: p.expr, start: String(start / 1000), end: String(endMs / 1000), step: String(stepMs / 1000) }, { keepBody: true, dispatcher: http }).then((r) =>
        expectOk(r, `${p.title} at ${url}`),
      ),
    ),
  );
  const ms = performance.now() - t;
  return { ms, bodies: answers.map((a) => a.text ?? ''), bytes: answers.reduce((s, a) => s + a.bytes, 0) };
}

async function runDashboard(
  name: string,
  url: string,
  t0: number,
  replicas: readonly PrometheusServer[],
  frontendUrl: string | null,
  charged: readonly CpuCharged[],
  log: (s: string) => void,
): Promise<{ path: PathResult; bodies: Bodies }> {
  const refreshes: RefreshResult[] = [];
  const bodies: Bodies = [];
  const warmCpu = charged.map(() => 0);
  for (let k = 0; k < REFRESHES; k++) {
    const r0 = await remoteReads(replicas);
    const f0 = frontendUrl !== null ? await frontendCounters(frontendUrl) : null;
    const c0 = cpuNow(charged);
    const r = await refresh(url, t0 + SHIFT_MS * k);
    // Before the counters are read: their /metrics requests are not the dashboard's.
    const spent = cpuSpent(c0, cpuNow(charged));
    if (k > 0) spent.forEach((v, i) => (warmCpu[i]! += v));
    const reads = minus(await remoteReads(replicas), r0);
    const fe = f0 !== null ? diff(await frontendCounters(frontendUrl!), f0) : undefined;
    refreshes.push({ ms: r.ms, reads, answerBytes: r.bytes, ...(fe !== undefined ? { frontend: fe } : {}) });
    bodies.push(r.bodies);
  }
  const warm = refreshes.slice(1).map((r) => r.ms);
  const path: PathResult = {
    name,
    refreshes,
    coldMs: refreshes[0]!.ms,
    warmMedianMs: median(warm),
    warmMeanMs: warm.reduce((a, b) => a + b, 0) / warm.length,
    totalMs: refreshes.reduce((s, r) => s + r.ms, 0),
    reads: refreshes.reduce((s, r) => ({ requests: s.requests + r.reads.requests, bytes: s.bytes + r.reads.bytes }), { requests: 0, bytes: 0 }),
    warmCpuMs: Object.fromEntries(charged.map((x, i) => [x.name, warmCpu[i]! / (REFRESHES - 1)])),
  };
  log(`  ${name}: cold ${fmt(path.coldMs, 0)} ms, warm median ${fmt(path.warmMedianMs, 0)} ms, total ${fmt(path.totalMs, 0)} ms, ${path.reads.requests} remote reads, ${fmt(path.reads.bytes / 2 ** 20, 2)} MiB`);
  return { path, bodies };
}

/**
 * A long-running server's state before the measured run: the same dashboard loop at a 30 s step
 * (different cache keys, so nothing measured is cached), so that a fresh process' JIT does not
 * count as the cost of a cold cache. Done the same way for every path.
 */
async function warmUpProcess(url: string): Promise<void> {
  for (let k = 0; k < WARM_UP_REFRESHES; k++) await refreshRange(url, WARM_T0 + SHIFT_MS * k - RANGE_MS, WARM_T0 + SHIFT_MS * k, 2 * STEP_MS);
}
/**
 * Refreshes of the warm-up loop. Node's JIT takes 20-30 of them to settle (a fresh frontend's
 * partial refreshes at this size: 64, 70, 50, 48, 44 ms … 31-43 after 10, 29-37 after 20).
 */
const WARM_UP_REFRESHES = 30;
/**
 * Refreshes after the ten, continuing the loop, through the frontend and to one Prometheus: the
 * steady state of a dashboard left open (informational; the targets are on the ten).
 */
const STEADY_REFRESHES = 20;

/** Median time of refreshes REFRESHES … REFRESHES + STEADY_REFRESHES - 1 of the loop from t0. */
async function steadyState(url: string, t0: number): Promise<number> {
  const ms: number[] = [];
  for (let k = REFRESHES; k < REFRESHES + STEADY_REFRESHES; k++) ms.push((await refresh(url, t0 + SHIFT_MS * k)).ms);
  return median(ms);
}
let WARM_T0 = 0;

/**
 * The bench's HA pair (cluster "bench", replicas a and b) with `openMetrics` imported, pushed onto
 * `into` as they come up (so the caller stops whichever started, even when the other failed).
 */
export async function startBenchPair(openMetrics: string, into: PrometheusServer[]): Promise<void> {
  const started = await Promise.allSettled(
    (['a', 'b'] as const).map((replica) =>
      startPrometheus({
        externalLabels: { cluster: 'bench', replica },
        openMetrics,
        extraArgs: ['--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h'],
        readyTimeoutMs: 120_000,
      }),
    ),
  );
  for (const s of started) if (s.status === 'fulfilled') into.push(s.value);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/** N identical alert queries at once; wall time until the last answer, remote reads, coalesced count. */
async function alertBurst(q: Querier, replicas: readonly PrometheusServer[], n: number, timeS: number): Promise<{ ms: number; cpuMs: number; reads: Reads; coalesced: number; bodies: Set<string> }> {
  const r0 = await remoteReads(replicas);
  const c0 = metricSum(await metricsText(q.url), 'promdedup_query_coalesced_total');
  const cpu0 = threadCpu(q.pid);
  const t = performance.now();
  const answers = await Promise.all(Array.from({ length: n }, () => postForm(q.url, '/api/v1/query', { query: ALERT, time: String(timeS) }, { keepBody: true, dispatcher: http }).then((r) => expectOk(r, 'alert query'))));
  const ms = performance.now() - t;
  const cpuMs = cpuBetween(cpu0, threadCpu(q.pid));
  const reads = minus(await remoteReads(replicas), r0);
  const coalesced = metricSum(await metricsText(q.url), 'promdedup_query_coalesced_total') - c0;
  return { ms, cpuMs, reads, coalesced, bodies: new Set(answers.map((a) => a.text ?? '')) };
}

export async function benchFrontend(log: (s: string) => void, quick: boolean): Promise<FrontendBenchResult> {
  http = new Agent({ connections: 32, keepAliveTimeout: 60_000, headersTimeout: 600_000, bodyTimeout: 600_000 });
  const now = Date.now();
  const dataFrom = Math.floor((now - 8 * HOUR) / STEP_MS) * STEP_MS;
  const dataTo = Math.floor((now + HOUR) / STEP_MS) * STEP_MS;
  // Grafana floors start and end to the step; far enough back that every refresh, the steady-state
  // ones too, ends more than the max freshness (1m) in the past.
  const t0 = Math.floor((now - (REFRESHES + STEADY_REFRESHES) * SHIFT_MS - 2 * 60_000) / STEP_MS) * STEP_MS;
  // The warm-up ends where the measured refreshes begin: everything it asks is in the past, so cacheable.
  WARM_T0 = Math.floor((t0 - WARM_UP_REFRESHES * SHIFT_MS) / (2 * STEP_MS)) * 2 * STEP_MS;
  const gen = generate(dataFrom, dataTo);
  log(`  data: ${gen.series} series × ${new Date(dataFrom).toISOString()} – ${new Date(dataTo).toISOString()} at 15 s (${(gen.samples / 1e6).toFixed(2)} M samples per replica, ${(gen.text.length / 2 ** 20).toFixed(0)} MiB of OpenMetrics)`);

  const replicas: PrometheusServer[] = [];
  const processes: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  };
  try {
    const importStarted = performance.now();
    await startBenchPair(gen.text, replicas);
    const importMs = performance.now() - importStarted;
    log(`  replicas up after ${(importMs / 1000).toFixed(1)} s: ${replicas.map((r) => r.url).join(', ')}`);
    const endpoints = replicas.map((r) => r.url);
    const direct = replicas[0]!;

    // Page cache and Prometheus' own warm-up: one refresh through a throwaway querier (both replicas), not measured.
    {
      const q = await startQuerierProcess({ endpoints });
      processes.push(q);
      await refresh(q.url, t0);
      await refresh(direct.url, t0);
      await stopAll();
    }

    // (a) the frontend over a fresh querier.
    const qa = await startQuerierProcess({ endpoints });
    processes.push(qa);
    const fe: FrontendProcess = await startFrontendProcess(qa.url, ['--log.level=warn']);
    processes.push(fe);
    await warmUpProcess(fe.url);
    const promPids = replicas.map((r, i) => ({ name: `Prometheus ${'ab'[i]}`, pid: prometheusPid(r.port) }));
    const a = await runDashboard('query-frontend → querier', fe.url, t0, replicas, fe.url, [{ name: 'frontend', pid: fe.child.pid! }, { name: 'querier', pid: qa.pid }, ...promPids, CLIENT], log);
    log(`  frontend counters per refresh: ${a.path.refreshes.map((r, k) => `#${k + 1} ${JSON.stringify(r.frontend)}`).join('; ')}`);
    // Diagnostics: refresh 1 and 2 again (now wholly cached: the frontend's own cost), and the querier alone.
    const replays: Replay[] = [];
    for (const k of [0, 1, 0, 1]) {
      const f0 = await frontendCounters(fe.url);
      const r0 = await remoteReads(replicas);
      const x = await refresh(fe.url, t0 + SHIFT_MS * k);
      replays.push({ ms: x.ms, reads: minus(await remoteReads(replicas), r0), frontend: diff(await frontendCounters(fe.url), f0), same: x.bodies.every((body, p) => body === a.bodies[k]![p]) });
    }
    log(`  replays of refreshes 1, 2 (cached): ${replays.map((r) => `${fmt(r.ms, 0)} ms ${JSON.stringify(r.frontend)}`).join('; ')}`);
    // What a warm refresh asks the querier for, roughly: each panel's newest 30 s.
    const gaps: number[] = [];
    for (let k = 1; k < 5; k++) gaps.push((await refreshRange(qa.url, t0 + SHIFT_MS * k - SHIFT_MS + STEP_MS, t0 + SHIFT_MS * k)).ms);
    const gapsProm: number[] = [];
    for (let k = 1; k < 5; k++) gapsProm.push((await refreshRange(direct.url, t0 + SHIFT_MS * k - SHIFT_MS + STEP_MS, t0 + SHIFT_MS * k)).ms);
    log(`  the panels' newest 30 s (2 points) straight to the querier: ${gaps.map((g) => fmt(g, 0)).join(', ')} ms; to Prometheus a: ${gapsProm.map((g) => fmt(g, 0)).join(', ')} ms`);
    const steadyFrontendMs = await steadyState(fe.url, t0);
    log(`  steady state through the frontend (refreshes ${REFRESHES + 1}–${REFRESHES + STEADY_REFRESHES}): median ${fmt(steadyFrontendMs, 0)} ms`);
    await stopAll();

    // (b) the querier alone, fresh.
    const qb = await startQuerierProcess({ endpoints });
    processes.push(qb);
    await warmUpProcess(qb.url);
    const b = await runDashboard('promdedup querier', qb.url, t0, replicas, null, [{ name: 'querier', pid: qb.pid }, ...promPids, CLIENT], log);
    await stopAll();

    // (c) one Prometheus.
    await warmUpProcess(direct.url);
    const c = await runDashboard('one Prometheus (a)', direct.url, t0, replicas, null, [promPids[0]!, CLIENT], log);
    const steadyPrometheusMs = await steadyState(direct.url, t0);

    const mismatches: string[] = [];
    let compared = 0;
    let promMismatches = 0;
    const promMismatchPanels = new Set<string>();
    for (let k = 0; k < REFRESHES; k++) {
      for (let p = 0; p < PANELS.length; p++) {
        compared++;
        const x = a.bodies[k]![p]!;
        const y = b.bodies[k]![p]!;
        if (x !== y) mismatches.push(`refresh ${k + 1}, ${PANELS[p]!.title}: ${x.length} vs ${y.length} bytes${x.length === y.length ? '' : ''}`);
        if (y !== c.bodies[k]![p]!) {
          promMismatches++;
          promMismatchPanels.add(PANELS[p]!.title);
        }
      }
    }
    if (mismatches.length > 0) log(`  frontend ≠ querier: ${mismatches.slice(0, 5).join('; ')}${mismatches.length > 5 ? ` … (${mismatches.length})` : ''}`);

    // N identical alert queries at once, straight to a fresh querier.
    // Wall and CPU times on 2 shared cores vary by ±30 % from one burst to the next: many rounds, interleaved.
    const rounds = quick ? 3 : 30;
    const q = await startQuerierProcess({ endpoints });
    processes.push(q);
    const timeS = t0 / 1000;
    await alertBurst(q, replicas, 1, timeS); // warm-up
    const single: number[] = [];
    const perN = new Map<number, { ms: number[]; cpuMs: number[]; requests: number[]; bytes: number[]; coalesced: number[] }>();
    const ns = [1, 3, 8];
    for (const n of ns) perN.set(n, { ms: [], cpuMs: [], requests: [], bytes: [], coalesced: [] });
    for (let r = 0; r < rounds; r++) {
      // Each N in every position in turn: a garbage collection due every few evaluations would
      // otherwise always fall on the same N.
      for (const n of [...ns.slice(r % ns.length), ...ns.slice(0, r % ns.length)]) {
        const x = await alertBurst(q, replicas, n, timeS);
        if (x.bodies.size !== 1) throw new Error(`alert query: ${x.bodies.size} different answers to ${n} identical requests`);
        const e = perN.get(n)!;
        e.ms.push(x.ms);
        e.cpuMs.push(x.cpuMs);
        e.requests.push(x.reads.requests);
        e.bytes.push(x.reads.bytes);
        e.coalesced.push(x.coalesced);
        if (n === 1) single.push(x.ms);
      }
    }
    // Per-request cost without any evaluation worth the name or remote read: vector(1), N = 1 and 8.
    const trivialOne: number[] = [];
    const trivialEight: number[] = [];
    for (let r = 0; r < rounds + 2; r++) {
      for (const [n, into] of [[1, trivialOne], [8, trivialEight]] as const) {
        const t = performance.now();
        await Promise.all(Array.from({ length: n }, () => postForm(q.url, '/api/v1/query', { query: 'vector(1)', time: String(timeS) }, { dispatcher: http }).then((x) => expectOk(x, 'vector(1)'))));
        into.push(performance.now() - t);
      }
    }
    const trivial = { one: median(trivialOne.slice(2)), eight: median(trivialEight.slice(2)) };
    log(`  vector(1): N=1 ${fmt(trivial.one, 1)} ms, N=8 ${fmt(trivial.eight, 1)} ms`);
    await stopAll();
    const one = perN.get(1)!;
    const coalesce: CoalesceRow[] = ns.map((n) => {
      const e = perN.get(n)!;
      return {
        n,
        // Means: a burst's CPU is bimodal (whether a garbage collection fell in it), and each N took every position in turn.
        ms: mean(e.ms),
        cpuMs: mean(e.cpuMs),
        cpuRatio: mean(e.cpuMs) / mean(one.cpuMs),
        reads: { requests: median(e.requests), bytes: median(e.bytes) },
        msRatio: mean(e.ms) / mean(one.ms),
        requestsRatio: median(e.requests) / median(one.requests),
        bytesRatio: median(e.bytes) / median(one.bytes),
        coalesced: median(e.coalesced),
      };
    });
    log(`  alert bursts: ${coalesce.map((r) => `N=${r.n} ${fmt(r.ms, 1)} ms, ${r.reads.requests} reads (${fmt(r.msRatio, 2)}×)`).join('; ')}`);

    return {
      series: gen.series,
      samplesPerReplica: gen.samples,
      importMs,
      dataFrom: new Date(dataFrom).toISOString(),
      dataTo: new Date(dataTo).toISOString(),
      t0: new Date(t0).toISOString(),
      paths: [a.path, b.path, c.path],
      replays,
      gapMs: median(gaps),
      warmOverCold: a.path.warmMedianMs / a.path.coldMs,
      warmOverPrometheus: a.path.warmMedianMs / c.path.warmMedianMs,
      compared,
      mismatches,
      promMismatches,
      promMismatchPanels: [...promMismatchPanels],
      gapPromMs: median(gapsProm),
      steadyFrontendMs,
      steadyPrometheusMs,
      trivial,
      alertSingleMs: median(single),
      coalesceRounds: rounds,
      coalesce,
    };
  } finally {
    await stopAll();
    await Promise.all(replicas.map((r) => r.stop()));
    await http.close();
  }
}

export function formatFrontend(r: FrontendBenchResult): string {
  const [fe, q, p] = r.paths as [PathResult, PathResult, PathResult];
  const mib = (b: number): string => fmt(b / 2 ** 20, 2);
  const lines = [
    `Data: ${r.series} series per replica (10 families, counters and gauges) at 15 s from ${r.dataFrom} to ${r.dataTo}, ` +
      `${(r.samplesPerReplica / 1e6).toFixed(2)} M samples per replica, both identical; imported and started in ${fmt(r.importMs / 1000, 1)} s. ` +
      `Dashboard: ${PANELS.length} panels × 6 h at step 15 s, refresh k ends at ${r.t0} + 30 s·k (k = 0…9).`,
    '',
    table(
      ['path', 'cold refresh ms', 'warm median ms', 'warm mean ms', 'total ms (10)', 'remote reads', 'remote-read MiB'],
      r.paths.map((x) => [x.name, fmt(x.coldMs, 0), fmt(x.warmMedianMs, 0), fmt(x.warmMeanMs, 0), fmt(x.totalMs, 0), String(x.reads.requests), mib(x.reads.bytes)]),
    ),
    '',
    'Per refresh (ms; remote reads / MiB):',
    table(
      ['refresh', ...r.paths.map((x) => x.name)],
      fe.refreshes.map((_, k) => [
        String(k + 1),
        ...r.paths.map((x) => {
          const y = x.refreshes[k]!;
          return `${fmt(y.ms, 0)} (${y.reads.requests} / ${mib(y.reads.bytes)})`;
        }),
      ]),
    ),
    '',
    `Frontend cache per warm refresh (refresh 2): ${JSON.stringify(fe.refreshes[1]?.frontend ?? {})}; cold: ${JSON.stringify(fe.refreshes[0]?.frontend ?? {})}`,
    '',
    `Diagnostics: refreshes 1, 2, 1, 2 again through the frontend (wholly cached): ${r.replays.map((x) => `${fmt(x.ms, 0)} ms (${x.reads.requests} remote reads, ${x.frontend.downstream} downstream, ${x.same ? 'same answers' : '**answers differ**'})`).join(', ')}; ` +
      `the 10 panels over their newest 30 s only (2 points each), straight to the querier: ${fmt(r.gapMs, 0)} ms, to Prometheus a: ${fmt(r.gapPromMs, 0)} ms (medians of 4)`,
    '',
    'CPU ms per warm refresh, by process (all its threads, /proc schedstat, over refreshes 2–10; "client" is the bench reading the answers):',
    table(
      ['path', 'frontend', 'querier', 'Prometheus a', 'Prometheus b', 'client', 'all'],
      r.paths.map((x) => {
        const c = x.warmCpuMs;
        const cell = (k: string): string => (c[k] === undefined ? '—' : fmt(c[k], 1));
        return [x.name, cell('frontend'), cell('querier'), cell('Prometheus a'), cell('Prometheus b'), cell('client'), fmt(Object.values(c).reduce((s, v) => s + v, 0), 1)];
      }),
    ),
    '',
    `steady state, refreshes ${REFRESHES + 1}–${REFRESHES + STEADY_REFRESHES} of the same loop (informational): frontend ${fmt(r.steadyFrontendMs, 0)} ms, one Prometheus ${fmt(r.steadyPrometheusMs, 0)} ms, ratio ${fmt(r.steadyFrontendMs / r.steadyPrometheusMs, 3)}`,
    `warm ÷ cold through the frontend: **${fmt(r.warmOverCold, 3)}** (target ≤ 0.2); frontend warm ÷ one Prometheus refresh (its warm median): **${fmt(r.warmOverPrometheus, 3)}** (target ≤ 0.3)`,
    `totals: frontend ${fmt(fe.totalMs, 0)} ms, querier ${fmt(q.totalMs, 0)} ms (${fmt(fe.totalMs / q.totalMs, 2)}×), one Prometheus ${fmt(p.totalMs, 0)} ms (${fmt(fe.totalMs / p.totalMs, 2)}×); ` +
      `remote-read bytes frontend ÷ querier ${fmt(fe.reads.bytes / q.reads.bytes, 3)}`,
    `answers: ${r.compared} frontend answers compared with the querier's: ${r.mismatches.length === 0 ? 'all byte-identical' : `**${r.mismatches.length} differ** (${r.mismatches.slice(0, 3).join('; ')})`}; ` +
      `querier vs Prometheus a (informational): ${r.promMismatches} differ${r.promMismatchPanels.length > 0 ? ` (${r.promMismatchPanels.join(', ')})` : ''}`,
    '',
    `N identical alert queries at once to the querier (\`${ALERT}\`, one time), mean of ${r.coalesceRounds} rounds, each N in every position in turn:`,
    table(
      ['N', 'wall ms', '÷ N=1', 'querier CPU ms', '÷ N=1', 'remote reads', '÷ N=1', 'remote-read KiB', '÷ N=1', 'coalesced'],
      r.coalesce.map((c) => [String(c.n), fmt(c.ms, 1), fmt(c.msRatio, 2), fmt(c.cpuMs, 1), fmt(c.cpuRatio, 2), String(c.reads.requests), fmt(c.requestsRatio, 2), fmt(c.reads.bytes / 1024, 1), fmt(c.bytesRatio, 2), String(c.coalesced)]),
    ),
    `per-request cost alone (\`vector(1)\`, no remote read, same querier): N=1 ${fmt(r.trivial.one, 1)} ms, N=8 ${fmt(r.trivial.eight, 1)} ms at once`,
  ];
  return lines.join('\n');
}
