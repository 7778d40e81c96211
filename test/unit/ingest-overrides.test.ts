/**
 * Per-tenant HA overrides: the runtime config parser (Mimir's keys, defaults from the flags, the
 * failover rule per tenant), the tracker using a tenant's timeouts and cluster limit (fake clock),
 * the reloader on a real file, and the Prometheus metrics on a real registry.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { FlagError } from '../../src/cmd/flags.js';
import { parseIngestFlags, type RawIngestFlags } from '../../src/cmd/ingest.js';
import { createIngestMetrics, registerRuntimeConfigMetrics } from '../../src/ingest/metrics.js';
import { parseRuntimeConfig, RuntimeConfigError, TenantLimits, type TenantHaLimits } from '../../src/ingest/overrides.js';
import { loadRuntimeConfigFile, RuntimeConfigReloader } from '../../src/ingest/runtime-config.js';
import { HaTracker, MemoryReplicaDescStore, replicaKey, type HaTrackerOptions } from '../../src/ingest/tracker/index.js';
import { createLogger } from '../../src/util/log.js';

const T0 = 1_700_000_000_000;
const S = 1000;
const MIN = 60 * S;
const key = (tenant: string, cluster: string) => replicaKey('ha-tracker/', tenant, cluster);

/** What the flags give every tenant: Mimir's defaults, jitter off so tests are exact. */
const DEFAULTS: TenantHaLimits = Object.freeze({
  acceptHaSamples: true,
  clusterLabel: 'cluster',
  replicaLabel: '__replica__',
  maxClusters: 100,
  updateTimeoutMs: 15 * S,
  updateTimeoutJitterMaxMs: 0,
  failoverTimeoutMs: 30 * S,
  failoverSampleTimeoutMs: 0,
});

const parse = (text: string, defaults: TenantHaLimits = DEFAULTS) => parseRuntimeConfig(text, defaults);

