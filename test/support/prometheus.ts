/**
 * Launches real Prometheus servers for tests, the demo and benchmarks.
 *
 * History is imported with `promtool tsdb create-blocks-from openmetrics` before the server starts
 * (Prometheus only picks up blocks it finds at start-up). Every server started here is killed and its
 * temporary directories removed by `stop()`, and — as a safety net — when the Node process exits.
 */
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { terminate, waitReady } from './child-process.js';

export interface PrometheusOptions {
  /** `global.external_labels` of the server. */
  externalLabels?: Record<string, string>;
  /** OpenMetrics text (must end with `# EOF`) imported as TSDB blocks before start-up. */
  openMetrics?: string;
  /** TSDB directory; a temporary one (removed by stop()) when omitted. Kept by stop() when given. */
  dataDir?: string;
  /** `--storage.tsdb.retention.time`, default 100y so imported history never expires. */
  retention?: string;
  /** Extra command-line flags for prometheus. */
  extraArgs?: string[];
  /** `global.scrape_interval` (default 1m) and the config's scrape_configs and remote_write sections. */
  scrapeInterval?: string;
  scrapeConfigs?: Record<string, unknown>[];
  remoteWrite?: Record<string, unknown>[];
  /** `rule_files` of the config: paths the caller wrote (HA replicas share the same path). */
  ruleFiles?: string[];
  /** `global.evaluation_interval`, default 1m. */
  evaluationInterval?: string;
  /** How long to wait for /-/ready, default 30 s. */
  readyTimeoutMs?: number;
  /** Listen on this port (e.g. to start a stopped server again where it was); a free one when omitted. */
  port?: number;
  /** `https` when extraArgs give a --web.config.file with TLS (the URL's scheme); default http. */
  scheme?: 'http' | 'https';
  /** Readiness probe for servers behind auth or TLS (default: GET <url>/-/ready). */
  ready?: (url: string) => Promise<boolean>;
}

export interface PrometheusServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel and answered only after resume(), as a hung server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

let available: boolean | null = null;

/** True when both `prometheus` and `promtool` run. */
export function prometheusAvailable(): boolean {
  if (available === null) {
    const ok = (cmd: string) => {
      const r = spawnSync(cmd, ['--version'], { stdio: 'ignore', timeout: 10_000 });
      return r.error === undefined && r.status === 0;
    };
    available = ok('prometheus') && ok('promtool');
  }
  return available;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

// ---- process-exit safety net -------------------------------------------------------------------

const live = new Set<{ child: ChildProcess; tempDirs: string[] }>();
let exitHookInstalled = false;

function killAllNow(): void {
  for (const entry of live) {
    try {
      entry.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    for (const dir of entry.tempDirs) rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllNow);
  // On SIGINT/SIGTERM with nobody else listening, clean up and die of the same signal as before.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      killAllNow();
      process.kill(process.pid, sig);
    });
  }
}

// ---- helpers -----------------------------------------------------------------------------------

function runPromtool(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { timeout: 120_000, maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`promtool ${args.join(' ')} failed: ${err.message}\n${tail(String(stderr))}`));
      else resolve();
    });
  });
}

function tail(s: string, max = 2000): string {
  return s.length > max ? '…' + s.slice(s.length - max) : s;
}


// ---- the launcher ------------------------------------------------------------------------------

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<PrometheusServer> {
  installExitHook();
  const workDir = mkdtempSync(join(tmpdir(), 'promdedup-prom-'));
  const tempDirs = [workDir];
  const dataDir = opts.dataDir ?? join(workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const cleanup = () => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const global: Record<string, unknown> = { evaluation_interval: opts.evaluationInterval ?? '1m', scrape_interval: opts.scrapeInterval ?? '1m' };
    if (opts.externalLabels && Object.keys(opts.externalLabels).length > 0) global.external_labels = opts.externalLabels;
    const configFile = join(workDir, 'prometheus.yml');
    const ruleFiles = opts.ruleFiles ?? [];
    writeFileSync(
      configFile,
      stringify({
        global,
        ...(ruleFiles.length > 0 ? { rule_files: ruleFiles } : {}),
        scrape_configs: opts.scrapeConfigs ?? [],
        ...(opts.remoteWrite ? { remote_write: opts.remoteWrite } : {}),
      }),
    );

    if (opts.openMetrics !== undefined) {
      let text = opts.openMetrics;
      if (!/# EOF\s*$/.test(text)) throw new Error('startPrometheus: openMetrics text must end with "# EOF"');
      if (!text.endsWith('\n')) text += '\n';
      const omFile = join(workDir, 'history.om');
      writeFileSync(omFile, text);
      await runPromtool(['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', omFile, dataDir]);
    }

    let lastErr: Error | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = opts.port ?? (await freePort());
      try {
        return await launch(port, configFile, dataDir, opts, tempDirs);
      } catch (err) {
        lastErr = err as Error;
        // A colleague's process may have taken the port between freePort() and bind: try another.
        if (opts.port !== undefined || !/address already in use/i.test(lastErr.message)) break;
      }
    }
    throw lastErr ?? new Error('startPrometheus failed');
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function launch(
  port: number,
  configFile: string,
  dataDir: string,
  opts: PrometheusOptions,
  tempDirs: string[],
): Promise<PrometheusServer> {
  const url = `${opts.scheme ?? 'http'}://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.retention.time=${opts.retention ?? '100y'}`,
    '--web.enable-lifecycle',
    '--log.level=warn',
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn('prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = tail(stderr + d, 8000);
  });
  let spawnError: Error | null = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  const entry = { child, tempDirs };
  live.add(entry);

  const kill = async () => {
    await terminate(child);
    live.delete(entry);
  };

  try {
    await waitReady({
      name: 'prometheus',
      url,
      child,
      timeoutMs: opts.readyTimeoutMs ?? 30_000,
      output: () => tail(stderr),
      spawnError: () => spawnError,
      ...(opts.ready ? { ready: () => opts.ready!(url) } : {}),
    });
  } catch (err) {
    await kill();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let stopped: Promise<void> | null = null;
  return {
    url,
    port,
    dataDir,
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    stop() {
      stopped ??= (async () => {
        child.kill('SIGCONT'); // a paused server would not see the SIGTERM
        await kill();
        for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
