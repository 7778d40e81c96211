/**
 * Launches a real single-member etcd for tests, on free loopback ports with a temporary data dir. `stop()` kills
 * it and removes the dir; a process-exit hook does the same as a safety net.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, sleep, terminate } from './child-process.js';
import { freePort } from './prometheus.js';

export interface EtcdServer {
  /** Client URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EtcdOptions {
  /** How long to wait for GET /health, default 30 s. */
  readyTimeoutMs?: number;
}

let binary: string | null | undefined;

function etcdBinary(): string | null {
  if (binary === undefined) {
    if (existsSync('/usr/bin/etcd')) binary = '/usr/bin/etcd';
    else {
      const r = spawnSync('etcd', ['--version'], { stdio: 'ignore', timeout: 10_000 });
      binary = r.error === undefined && r.status === 0 ? 'etcd' : null;
    }
  }
  return binary;
}

/** True when an etcd binary is installed (/usr/bin/etcd or `etcd` on PATH). */
export function etcdAvailable(): boolean {
  return etcdBinary() !== null;
}

const live = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const entry of live) {
      try {
        entry.child.kill('SIGKILL');
      } catch {
        // already gone
      }
      rmSync(entry.dir, { recursive: true, force: true });
    }
    live.clear();
  });
}

function tail(s: string, max = 2000): string {
  return s.length > max ? '…' + s.slice(s.length - max) : s;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: unknown };
    return res.status === 200 && (body.health === 'true' || body.health === true);
  } catch {
    return false;
  }
}

export async function startEtcd(opts: EtcdOptions = {}): Promise<EtcdServer> {
  const bin = etcdBinary();
  if (bin === null) throw new Error('startEtcd: no etcd binary');
  installExitHook();
  let lastErr: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(bin, opts);
    } catch (err) {
      lastErr = err as Error;
      // Another process may have taken a port between freePort() and bind: try others.
      if (!/address already in use/i.test(lastErr.message)) break;
    }
  }
  throw lastErr ?? new Error('startEtcd failed');
}

async function launch(bin: string, opts: EtcdOptions): Promise<EtcdServer> {
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'promdedup-etcd-'));
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=default',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    '--log-level=warn',
    '--logger=zap',
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = tail(stderr + d, 8000);
  });
  let spawnError: Error | null = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  const entry = { child, dir: dataDir };
  live.add(entry);

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await terminate(child);
      live.delete(entry);
      rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    const err = spawnError as Error | null;
    if (err !== null) {
      await stop();
      throw new Error(`etcd failed to start: ${err.message}`);
    }
    if (exited(child)) {
      await stop();
      throw new Error(`etcd exited (code ${child.exitCode}, signal ${child.signalCode}) before healthy:\n${tail(stderr)}`);
    }
    if (await healthy(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd at ${url} not healthy in time:\n${tail(stderr)}`);
    }
    await sleep(100);
  }

  return { url, clientPort, peerPort, dataDir, stop };
}