describe('runtime config parsing', () => {
  it('reads Mimir\'s per-tenant keys and fills the rest from the flags', () => {
    const overrides = parse(`
overrides:
  tenant-a:
    accept_ha_samples: false
    ha_cluster_label: team
    ha_replica_label: prom_replica
    ha_max_clusters: 10
    ha_tracker_update_timeout: 5s
    ha_tracker_update_timeout_jitter_max: 2s
    ha_tracker_failover_timeout: 1m
    ha_tracker_sample_failover_timeout: 1m
  tenant-b:
    ha_replica_label: replica
  tenant-c:
`);
    expect([...overrides.keys()]).toEqual(['tenant-a', 'tenant-b', 'tenant-c']);
    expect(overrides.get('tenant-a')).toEqual({
      acceptHaSamples: false,
      clusterLabel: 'team',
      replicaLabel: 'prom_replica',
      maxClusters: 10,
      updateTimeoutMs: 5 * S,
      updateTimeoutJitterMaxMs: 2 * S,
      failoverTimeoutMs: 60 * S,
      failoverSampleTimeoutMs: 60 * S,
    });
    expect(overrides.get('tenant-b')).toEqual({ ...DEFAULTS, replicaLabel: 'replica' });
    expect(overrides.get('tenant-c')).toEqual(DEFAULTS);
  });

  it('takes the flags\' value for a zero update timeout, jitter or failover timeout, as Mimir; zero clusters means no limit', () => {
    const defaults = { ...DEFAULTS, updateTimeoutJitterMaxMs: 5 * S };
    const t = parse('overrides:\n  t:\n    ha_tracker_update_timeout: 0s\n    ha_tracker_update_timeout_jitter_max: "0"\n    ha_tracker_failover_timeout: 0s\n    ha_max_clusters: 0\n', defaults).get('t');
    expect(t).toMatchObject({ updateTimeoutMs: 15 * S, updateTimeoutJitterMaxMs: 5 * S, failoverTimeoutMs: 30 * S, maxClusters: 0 });
  });

  it('means no overrides for an empty file, a comment, or an empty overrides section', () => {
    for (const text of ['', '# nothing yet\n', 'overrides:\n', 'overrides: {}\n']) expect(parse(text).size).toBe(0);
  });

  it('rejects a tenant whose effective timeouts break failover >= update + jitter max + 1s, naming tenant and rule', () => {
    const bad = () => parse('overrides:\n  fine:\n    ha_replica_label: r\n  tenant-a:\n    ha_tracker_failover_timeout: 10s\n');
    expect(bad).toThrow(RuntimeConfigError);
    expect(bad).toThrow(
      'overrides.tenant-a: HA Tracker failover timeout (10s) must be at least 1s greater than update timeout - max jitter (16s); ' +
        'the rule is ha_tracker_failover_timeout >= ha_tracker_update_timeout + ha_tracker_update_timeout_jitter_max + 1s',
    );
    // The flag's 15s update timeout counts when the tenant only lowers the failover timeout; lowering both is fine.
    expect(parse('overrides:\n  t:\n    ha_tracker_update_timeout: 5s\n    ha_tracker_failover_timeout: 6s\n').get('t')?.failoverTimeoutMs).toBe(6 * S);
    expect(() => parse('overrides:\n  t:\n    ha_tracker_update_timeout: 5s\n    ha_tracker_update_timeout_jitter_max: 1s\n    ha_tracker_failover_timeout: 6s\n')).toThrow(
      /overrides\.t: HA Tracker failover timeout \(6s\) must be at least 1s greater than update timeout - max jitter \(7s\)/,
    );
  });

  it('refuses unknown keys, wrong types and broken YAML with the place in the message', () => {
    const cases: Array<[string, RegExp]> = [
      ['overrides:\n  t:\n    ha_replica_lable: r\n', /overrides\.t\.ha_replica_lable: unknown key; expected one of accept_ha_samples, /],
      ['limits:\n  ha_max_clusters: 1\n', /unknown key "limits"; expected overrides/],
      ['overrides:\n  t:\n    accept_ha_samples: "no"\n', /overrides\.t\.accept_ha_samples: expected true or false, got string "no"/],
      ['overrides:\n  t:\n    ha_max_clusters: 2.5\n', /overrides\.t\.ha_max_clusters: expected an integer >= 0/],
      ['overrides:\n  t:\n    ha_max_clusters: -1\n', /overrides\.t\.ha_max_clusters: expected an integer >= 0/],
      ['overrides:\n  t:\n    ha_tracker_failover_timeout: 30\n', /overrides\.t\.ha_tracker_failover_timeout: expected a duration such as "15s", got number 30/],
      ['overrides:\n  t:\n    ha_tracker_failover_timeout: soon\n', /overrides\.t\.ha_tracker_failover_timeout: not a valid duration string: "soon"/],
      ['overrides:\n  t:\n    ha_replica_label: ""\n', /overrides\.t\.ha_replica_label: expected a non-empty label name/],
      ['overrides:\n  t:\n    ha_replica_label: cluster\n', /overrides\.t: ha_cluster_label and ha_replica_label are both "cluster"/],
      ['overrides:\n  t: 5\n', /overrides\.t: expected a mapping, got number 5/],
      ['overrides: [a, b]\n', /overrides: expected a mapping, got a list/],
      ['overrides:\n  t: {}\n  t: {}\n', /invalid YAML: Map keys must be unique at line 3/],
      ['overrides: [\n', /invalid YAML: /],
      ['overrides: *nowhere\n', /invalid YAML: /],
      ['overrides: {}\n---\noverrides: {}\n', /several YAML documents/],
    ];
    for (const [text, message] of cases) expect(() => parse(text), text).toThrow(message);
  });
});

/** A tracker on a fake clock whose per-tenant limits come from a runtime config text. */
function setup(runtimeConfig: string, options: Partial<HaTrackerOptions> = {}, defaults: TenantHaLimits = DEFAULTS) {
  const limits = new TenantLimits(defaults, parse(runtimeConfig, defaults));
  const store = new MemoryReplicaDescStore();
  const clock = { now: T0 };
  const tracker = new HaTracker({
    store,
    now: () => clock.now,
    random: () => 0.5,
    updateTimeoutMs: defaults.updateTimeoutMs,
    updateTimeoutJitterMaxMs: defaults.updateTimeoutJitterMaxMs,
    failoverTimeoutMs: defaults.failoverTimeoutMs,
    maxClusters: defaults.maxClusters,
    limitsFor: (tenant) => limits.forTenant(tenant),
    ...options,
  });
  return { tracker, store, clock, limits };
}

