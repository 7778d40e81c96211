/**
 * `promdedup ingest --auth.multitenancy-enabled --runtime-config.file=…` end to end: a real process,
 * a real HTTP sink on loopback that decodes what it is sent, and a runtime config file edited
 * while the process runs. Two tenants with different replica labels, timeouts and cluster limits
 * elect independently; a changed file takes effect within the reload period; a broken edit keeps
 * the previous overrides and is visible in the logs and in /metrics; a bad file at start is exit 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../src/ingest/remote-write/body.js';
import { decodeWriteRequest, encodeWriteRequest } from '../../src/ingest/remote-write/v1-reference.js';
import { sleep, terminate, waitExit } from '../support/child-process.js';
import { startIngestProcess } from '../support/ingest-process.js';
import { freePort } from '../support/prometheus.js';
import { ensureQuerierBuilt, querierEntryPoint } from '../support/querier-process.js';

const T0 = 1_704_067_200_000;
const RELOAD_PERIOD_MS = 500;

const CONFIG = `
overrides:
  tenant-a:
    ha_tracker_update_timeout: 1s
    ha_tracker_failover_timeout: 2s
  tenant-b:
    ha_replica_label: prom_replica
    ha_tracker_update_timeout: 1s
    ha_tracker_failover_timeout: 1m
    ha_max_clusters: 1
`;

let job = 0;
/** One series with these labels (plus a unique job, to find it at the sink) and one sample. */
function request(labels: Record<string, string>): { body: Uint8Array; job: string } {
  const id = `push-${++job}`;
  const all = { __name__: 'requests_total', job: id, ...labels };
  const sorted = Object.keys(all)
    .sort()
    .map((name) => ({ name, value: all[name as keyof typeof all]! }));
  const body = encodeBody(encodeWriteRequest({ timeseries: [{ labels: sorted, samples: [{ value: job, timestamp: T0 + job }], exemplars: [], histograms: [] }], metadata: [] }));
  return { body, job: id };
}

/** Parses Prometheus text exposition into (name, labels, value) rows. */
function parseMetrics(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const rows: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    rows.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return rows;
}

