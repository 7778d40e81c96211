/**
 * The npm package as a user without the repository gets it: `npm pack` run in a copy of the
 * repository's files (a fresh clone: no dist/, so the pack's own `prepare` build is what ships),
 * `npm install -g --prefix <tmp> <tarball>` run outside the repository (dependencies from the
 * registry), then the installed `promdedup` executable: its help texts, `promdedup query` over
 * two real Prometheus replicas answering /api/v1/query deduplicated (queries run in the package's
 * dist/workers/query.js, the StoreAPI server loads the package's proto/), and `promdedup ingest`
 * forwarding one replica of a pair (decoded in dist/workers/ingest.js). The container health check
 * script shipped in the package (deploy/docker/healthcheck.mjs) is run against both.
 *
 * Skipped, with a message, when the npm registry cannot be reached (the install needs it) or git is
 * missing; the query part also needs prometheus/promtool.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { encodeWriteRequest } from '../../src/ingest/remote-write/v1-reference.js';
import { terminate, waitReady } from '../support/child-process.js';
import { startRecordingSink, type RecordingSink } from '../support/remote-write-sink.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { repoRoot } from '../support/querier-process.js';

/** The environment for npm and the installed binary: none of the npm_* variables `npm test` sets. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`${what} failed (status ${r.status}, ${r.error?.message ?? 'no spawn error'}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

function gitAvailable(): boolean {
  const r = spawnSync('git', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** `npm ping` against the configured registry, 15 s at most. */
function registryReachable(): boolean {
  const r = spawnSync('npm', ['ping'], { env: cleanEnv(), stdio: 'ignore', timeout: 15_000 });
  return r.error === undefined && r.status === 0;
}

const haveGit = gitAvailable();
const online = haveGit && registryReachable();
if (!haveGit) console.warn('package.test: git not found; skipping the npm pack/install test');
else if (!online) console.warn('package.test: the npm registry is not reachable (npm ping failed); skipping the npm pack/install test');