describe('HaTracker with per-tenant limits', () => {
  it('uses the tenant\'s update and failover timeouts (Mimir: defaults 15s/30s, tenant 5s/10s); another tenant\'s same-named cluster keeps the defaults', async () => {
    const { tracker, store } = setup('overrides:\n  fast:\n    ha_tracker_update_timeout: 5s\n    ha_tracker_failover_timeout: 10s\n');
    for (const tenant of ['fast', 'slow']) expect((await tracker.checkReplica(tenant, 'c', 'r1', T0)).kind).toBe('accept');

    // r1 keeps pushing for 5 s: the fast tenant's heartbeat is due at 5 s, the default tenant's is not.
    for (const tenant of ['fast', 'slow']) await tracker.checkReplica(tenant, 'c', 'r1', T0 + 5 * S);
    await tracker.tick(T0 + 5 * S);
    expect((await store.get(key('fast', 'c')))?.receivedAt).toBe(T0 + 5 * S);
    expect((await store.get(key('slow', 'c')))?.receivedAt).toBe(T0);

    // r1 stops; r2 pushes. The fast tenant fails over 10 s after r1's last stored sighting, not before.
    for (const at of [10 * S, 14 * S]) {
      for (const tenant of ['fast', 'slow']) expect((await tracker.checkReplica(tenant, 'c', 'r2', T0 + at)).kind).toBe('reject-follower');
      await tracker.tick(T0 + at);
    }
    expect((await store.get(key('fast', 'c')))?.replica).toBe('r1');
    for (const tenant of ['fast', 'slow']) await tracker.checkReplica(tenant, 'c', 'r2', T0 + 15 * S);
    await tracker.tick(T0 + 15 * S);
    expect((await store.get(key('fast', 'c')))?.replica).toBe('r2');
    expect(await tracker.checkReplica('fast', 'c', 'r2', T0 + 16 * S)).toEqual({ kind: 'accept' });
    expect((await store.get(key('slow', 'c')))?.replica).toBe('r1'); // 15 s < 30 s
    expect((await tracker.checkReplica('slow', 'c', 'r2', T0 + 16 * S)).kind).toBe('reject-follower');

    // The default tenant's heartbeat at 15 s stored r1's sighting at 5 s: its 30 s failover is due at 35 s.
    await tracker.checkReplica('slow', 'c', 'r2', T0 + 34 * S);
    await tracker.tick(T0 + 34 * S);
    expect((await store.get(key('slow', 'c')))?.replica).toBe('r1');
    await tracker.checkReplica('slow', 'c', 'r2', T0 + 35 * S);
    await tracker.tick(T0 + 35 * S);
    expect((await store.get(key('slow', 'c')))?.replica).toBe('r2');
  });

  it('limits clusters per tenant with the tenant\'s ha_max_clusters', async () => {
    const { tracker } = setup('overrides:\n  small:\n    ha_max_clusters: 1\n  unlimited:\n    ha_max_clusters: 0\n', {}, { ...DEFAULTS, maxClusters: 2 });
    expect((await tracker.checkReplica('small', 'a', 'r', T0)).kind).toBe('accept');
    expect(await tracker.checkReplica('small', 'b', 'r', T0)).toEqual({ kind: 'too-many-clusters', limit: 1 });
    for (const c of ['a', 'b']) expect((await tracker.checkReplica('default', c, 'r', T0)).kind).toBe('accept');
    expect(await tracker.checkReplica('default', 'c', 'r', T0)).toEqual({ kind: 'too-many-clusters', limit: 2 });
    for (let i = 0; i < 5; i++) expect((await tracker.checkReplica('unlimited', `c${i}`, 'r', T0)).kind).toBe('accept');
  });

  it('draws the tenant\'s jitter and applies its sample-time failover', async () => {
    // random 0.7 with jitter max 10s: +4s on a 5s update timeout, so the heartbeat is due at 9s, not 5s.
    const { tracker, store } = setup(
      'overrides:\n  j:\n    ha_tracker_update_timeout: 5s\n    ha_tracker_update_timeout_jitter_max: 10s\n    ha_tracker_failover_timeout: 16s\n' +
        '  s:\n    ha_tracker_update_timeout: 1s\n    ha_tracker_failover_timeout: 2s\n    ha_tracker_sample_failover_timeout: 30s\n',
      { random: () => 0.7 },
    );
    await tracker.checkReplica('j', 'c', 'r1', T0);
    await tracker.checkReplica('j', 'c', 'r1', T0 + 8 * S);
    await tracker.tick(T0 + 8 * S);
    expect((await store.get(key('j', 'c')))?.receivedAt).toBe(T0);
    await tracker.checkReplica('j', 'c', 'r1', T0 + 9 * S);
    await tracker.tick(T0 + 9 * S);
    expect((await store.get(key('j', 'c')))?.receivedAt).toBe(T0 + 9 * S);

    // Tenant s: wall-clock failover after 2s, but r2's samples are 25s old: not yet.
    await tracker.checkReplica('s', 'c', 'r1', T0);
    await tracker.checkReplica('s', 'c', 'r2', T0 + 5 * S, T0 - 20 * S);
    await tracker.tick(T0 + 5 * S);
    expect((await store.get(key('s', 'c')))?.replica).toBe('r1');
    await tracker.checkReplica('s', 'c', 'r2', T0 + 31 * S, T0 + 30 * S);
    await tracker.tick(T0 + 31 * S);
    expect((await store.get(key('s', 'c')))?.replica).toBe('r2');
  });

  it('applies a replaced override from the next decision on, and the status page shows the tenant\'s timeouts', async () => {
    const { tracker, store, limits } = setup('overrides:\n  t:\n    ha_tracker_update_timeout: 5s\n    ha_tracker_failover_timeout: 60s\n');
    await tracker.checkReplica('t', 'c', 'r1', T0);
    expect(tracker.status(T0)[0]).toMatchObject({ untilUpdateMs: 5 * S, untilFailoverMs: 60 * S });

    await tracker.checkReplica('t', 'c', 'r2', T0 + 10 * S);
    await tracker.tick(T0 + 10 * S);
    expect((await store.get(key('t', 'c')))?.replica).toBe('r1'); // 10s < 60s

    limits.replace(parse('overrides:\n  t:\n    ha_tracker_update_timeout: 5s\n    ha_tracker_failover_timeout: 8s\n'));
    expect(tracker.status(T0)[0]).toMatchObject({ untilFailoverMs: 8 * S });
    await tracker.checkReplica('t', 'c', 'r2', T0 + 11 * S);
    await tracker.tick(T0 + 11 * S);
    expect((await store.get(key('t', 'c')))?.replica).toBe('r2');

    limits.replace(new Map()); // override removed: the defaults again
    expect(tracker.status(T0 + 11 * S)[0]).toMatchObject({ untilUpdateMs: 15 * S, untilFailoverMs: 30 * S });
  });
});

