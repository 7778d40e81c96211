/**
 * Shared machinery of the benchmarks: the HA pair and promdedup as child processes, HTTP timing,
 * /proc sampling (RSS, CPU) and small statistics helpers.
 */
import { appendFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { sleep, terminate, waitReady } from '../support/child-process.js';
import { freePort, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { MALLOC_TUNING, querierEntryPoint } from '../support/querier-process.js';
import type { BenchData } from './data.js';

// ---- statistics --------------------------------------------------------------------------------

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

// ---- processes ---------------------------------------------------------------------------------

/** Prometheus flags of every bench server: no compaction of the imported 2 h blocks mid-run. */
const PROMETHEUS_ARGS = ['--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h'];

export interface Replica {
  readonly name: 'a' | 'b';
  readonly server: PrometheusServer;
  readonly url: string;
  readonly pid: number;
}

/** The pid of the prometheus process listening on `port` (found by its command line). */
export function prometheusPid(port: number): number {
  const flag = `--web.listen-address=127.0.0.1:${port}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.includes(flag)) return Number(entry);
    } catch {
      // gone, or not ours
    }
  }
  return -1;
}

export async function startReplicas(data: BenchData): Promise<Replica[]> {
  const out: Replica[] = [];
  try {
    for (const [name, dir] of [['a', data.dirA], ['b', data.dirB]] as const) {
      const server = await startPrometheus({
        externalLabels: { cluster: 'bench', replica: name },
        dataDir: dir,
        extraArgs: PROMETHEUS_ARGS,
        readyTimeoutMs: 120_000,
      });
      out.push({ name, server, url: server.url, pid: prometheusPid(server.port) });
    }
    return out;
  } catch (err) {
    await Promise.all(out.map((r) => r.server.stop()));
    throw err;
  }
}

export interface Querier {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

export interface QuerierLaunch {
  readonly endpoints: readonly string[];
  readonly extraArgs?: readonly string[];
  /** `--cpu-prof-dir`: V8 CPU profiles of the main thread and every worker, written at exit. */
  readonly cpuProfileDir?: string;
  /** Another build's dist/src/cmd/main.js (e.g. a baseline commit), default this checkout's. */
  readonly entry?: string;
}

const liveQueriers = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of liveQueriers) c.kill('SIGKILL');
});
// On SIGINT/SIGTERM exit normally, so that every exit hook runs: these queriers, the Prometheus
// servers (test/support/prometheus.ts only adds its own signal handler when there is none) and the
// bench's temporary data (data.ts).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the bench's processes`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

export async function startQuerierProcess(opts: QuerierLaunch): Promise<Querier> {
  const port = await freePort();
  const nodeFlags = opts.cpuProfileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      opts.entry ?? querierEntryPoint(),
      'query',
      `--http-address=127.0.0.1:${port}`,
      '--grpc-address=127.0.0.1:0',
      '--query.replica-label=replica',
      '--log.level=warn',
      ...opts.endpoints.map((e) => `--endpoint=${e}`),
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...MALLOC_TUNING, ...process.env } },
  );
  liveQueriers.add(child);
  child.on('exit', () => liveQueriers.delete(child));
  let out = '';
  const logFile = process.env.BENCH_QUERIER_LOG;
  const keep = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-16_384);
    if (logFile !== undefined) appendFileSync(logFile, d);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let spawnError: Error | null = null;
  child.on('error', (e) => (spawnError = e));
  const url = `http://127.0.0.1:${port}`;
  await waitReady({ name: 'promdedup', url, child, timeoutMs: 60_000, output: () => out, spawnError: () => spawnError });
  let stopping: Promise<void> | null = null;
  return {
    url,
    pid: child.pid ?? -1,
    child,
    logs: () => out,
    // SIGTERM: promdedup shuts down and exits normally, so --cpu-prof profiles are written.
    stop: () => (stopping ??= terminate(child)),
  };
}

// ---- HTTP --------------------------------------------------------------------------------------