// Fixed timestamps (not today's date): 15 s samples over 10 minutes; replica a misses 4 to 7 minutes.
const T0 = 1_700_000_000;
function openMetrics(withGap: boolean): string {
  const lines = ['# TYPE pkg_test_value gauge'];
  for (let i = 0; i <= 40; i++) {
    const t = T0 + i * 15;
    if (withGap && t >= T0 + 240 && t <= T0 + 420) continue;
    lines.push(`pkg_test_value{job="pkg"} ${i} ${t}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

/** Starts the installed executable with these arguments; resolves once GET <url>/-/ready is 200. */
async function startInstalled(bin: string, cwd: string, args: string[], url: string, name: string): Promise<Started> {
  const child = spawn(bin, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let spawnError: Error | null = null;
  child.on('error', (e) => (spawnError = e));
  const keep = (d: Buffer): void => {
    output = (output + d.toString('utf8')).slice(-16_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  await waitReady({ name, url, child, timeoutMs: 30_000, output: () => output, spawnError: () => spawnError });
  return { child, url, output: () => output };
}

/** node <package>/deploy/docker/healthcheck.mjs with PROMDEDUP_HEALTH_URL: its exit code. */
function healthcheck(pkgDir: string, url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(pkgDir, 'deploy/docker/healthcheck.mjs')], {
      env: cleanEnv({ PROMDEDUP_HEALTH_URL: url }),
      stdio: 'ignore',
    });
    p.on('exit', (code) => resolve(code));
  });
}

describe.skipIf(!online)('npm package installed from its tarball, outside the repository', () => {
  let work: string;
  let tarball: string;
  let tarFiles: string[];
  let bin: string;
  let pkgDir: string;

  beforeAll(() => {
    const root = repoRoot();
    work = mkdtempSync(join(tmpdir(), 'promdedup-package-'));
    // A fresh clone's files: tracked and not-ignored untracked ones, without dist/ or node_modules/.
    const clone = join(work, 'clone');
    const listed = must(run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root, 30_000), 'git ls-files');
    for (const rel of new Set(listed.split('\0').filter((f) => f.length > 0))) {
      const from = join(root, rel);
      if (!existsSync(from)) continue; // deleted in the working tree
      mkdirSync(dirname(join(clone, rel)), { recursive: true });
      cpSync(from, join(clone, rel));
    }
    // The dev dependencies the build needs (tsc, @types/node): the repository's, not a second install.
    symlinkSync(realpathSync(join(root, 'node_modules')), join(clone, 'node_modules'));
    expect(existsSync(join(clone, 'dist'))).toBe(false);

    const out = join(work, 'out');
    mkdirSync(out);
    must(run('npm', ['pack', '--pack-destination', out], clone, 120_000), 'npm pack');
    const tgz = readdirSync(out).filter((f) => f.endsWith('.tgz'));
    expect(tgz).toHaveLength(1);
    tarball = join(out, tgz[0]!);
    tarFiles = must(run('tar', ['-tzf', tarball], work, 30_000), 'tar -tzf')
      .split('\n')
      .filter((f) => f.length > 0)
      .map((f) => f.replace(/^package\//, ''));
    rmSync(clone, { recursive: true, force: true });

    // Installed as the README says, from a directory that is not the repository.
    const prefix = join(work, 'prefix');
    must(run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], work, 180_000), 'npm install -g');
    bin = join(prefix, 'bin', 'promdedup');
    pkgDir = join(prefix, 'lib', 'node_modules', 'promdedup');
  }, 300_000);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('holds the compiled service, its worker entry points and the proto files, and no sources or tests', () => {
    for (const f of [
      'package.json',
      'README.md',
      'dist/src/cmd/main.js',
      'dist/workers/query.js',
      'dist/workers/ingest.js',
      'dist/ui/index.html',
      'proto/thanos/store/storepb/rpc.proto',
      'proto/thanos/info/infopb/rpc.proto',
      'proto/grpc/health/v1/health.proto',
      'deploy/docker/healthcheck.mjs',
      'deploy/systemd/promdedup-query.service',
    ]) {
      expect(tarFiles, f).toContain(f);
    }
    expect(tarFiles.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('dist/test/') || f.endsWith('.ts'))).toEqual([]);
    expect(tarball).toMatch(/promdedup-\d+\.\d+\.\d+\.tgz$/);
  });

  it('installs a promdedup executable whose help texts print', () => {
    expect(existsSync(bin)).toBe(true);
    const top = must(run(bin, ['--help'], work, 30_000), 'promdedup --help');
    expect(top).toMatch(/Usage: promdedup/);
    expect(top).toMatch(/query/);
    expect(top).toMatch(/ingest/);
    const query = must(run(bin, ['query', '--help'], work, 30_000), 'promdedup query --help');
    expect(query).toMatch(/--query\.replica-label/);
    expect(query).toMatch(/--endpoint/);
    const ingest = must(run(bin, ['ingest', '--help'], work, 30_000), 'promdedup ingest --help');
    expect(ingest).toMatch(/--remote-write\.url/);
    const version = must(run(bin, ['--version'], work, 30_000), 'promdedup --version');
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.trim()).not.toBe('0.0.0'); // package.json found beside the installed dist/
  });

  describe.skipIf(!prometheusAvailable())('promdedup query from the package over two Prometheus replicas', () => {
    let promA: PrometheusServer | undefined;
    let promB: PrometheusServer | undefined;
    let child: ChildProcess | undefined;
    let url: string;

    beforeAll(async () => {
      [promA, promB] = await Promise.all([
        startPrometheus({ externalLabels: { cluster: 'pkg', replica: 'a' }, openMetrics: openMetrics(true) }),
        startPrometheus({ externalLabels: { cluster: 'pkg', replica: 'b' }, openMetrics: openMetrics(false) }),
      ]);
      const [httpPort, grpcPort] = [await freePort(), await freePort()];
      url = `http://127.0.0.1:${httpPort}`;
      const args = [
        'query',
        `--http-address=127.0.0.1:${httpPort}`,
        `--grpc-address=127.0.0.1:${grpcPort}`,
        `--endpoint=${promA.url}`,
        `--endpoint=${promB.url}`,
        '--query.replica-label=replica',
        '--query.workers=1',
      ];
      child = (await startInstalled(bin, work, args, url, 'promdedup query (installed)')).child;
    }, 120_000);

    afterAll(async () => {
      if (child !== undefined) await terminate(child);
      await Promise.all([promA?.stop(), promB?.stop()]);
    });

    it('answers /api/v1/query with the replicas merged: one series, no replica label, the gap filled from b', async () => {
      const t = T0 + 330; // replica a has nothing from T0+240 on: its newest sample would be 15 (T0+225)
      const res = await fetch(`${url}/api/v1/query?query=pkg_test_value&time=${t}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      expect(body).toEqual({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: { __name__: 'pkg_test_value', cluster: 'pkg', job: 'pkg' }, value: [t, '22'] }] },
      });
      const raw = await fetch(`${url}/api/v1/query?query=pkg_test_value&time=${t}&dedup=false`);
      const rawBody = (await raw.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      const byReplica = Object.fromEntries(rawBody.data.result.map((s) => [s.metric.replica, s.value[1]]));
      expect(byReplica).toEqual({ a: '15', b: '22' });
    });

    it('serves the web UI built into the package', async () => {
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      const asset = /(?:src|href)="(\/assets\/[^"]+)"/.exec(html);
      expect(asset).not.toBeNull();
      expect((await fetch(`${url}${asset![1]}`)).status).toBe(200);
    });

    it('passes the container health check script shipped in the package, and fails it once stopped', async () => {
      expect(await healthcheck(pkgDir, `${url}/-/healthy`)).toBe(0);
      const c = child!;
      const exit = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
      c.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(await healthcheck(pkgDir, `${url}/-/healthy`)).toBe(1);
    });
  });
  describe('promdedup ingest from the package', () => {
    let sink: RecordingSink | undefined;
    let ingest: Started | undefined;

    beforeAll(async () => {
      sink = await startRecordingSink();
      const port = await freePort();
      // worker-min-bytes=0: every request is decoded in the package's dist/workers/ingest.js.
      const args = ['ingest', `--http-address=127.0.0.1:${port}`, `--remote-write.url=${sink.writeUrl}`, '--remote-write.worker-min-bytes=0'];
      ingest = await startInstalled(bin, work, args, `http://127.0.0.1:${port}`, 'promdedup ingest (installed)');
    }, 60_000);

    afterAll(async () => {
      if (ingest !== undefined) await terminate(ingest.child);
      await sink?.stop();
    });

    it('forwards the elected replica without __replica__, answers the other 202, and passes the health check', async () => {
      const push = async (replica: string): Promise<number> => {
        const labels = [
          { name: '__name__', value: 'pkg_requests_total' },
          { name: '__replica__', value: replica },
          { name: 'cluster', value: 'pkg' },
        ];
        const body = encodeBody(encodeWriteRequest({ timeseries: [{ labels, samples: [{ value: 7, timestamp: T0 * 1000 }], exemplars: [], histograms: [] }], metadata: [] }));
        const res = await fetch(`${ingest!.url}/api/v1/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
          body,
        });
        await res.arrayBuffer();
        return res.status;
      };
      expect(await push('a'), ingest!.output()).toBeLessThan(300);
      expect(await push('b')).toBe(202);
      expect([...sink!.samples]).toEqual([`{__name__="pkg_requests_total",cluster="pkg"} ${T0 * 1000} 7`]);
      expect(await healthcheck(pkgDir, `${ingest!.url}/-/healthy`)).toBe(0);
    });
  });
});