describe('RuntimeConfigReloader on a real file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function fixture(initialText: string) {
    const dir = mkdtempSync(join(tmpdir(), 'promdedup-rtc-'));
    dirs.push(dir);
    const path = join(dir, 'runtime.yaml');
    // Replace by rename, as a ConfigMap update does: the reader never sees a half-written file.
    const write = (text: string) => {
      writeFileSync(`${path}.tmp`, text);
      renameSync(`${path}.tmp`, path);
    };
    write(initialText);
    const limits = new TenantLimits(DEFAULTS);
    const initial = loadRuntimeConfigFile(path, (text) => parse(text));
    limits.replace(initial.overrides);
    const lines: string[] = [];
    const clock = { now: T0 };
    const reloader = new RuntimeConfigReloader({
      path,
      periodMs: 1000,
      initial,
      parse: (text) => parse(text),
      apply: (o) => limits.replace(o),
      logger: createLogger('info', 'logfmt', (line) => lines.push(line)),
      now: () => clock.now,
    });
    return { path, write, limits, reloader, lines, clock, initial };
  }

  it('applies a changed file, keeps the old overrides on a broken one (logged once), and recovers', async () => {
    const { write, limits, reloader, lines, clock, initial } = fixture('overrides:\n  a:\n    ha_replica_label: ra\n');
    expect(limits.forTenant('a').replicaLabel).toBe('ra');
    expect(reloader.status()).toEqual({ lastReloadSuccessful: true, lastSuccessMs: T0, sha256: initial.sha256 });
    expect(await reloader.check()).toBe('unchanged');

    clock.now = T0 + 10 * S;
    write('overrides:\n  a:\n    ha_replica_label: ra2\n    accept_ha_samples: false\n');
    expect(await reloader.check()).toBe('reloaded');
    expect(limits.forTenant('a')).toMatchObject({ replicaLabel: 'ra2', acceptHaSamples: false });
    const good = reloader.status();
    expect(good).toMatchObject({ lastReloadSuccessful: true, lastSuccessMs: T0 + 10 * S });
    expect(good.sha256).not.toBe(initial.sha256);
    expect(lines.at(-1)).toMatch(/msg="runtime config reloaded".* tenants=a/);

    clock.now = T0 + 20 * S;
    write('overrides:\n  a:\n    ha_tracker_failover_timeout: 1s\n');
    expect(await reloader.check()).toBe('failed');
    expect(await reloader.check()).toBe('failed');
    expect(limits.forTenant('a')).toMatchObject({ replicaLabel: 'ra2', acceptHaSamples: false }); // the old file still rules
    expect(reloader.status()).toEqual({ ...good, lastReloadSuccessful: false });
    const errors = lines.filter((l) => l.includes('level=error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/runtime config reload failed, keeping the previous one.*overrides\.a: HA Tracker failover timeout \(1s\) must be at least 1s greater/);

    write('overrides: [\n');
    expect(await reloader.check()).toBe('failed');
    expect(lines.filter((l) => l.includes('level=error'))).toHaveLength(2); // new content, new message

    clock.now = T0 + 30 * S;
    write('overrides:\n  b:\n    ha_max_clusters: 3\n');
    expect(await reloader.check()).toBe('reloaded');
    expect(limits.forTenant('a')).toEqual(DEFAULTS);
    expect(limits.forTenant('b').maxClusters).toBe(3);
    expect(reloader.status()).toMatchObject({ lastReloadSuccessful: true, lastSuccessMs: T0 + 30 * S });
  });

  it('keeps the overrides while the file is missing, and reports it once', async () => {
    const { path, write, limits, reloader, lines } = fixture('overrides:\n  a:\n    ha_max_clusters: 7\n');
    rmSync(path);
    expect(await reloader.check()).toBe('failed');
    expect(await reloader.check()).toBe('failed');
    expect(limits.forTenant('a').maxClusters).toBe(7);
    expect(lines.filter((l) => /level=error.*ENOENT/.test(l))).toHaveLength(1);
    write('overrides:\n  a:\n    ha_max_clusters: 7\n');
    expect(await reloader.check()).toBe('reloaded');
    expect(reloader.status().lastReloadSuccessful).toBe(true);
  });

  it('names the file when the start-up load fails', () => {
    expect(() => loadRuntimeConfigFile('/nonexistent/runtime.yaml', (t) => parse(t))).toThrow(/--runtime-config\.file "\/nonexistent\/runtime\.yaml": ENOENT/);
    const { path, write } = fixture('');
    write('overrides:\n  x:\n    nope: 1\n');
    expect(() => loadRuntimeConfigFile(path, (t) => parse(t))).toThrow(new RegExp(`--runtime-config\\.file "${path.replace(/[.]/g, '\\.')}": overrides\\.x\\.nope: unknown key`));
  });
});