describe('promdedup ingest: per-tenant runtime overrides', () => {
  let dir = '';
  let configPath = '';
  let sink: Server;
  let child: ChildProcess;
  let url = '';
  let logs = (): string => '';
  /** Series the sink received, by job label. */
  const received = new Map<string, Record<string, string>>();
  /** The X-Scope-OrgID each series arrived with at the sink, by job label. */
  const receivedTenant = new Map<string, string>();

  /** Replaces the file by rename, as a ConfigMap update does, so the process never reads half a file. */
  const writeConfig = (text: string) => {
    writeFileSync(`${configPath}.tmp`, text);
    renameSync(`${configPath}.tmp`, configPath);
  };

  const push = async (tenant: string | null, labels: Record<string, string>) => {
    const { body, job: id } = request(labels);
    const res = await fetch(`${url}/api/v1/push`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
        ...(tenant !== null ? { 'x-scope-orgid': tenant } : {}),
      },
      body,
    });
    return { status: res.status, text: await res.text(), forwarded: received.get(id), forwardedTenant: receivedTenant.get(id) };
  };

  const metrics = async () => parseMetrics(await (await fetch(`${url}/metrics`)).text());
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number | undefined> =>
    (await metrics()).find((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v) && Object.keys(r.labels).length === Object.keys(labels).length)?.value;

  /** Polls `check` until it is true; returns the milliseconds it took, or throws after `timeoutMs`. */
  const within = async (timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<number> => {
    const started = Date.now();
    for (;;) {
      if (await check()) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms\n${logs()}`);
      await sleep(50);
    }
  };

  beforeAll(async () => {
    ensureQuerierBuilt();
    dir = mkdtempSync(join(tmpdir(), 'promdedup-tenants-'));
    configPath = join(dir, 'runtime.yaml');
    writeConfig(CONFIG);
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { message } = decodeBody(Buffer.concat(chunks), req.headers['content-encoding'], req.headers['content-type'], 1 << 24);
        for (const ts of decodeWriteRequest(message).timeseries) {
          const labels = Object.fromEntries(ts.labels.map((l) => [l.name, l.value]));
          received.set(labels['job']!, labels);
          receivedTenant.set(labels['job']!, String(req.headers['x-scope-orgid'] ?? ''));
        }
        res.writeHead(204).end();
      });
    });
    const sinkPort = await freePort();
    await new Promise<void>((r) => sink.listen(sinkPort, '127.0.0.1', r));
    const ingest = await startIngestProcess([
      `--remote-write.url=http://127.0.0.1:${sinkPort}/api/v1/write`,
      '--auth.multitenancy-enabled',
      `--runtime-config.file=${configPath}`,
      `--runtime-config.reload-period=${RELOAD_PERIOD_MS}ms`,
      '--ha-tracker.update-timeout-jitter-max=0s',
    ]);
    child = ingest.child;
    url = ingest.url;
    logs = ingest.logs;
  }, 120_000);

  afterAll(async () => {
    if (child) await terminate(child);
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('elects on each tenant\'s replica label; the same cluster name in two tenants is two clusters; each tenant has its cluster limit', async () => {
    expect(logs()).toMatch(/msg="runtime config loaded".*tenants=tenant-a,tenant-b/);

    const aLeader = await push('tenant-a', { cluster: 'eu1', __replica__: 'a' });
    expect(aLeader.status).toBe(200);
    expect(aLeader.forwarded).toEqual({ __name__: 'requests_total', cluster: 'eu1', job: expect.any(String) });
    expect(await push('tenant-a', { cluster: 'eu1', __replica__: 'b' })).toMatchObject({ status: 202, text: 'replicas did not match, rejecting sample: replica=b, elected=a' });

    // tenant-b's replica label is prom_replica; its eu1 is not tenant-a's eu1.
    const bLeader = await push('tenant-b', { cluster: 'eu1', prom_replica: 'x' });
    expect(bLeader.status).toBe(200);
    expect(bLeader.forwarded).toEqual({ __name__: 'requests_total', cluster: 'eu1', job: expect.any(String) });
    expect(await push('tenant-b', { cluster: 'eu1', prom_replica: 'y' })).toMatchObject({ status: 202, text: 'replicas did not match, rejecting sample: replica=y, elected=x' });
    // For tenant-b, __replica__ is an ordinary label: no prom_replica means non-HA, forwarded unchanged.
    const plain = await push('tenant-b', { cluster: 'eu1', __replica__: 'a' });
    expect(plain.status).toBe(200);
    expect(plain.forwarded).toMatchObject({ __replica__: 'a', cluster: 'eu1' });

    const overLimit = await push('tenant-b', { cluster: 'eu2', prom_replica: 'x' });
    expect(overLimit.status).toBe(400);
    expect(overLimit.text).toMatch(/maximum number of high-availability \(HA\) clusters has been reached for this tenant \(limit: 1\)/);
    // A tenant without an override has the flags' limit (100).
    for (const c of ['eu1', 'eu2']) expect((await push('tenant-c', { cluster: c, __replica__: 'a' })).status).toBe(200);
    expect((await push(null, { cluster: 'eu1', __replica__: 'a' })).status).toBe(401);
    // The tenant travels on to the store; tenant IDs follow Mimir's rules.
    expect(aLeader.forwardedTenant).toBe('tenant-a');
    expect(bLeader.forwardedTenant).toBe('tenant-b');
    const slash = await push('team/a', { cluster: 'eu1', __replica__: 'a' });
    expect(slash).toMatchObject({ status: 400, text: 'tenant ID "team/a" contains unsupported character "/"' });
    expect(slash.forwarded).toBeUndefined();

    const page = (await (await fetch(`${url}/distributor/ha_tracker`, { headers: { accept: 'application/json' } })).json()) as {
      elected: Array<{ tenant: string; cluster: string; replica: string; untilFailoverMs: number }>;
    };
    expect(page.elected.map((r) => `${r.tenant}/${r.cluster}=${r.replica}`)).toEqual(['tenant-a/eu1=a', 'tenant-b/eu1=x', 'tenant-c/eu1=a', 'tenant-c/eu2=a']);
    const until = Object.fromEntries(page.elected.map((r) => [`${r.tenant}/${r.cluster}`, r.untilFailoverMs]));
    expect(until['tenant-a/eu1']).toBeLessThanOrEqual(2_000);
    expect(until['tenant-b/eu1']).toBeGreaterThan(50_000);
    expect(until['tenant-c/eu1']).toBeGreaterThan(20_000);
  });

  it('fails over with each tenant\'s failover timeout: tenant-a (2s) moves to b, tenant-b (1m) stays on x', async () => {
    await push('tenant-a', { cluster: 'eu1', __replica__: 'a' });
    const started = Date.now();
    let failedOverAfter = -1;
    while (Date.now() - started < 10_000) {
      const a = await push('tenant-a', { cluster: 'eu1', __replica__: 'b' });
      const b = await push('tenant-b', { cluster: 'eu1', prom_replica: 'y' });
      expect(b.status).toBe(202);
      if (a.status === 200) {
        expect(a.forwarded).toEqual({ __name__: 'requests_total', cluster: 'eu1', job: expect.any(String) });
        failedOverAfter = Date.now() - started;
        break;
      }
      expect(a.status).toBe(202);
      await sleep(100);
    }
    expect(failedOverAfter).toBeGreaterThan(0);
    expect(logs()).toMatch(/msg="elected replica changed" tenant=tenant-a cluster=eu1 from=a to=b/);
    expect(logs()).not.toMatch(/msg="elected replica changed" tenant=tenant-b cluster=eu1 from=x/);
    expect((await push('tenant-b', { cluster: 'eu1', prom_replica: 'x' })).status).toBe(200);
  }, 20_000);

  it('applies an edited file within the reload period: accept_ha_samples: false forwards unchanged and counts non-HA', async () => {
    const before = (await metric('promdedup_runtime_config_last_reload_success_timestamp_seconds'))!;
    const hashBefore = (await metrics()).find((r) => r.name === 'promdedup_runtime_config_hash')!.labels['sha256'];
    const nonHaBefore = (await metric('promdedup_non_ha_samples_received_total', { user: 'tenant-a' })) ?? 0;
    expect((await push('tenant-a', { cluster: 'eu1', __replica__: 'a' })).status).toBe(202); // b leads since the failover

    writeConfig(CONFIG.replace('  tenant-a:\n', '  tenant-a:\n    accept_ha_samples: false\n'));
    let last: Awaited<ReturnType<typeof push>> | undefined;
    const took = await within(RELOAD_PERIOD_MS + 1_500, 'accept_ha_samples: false in force', async () => {
      last = await push('tenant-a', { cluster: 'eu1', __replica__: 'a' });
      return last.status === 200;
    });
    expect(took).toBeLessThanOrEqual(RELOAD_PERIOD_MS + 1_500);
    expect(last!.forwarded).toMatchObject({ __replica__: 'a', cluster: 'eu1' }); // unchanged: no election, label kept
    expect(await metric('promdedup_non_ha_samples_received_total', { user: 'tenant-a' })).toBeGreaterThan(nonHaBefore);
    expect(await metric('promdedup_runtime_config_last_reload_successful')).toBe(1);
    expect(await metric('promdedup_runtime_config_last_reload_success_timestamp_seconds')).toBeGreaterThan(before);
    expect((await metrics()).find((r) => r.name === 'promdedup_runtime_config_hash')!.labels['sha256']).not.toBe(hashBefore);
    expect(logs()).toMatch(/msg="runtime config reloaded"/);
    // tenant-b's override is untouched.
    expect((await push('tenant-b', { cluster: 'eu1', prom_replica: 'y' })).status).toBe(202);
  });

  it('keeps the previous overrides when an edit is broken, says why, and recovers with the next good edit', async () => {
    const successfulAt = await metric('promdedup_runtime_config_last_reload_success_timestamp_seconds');
    writeConfig('overrides:\n  tenant-a: [\n');
    await within(RELOAD_PERIOD_MS + 1_500, 'reload failure reported', async () => (await metric('promdedup_runtime_config_last_reload_successful')) === 0);
    expect(logs()).toMatch(/level=error .*msg="runtime config reload failed, keeping the previous one".*invalid YAML/);
    // Still the last good file: tenant-a without HA handling, tenant-b electing on prom_replica.
    expect((await push('tenant-a', { cluster: 'eu1', __replica__: 'a' })).forwarded).toMatchObject({ __replica__: 'a' });
    expect((await push('tenant-b', { cluster: 'eu1', prom_replica: 'y' })).status).toBe(202);
    expect(await metric('promdedup_runtime_config_last_reload_success_timestamp_seconds')).toBe(successfulAt);

    // A tenant's timeouts that break the rule are refused the same way, with the rule in the message.
    writeConfig(CONFIG.replace('ha_tracker_failover_timeout: 1m', 'ha_tracker_failover_timeout: 1s'));
    await within(RELOAD_PERIOD_MS + 1_500, 'rule violation reported', async () => logs().includes('overrides.tenant-b: HA Tracker failover timeout (1s)'));
    expect(logs()).toMatch(/overrides\.tenant-b: HA Tracker failover timeout \(1s\) must be at least 1s greater than update timeout - max jitter \(2s\); the rule is ha_tracker_failover_timeout >= ha_tracker_update_timeout \+ ha_tracker_update_timeout_jitter_max \+ 1s/);
    expect((await push('tenant-a', { cluster: 'eu1', __replica__: 'a' })).forwarded).toMatchObject({ __replica__: 'a' });
    expect(child.exitCode).toBeNull();

    writeConfig(CONFIG);
    await within(RELOAD_PERIOD_MS + 1_500, 'good file in force again', async () => (await metric('promdedup_runtime_config_last_reload_successful')) === 1);
    expect((await push('tenant-a', { cluster: 'eu1', __replica__: 'a' })).status).toBe(202); // HA again: b leads
  }, 20_000);

  it('exports the tracker and distributor metrics with Mimir\'s names and labels', async () => {
    const rows = await metrics();
    const find = (name: string, labels: Record<string, string> = {}) =>
      rows.find((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v))?.value;
    const a = { user: 'tenant-a', cluster: 'eu1' };
    const b = { user: 'tenant-b', cluster: 'eu1' };
    expect(find('promdedup_ha_tracker_elected_replica_changes_total', a)).toBe(2); // a, then b
    expect(find('promdedup_ha_tracker_elected_replica_changes_total', b)).toBe(1);
    expect(find('promdedup_ha_tracker_reelections_total', a)).toBe(1);
    expect(find('promdedup_ha_tracker_reelections_total', b)).toBe(0);
    const now = Date.now() / 1000;
    for (const labels of [a, b]) {
      expect(find('promdedup_ha_tracker_elected_replica_timestamp_seconds', labels)).toBeGreaterThan(now - 120);
      expect(find('promdedup_ha_tracker_last_election_timestamp_seconds', labels)).toBeGreaterThan(now - 120);
      expect(find('promdedup_ha_tracker_kv_store_cas_total', labels)).toBeGreaterThanOrEqual(1);
    }
    expect(find('promdedup_ha_tracker_elected_replica_change_propagation_time_seconds_count')).toBeGreaterThanOrEqual(1);
    for (const name of [
      'promdedup_ha_tracker_replicas_cleanup_started_total',
      'promdedup_ha_tracker_replicas_cleanup_marked_for_deletion_total',
      'promdedup_ha_tracker_replicas_cleanup_deleted_total',
      'promdedup_ha_tracker_replicas_cleanup_delete_failed_total',
    ]) {
      expect(find(name), name).toBe(0);
    }
    expect(find('promdedup_deduped_samples_total', a)).toBeGreaterThanOrEqual(2);
    expect(find('promdedup_deduped_samples_total', b)).toBeGreaterThanOrEqual(3);
    expect(find('promdedup_non_ha_samples_received_total', { user: 'tenant-b' })).toBe(1);
    expect(find('promdedup_discarded_samples_total', { reason: 'too_many_ha_clusters', user: 'tenant-b' })).toBe(1);
    expect(rows.some((r) => r.name.startsWith('promdedup_') && ('tenant' in r.labels))).toBe(false);
  });
});

describe('promdedup ingest: a bad runtime config at start', () => {
  it('exits 2 with the file, the tenant and the rule in the message', async () => {
    ensureQuerierBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'promdedup-tenants-bad-'));
    try {
      const path = join(dir, 'runtime.yaml');
      writeFileSync(path, 'overrides:\n  tenant-a:\n    ha_tracker_failover_timeout: 10s\n');
      let stderr = '';
      const child = spawn(process.execPath, [querierEntryPoint(), 'ingest', '--http-address=127.0.0.1:0', '--remote-write.url=http://127.0.0.1:9/', `--runtime-config.file=${path}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        expect(await waitExit(child, 15_000)).toBe(true);
      } finally {
        await terminate(child);
      }
      expect(child.exitCode).toBe(2);
      expect(stderr).toContain(
        `promdedup: error: --runtime-config.file ${JSON.stringify(path)}: overrides.tenant-a: HA Tracker failover timeout (10s) must be at least 1s greater than update timeout - max jitter (21s); the rule is`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
