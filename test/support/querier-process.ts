/**
 * Runs the promdedup querier (`node dist/src/cmd/main.js query …`) as a child process for end-to-end
 * tests and the demo: free loopback ports, wait for `GET /-/ready` = 200, stop() with SIGTERM then
 * SIGKILL. A process-exit hook kills anything still running.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './prometheus.js';
import { killOnExit, terminate, waitReady } from './child-process.js';

export interface QuerierOptions {
  /** Prometheus base URLs, one `--endpoint` each. */
  endpoints: readonly string[];
  /** `--query.replica-label` values, default ["replica"]. */
  replicaLabels?: readonly string[];
  /** HTTP port, default a free one. */
  httpPort?: number;
  /** gRPC port, default a free one. */
  grpcPort?: number;
  /** More flags, e.g. ["--store.response-timeout=2s"]. */
  extraArgs?: readonly string[];
  /** How long to wait for /-/ready, default 30 s. */
  readyTimeoutMs?: number;
  /** `https` with an --http.config that turns TLS on; default http. */
  scheme?: 'http' | 'https';
  /** Readiness probe for a querier behind auth or TLS (default: GET <url>/-/ready). */
  ready?: (url: string) => Promise<boolean>;
}

export interface QuerierProcess {
  /** e.g. http://127.0.0.1:10902 */
  readonly url: string;
  readonly port: number;
  readonly grpcPort: number;
  readonly pid: number;
  /** Last ~16 kB of the process' stdout+stderr. */
  logs(): string;
  stop(): Promise<void>;
}

/** The repository root (the directory holding package.json), from src or dist. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repoRoot: package.json not found');
    dir = up;
  }
  return dir;
}

/**
 * glibc malloc settings from src/cmd/main.ts's shebang line: large buffers come from the heap and
 * are kept for reuse instead of being mapped and unmapped per allocation (which serialises page
 * faults across the query threads).
 */
export const MALLOC_TUNING: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '33554432',
  MALLOC_TRIM_THRESHOLD_: '67108864',
};

export function querierEntryPoint(): string {
  return join(repoRoot(), 'dist', 'src', 'cmd', 'main.js');
}

/** True when src/cmd/main.ts exists (the querier has landed). */
export function querierSourcePresent(): boolean {
  return existsSync(join(repoRoot(), 'src', 'cmd', 'main.ts'));
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Compiles the project (`tsc -p tsconfig.json`) when dist/src/cmd/main.js is missing or older than
 * any file under src/. tsc emits JavaScript even when a colleague's file has type errors.
 */
export function ensureQuerierBuilt(): void {
  const root = repoRoot();
  const entry = querierEntryPoint();
  const fresh = () => existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(root, 'src'));
  if (fresh()) return;
  // Test files run in parallel workers: one build at a time (a lock directory), then re-check.
  const lock = join(tmpdir(), `promdedup-build-${createHash('sha1').update(root).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`ensureQuerierBuilt: lock ${lock} held for too long`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    if (fresh()) return;
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'pipe', timeout: 300_000 });
  } catch (err) {
    // tsc exits non-zero on type errors but still emits; only a missing entry point is fatal.
    if (!existsSync(entry)) throw new Error(`building the querier failed: ${(err as Error).message}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function startQuerier(opts: QuerierOptions): Promise<QuerierProcess> {
  let lastErr: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(opts, opts.httpPort ?? (await freePort()), opts.grpcPort ?? (await freePort()));
    } catch (err) {
      lastErr = err as Error;
      const portGiven = opts.httpPort !== undefined && opts.grpcPort !== undefined;
      if (portGiven || !/EADDRINUSE|address already in use/i.test(lastErr.message)) break;
    }
  }
  throw lastErr ?? new Error('startQuerier failed');
}

async function launch(opts: QuerierOptions, port: number, grpcPort: number): Promise<QuerierProcess> {
  const entry = querierEntryPoint();
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
  const args = [
    entry,
    'query',
    `--http-address=127.0.0.1:${port}`,
    `--grpc-address=127.0.0.1:${grpcPort}`,
    ...opts.endpoints.map((e) => `--endpoint=${e}`),
    ...(opts.replicaLabels ?? ['replica']).map((l) => `--query.replica-label=${l}`),
    ...(opts.extraArgs ?? []),
  ];
  // The allocator settings the `promdedup` executable starts with (its shebang line).
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...MALLOC_TUNING, ...process.env } });
  killOnExit(child);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-16_384);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let spawnError: Error | null = null;
  child.on('error', (e) => (spawnError = e));

  const url = `${opts.scheme ?? 'http'}://127.0.0.1:${port}`;
  const kill = async () => {
    await terminate(child);
  };

  await waitReady({
    name: 'querier',
    url,
    child,
    timeoutMs: opts.readyTimeoutMs ?? 30_000,
    output: () => out,
    spawnError: () => spawnError,
    ...(opts.ready ? { ready: () => opts.ready!(url) } : {}),
  });

  let stopping: Promise<void> | null = null;
  // Never a stand-in pid: process.kill(-1 or 0, …) would signal every process (or the test's group).
  if (child.pid === undefined) throw new Error('promdedup query was not spawned');
  return {
    url,
    port,
    grpcPort,
    pid: child.pid,
    logs: () => out,
    stop: () => (stopping ??= kill()),
  };
}