describe('ingest metrics on a real registry', () => {
  const value = async (registry: Registry, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> =>
    ((await registry.getSingleMetric(name)?.get())?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));

  it('exports the tracker with Mimir\'s names and user/cluster labels, and drops a forgotten cluster\'s series', async () => {
    const registry = new Registry();
    const metrics = createIngestMetrics(registry);
    const { tracker } = setup('', { metrics: metrics.tracker });
    tracker.watchStore(); // the propagation histogram observes the store's change feed
    await tracker.checkReplica('u', 'c', 'r1', T0);
    await tracker.checkReplica('u', 'c', 'r2', T0 + 31 * S);
    await tracker.tick(T0 + 31 * S); // fails over to r2
    metrics.observePush('u', { status: 202, body: '', outcome: 'deduped', samples: 3, cluster: 'c' }, 0.001);

    const uc = { user: 'u', cluster: 'c' };
    expect(await value(registry, 'promdedup_ha_tracker_elected_replica_changes_total')).toEqual([{ labels: uc, value: 2 }]);
    expect(await value(registry, 'promdedup_ha_tracker_reelections_total')).toEqual([{ labels: uc, value: 1 }]);
    expect(await value(registry, 'promdedup_ha_tracker_last_election_timestamp_seconds')).toEqual([{ labels: uc, value: (T0 + 31 * S) / 1000 }]);
    expect(await value(registry, 'promdedup_ha_tracker_elected_replica_timestamp_seconds')).toEqual([{ labels: uc, value: (T0 + 31 * S) / 1000 }]);
    expect(await value(registry, 'promdedup_ha_tracker_kv_store_cas_total')).toEqual([{ labels: uc, value: 2 }]);
    expect(await value(registry, 'promdedup_deduped_samples_total')).toEqual([{ labels: uc, value: 3 }]);

    await tracker.cleanup(T0 + 31 * S + 31 * MIN); // idle: soft-deleted and forgotten
    for (const name of [
      'promdedup_ha_tracker_elected_replica_changes_total',
      'promdedup_ha_tracker_reelections_total',
      'promdedup_ha_tracker_last_election_timestamp_seconds',
      'promdedup_ha_tracker_elected_replica_timestamp_seconds',
      'promdedup_ha_tracker_kv_store_cas_total',
      'promdedup_deduped_samples_total',
    ]) {
      expect(await value(registry, name), name).toEqual([]);
    }
    expect(await value(registry, 'promdedup_ha_tracker_replicas_cleanup_started_total')).toEqual([{ labels: {}, value: 1 }]);
    expect(await value(registry, 'promdedup_ha_tracker_replicas_cleanup_marked_for_deletion_total')).toEqual([{ labels: {}, value: 1 }]);
    expect(await registry.metrics()).toMatch(/promdedup_ha_tracker_elected_replica_change_propagation_time_seconds_count [1-9]/);
  });

  it('counts non-HA and too-many-clusters samples per user; follower samples are deduped, not discarded', async () => {
    const registry = new Registry();
    const metrics = createIngestMetrics(registry);
    metrics.observePush('u', { status: 200, body: '', outcome: 'non-ha', samples: 4, cluster: '' }, 0.001);
    metrics.observePush('u', { status: 400, body: '', outcome: 'rejected', samples: 5, cluster: 'c', discarded: 'too_many_ha_clusters' }, 0.001);
    metrics.observePush('u', { status: 400, body: 'bad snappy', outcome: 'rejected', samples: 0, cluster: '' }, 0.001);
    metrics.observePush('u', { status: 202, body: '', outcome: 'deduped', samples: 6, cluster: 'c' }, 0.001);
    expect(await value(registry, 'promdedup_non_ha_samples_received_total')).toEqual([{ labels: { user: 'u' }, value: 4 }]);
    expect(await value(registry, 'promdedup_discarded_samples_total')).toEqual([{ labels: { reason: 'too_many_ha_clusters', user: 'u' }, value: 5 }]);
    expect(await value(registry, 'promdedup_deduped_samples_total')).toEqual([{ labels: { user: 'u', cluster: 'c' }, value: 6 }]);
  });

  it('reads the runtime config state at scrape time', async () => {
    const registry = new Registry();
    let status = { lastReloadSuccessful: true, lastSuccessMs: T0, sha256: 'aa' };
    registerRuntimeConfigMetrics(registry, () => status);
    expect(await value(registry, 'promdedup_runtime_config_last_reload_successful')).toEqual([{ labels: {}, value: 1 }]);
    status = { lastReloadSuccessful: false, lastSuccessMs: T0, sha256: 'bb' };
    expect(await value(registry, 'promdedup_runtime_config_last_reload_successful')).toEqual([{ labels: {}, value: 0 }]);
    expect(await value(registry, 'promdedup_runtime_config_last_reload_success_timestamp_seconds')).toEqual([{ labels: {}, value: T0 / 1000 }]);
    expect(await value(registry, 'promdedup_runtime_config_hash')).toEqual([{ labels: { sha256: 'bb' }, value: 1 }]);
  });
});