/** Keep-alive connections for the bench's own requests (one per concurrent client at most). */
export const agent = new Agent({ connections: 64, keepAliveTimeout: 60_000, pipelining: 1, headersTimeout: 600_000, bodyTimeout: 600_000 });

export interface HttpResult {
  readonly status: number;
  readonly ms: number;
  readonly bytes: number;
  /** The body, when asked for. */
  readonly text?: string;
}

export interface HttpOptions {
  readonly gzip?: boolean;
  readonly keepBody?: boolean;
  readonly signal?: AbortSignal;
  readonly dispatcher?: Dispatcher;
}

/**
 * POSTs a form (as Grafana does) and reads the whole body as received (a gzip body is not
 * inflated: a client would inflate either server's answer alike). `ms` is until the last byte.
 */
export async function postForm(base: string, path: string, params: Record<string, string>, opts: HttpOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (opts.gzip) headers['accept-encoding'] = 'gzip';
  const started = performance.now();
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params).toString(),
    dispatcher: opts.dispatcher ?? agent,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let bytes = 0;
  const parts: Buffer[] = [];
  for await (const piece of res.body) {
    bytes += (piece as Buffer).length;
    if (opts.keepBody || res.statusCode !== 200) parts.push(piece as Buffer);
  }
  const ms = performance.now() - started;
  const text = parts.length > 0 ? Buffer.concat(parts).toString('utf8') : undefined;
  return { status: res.statusCode, ms, bytes, ...(text !== undefined ? { text } : {}) };
}

/** GET, body discarded; latency until the last byte. */
export async function get(base: string, path: string, dispatcher: Dispatcher = agent): Promise<HttpResult> {
  const started = performance.now();
  const res = await request(`${base}${path}`, { dispatcher });
  let bytes = 0;
  for await (const piece of res.body) bytes += (piece as Buffer).length;
  return { status: res.statusCode, ms: performance.now() - started, bytes };
}

export class HttpError extends Error {}

export function expectOk(r: HttpResult, what: string): HttpResult {
  if (r.status !== 200) throw new HttpError(`${what}: HTTP ${r.status}: ${(r.text ?? '').slice(0, 300)}`);
  return r;
}

// ---- /proc -------------------------------------------------------------------------------------

/** VmRSS and VmHWM of a process in bytes. */
export function memStatus(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (writes 5 to clear_refs; our own child, so allowed). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU time per thread of a process, ms: /proc/<pid>/task/<tid>/schedstat (ns resolution, unlike
 * utime+stime's 10 ms ticks). A thread's time leaves the sum when it exits, so usage over an
 * interval is taken from threads present at both ends (cpuBetween).
 */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const dir = `/proc/${pid}/task`;
  for (const tid of readdirSync(dir)) {
    try {
      out.set(tid, Number(readFileSync(join(dir, tid, 'schedstat'), 'utf8').split(' ')[0]) / 1e6);
    } catch {
      // thread exited meanwhile
    }
  }
  return out;
}

/** CPU ms used between two threadCpu() samples. */
export function cpuBetween(a: Map<string, number>, b: Map<string, number>): number {
  let ms = 0;
  for (const [tid, v] of b) {
    const before = a.get(tid);
    ms += before === undefined ? v : Math.max(0, v - before);
  }
  return ms;
}

/** Process CPU time (utime+stime, includes exited threads), ms; 10 ms resolution. */
export function processCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10;
}

export interface Sampler<T> {
  stop(): Promise<{ t: number; v: T }[]>;
}

/** Calls `f` every `everyMs` (t relative to performance.now()) until stopped. */
export function sample<T>(everyMs: number, f: () => T): Sampler<T> {
  const out: { t: number; v: T }[] = [];
  let running = true;
  const loop = (async () => {
    let next = performance.now();
    while (running) {
      try {
        out.push({ t: performance.now(), v: f() });
      } catch {
        // the process is gone
      }
      next += everyMs;
      const wait = next - performance.now();
      await sleep(Math.max(0, wait));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return out;
    },
  };
}

export { sleep };