describe('ingest flags for the overrides', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const file = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'promdedup-rtc-flags-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'runtime.yaml'), text);
    return join(dir, 'runtime.yaml');
  };
  // What commander hands over with every default in place.
  const raw = (over: Partial<RawIngestFlags> = {}): RawIngestFlags => ({
    httpAddress: '127.0.0.1:0',
    'remoteWrite.url': ['http://127.0.0.1:9/api/v1/write'],
    'remoteWrite.maxRequestBytes': '10485760',
    'remoteWrite.workerMinBytes': '1048576',
    'remoteWrite.workerThreads': '1',
    'haTracker.cluster': 'cluster',
    'haTracker.replica': '__replica__',
    'haTracker.updateTimeout': '15s',
    'haTracker.updateTimeoutJitterMax': '5s',
    'haTracker.failoverTimeout': '30s',
    'haTracker.maxClusters': '100',
    'haTracker.failoverSampleTimeout': '0s',
    'haTracker.enableForAllUsers': true,
    'haTracker.store': 'memory',
    'haTracker.prefix': 'ha-tracker/',
    'auth.multitenancyEnabled': true,
    'runtimeConfig.reloadPeriod': '10s',
    ...over,
  });

  it('gives tenants the flags\' values, including --ha-tracker.enable-for-all-users for accept_ha_samples', () => {
    const config = parseIngestFlags(raw({
      'haTracker.enableForAllUsers': 'false',
      'haTracker.replica': 'replica',
      'runtimeConfig.file': file('overrides:\n  opted-in:\n    accept_ha_samples: true\n'),
      'runtimeConfig.reloadPeriod': '2s',
    }));
    expect(config.acceptHaSamples).toBe(false);
    expect(config.runtimeConfig?.reloadPeriodMs).toBe(2000);
    expect(config.runtimeConfig?.initial.overrides.get('opted-in')).toMatchObject({ acceptHaSamples: true, replicaLabel: 'replica', updateTimeoutJitterMaxMs: 5000 });
    expect(parseIngestFlags(raw()).runtimeConfig).toBeNull();
  });

  it('turns a bad file or period into a FlagError (exit 2)', () => {
    const bad = file('overrides:\n  t:\n    ha_tracker_failover_timeout: 20s\n');
    expect(() => parseIngestFlags(raw({ 'runtimeConfig.file': bad }))).toThrow(FlagError);
    expect(() => parseIngestFlags(raw({ 'runtimeConfig.file': bad }))).toThrow(/overrides\.t: HA Tracker failover timeout \(20s\) must be at least 1s greater than update timeout - max jitter \(21s\)/);
    expect(() => parseIngestFlags(raw({ 'runtimeConfig.reloadPeriod': '0s' }))).toThrow(/--runtime-config\.reload-period: must be greater than 0/);
    expect(() => parseIngestFlags(raw({ 'haTracker.enableForAllUsers': 'yes' }))).toThrow(/--ha-tracker\.enable-for-all-users: expected true or false/);
  });
});
