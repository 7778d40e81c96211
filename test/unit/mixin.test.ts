/**
 * deploy/mixin: `promtool check rules` and `promtool test rules` on the alert rules (skipped
 * without promtool), and the dashboards: they parse, they are what generate.mjs writes, every
 * PromQL expression in them and in the rules parses with promdedup's parser, and every metric
 * they name is one promdedup exports (the list below, itself checked against the real metric
 * classes' registries).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DnsMetrics, GateMetrics, handlerName, HttpMetrics } from '../../src/api/metrics.js';
import { GrpcServerMetrics } from '../../src/api/grpc/metrics.js';
import { GrpcClientMetrics } from '../../src/store/grpc/metrics.js';
import { createIngestMetrics, registerRuntimeConfigMetrics } from '../../src/ingest/metrics.js';
import { parseExpr } from '../../src/promql/parser.js';
import { QueryMetrics } from '../../src/query/metrics.js';
import { Gate } from '../../src/util/gate.js';
import { repoRoot } from '../support/querier-process.js';

const MIXIN = join(repoRoot(), 'deploy', 'mixin');
const promtoolOk = spawnSync('promtool', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
if (!promtoolOk) console.warn('mixin: promtool not on PATH (sudo apt-get install -y prometheus): skipping the promtool checks');

/** Process metrics of prom-client's collectDefaultMetrics that the dashboards use. */
const PROCESS = ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds'];

/** What `promdedup query` exports (histograms as their series names), besides Prometheus' `up`. */
const QUERY_METRICS = [
  ...['http_requests_total', 'http_request_duration_seconds_bucket', 'http_request_duration_seconds_count', 'http_request_duration_seconds_sum'],
  'thanos_query_concurrent_gate_queries_max',
  'thanos_query_concurrent_gate_queries_in_flight',
  'thanos_query_concurrent_gate_queries_total',
  ...['bucket', 'count', 'sum'].map((s) => `thanos_query_concurrent_gate_queries_duration_seconds_${s}`),
  'thanos_query_store_apis_dns_lookups_total',
  'thanos_query_store_apis_dns_failures_total',
  'grpc_client_started_total',
  'grpc_client_handled_total',
  ...['bucket', 'count', 'sum'].map((s) => `grpc_client_handling_seconds_${s}`),
  'grpc_server_started_total',
  'grpc_server_handled_total',
  ...['bucket', 'count', 'sum'].map((s) => `grpc_server_handling_seconds_${s}`),
  ...['bucket', 'count', 'sum'].map((s) => `promdedup_store_select_duration_seconds_${s}`),
  'promdedup_store_select_errors_total',
  'promdedup_dedup_samples_in_total',
  'promdedup_dedup_samples_out_total',
  'promdedup_queries_total',
  'promdedup_query_workers',
  'promdedup_query_workers_stopped_total',
  'promdedup_endpoint_up',
  ...PROCESS,
];

/** What `promdedup ingest` exports. */
const INGEST_METRICS = [
  'promdedup_ingest_requests_total',
  ...['bucket', 'count', 'sum'].map((s) => `promdedup_ingest_request_duration_seconds_${s}`),
  'promdedup_deduped_samples_total',
  'promdedup_non_ha_samples_received_total',
  'promdedup_discarded_samples_total',
  'promdedup_ha_tracker_elected_replica_changes_total',
  'promdedup_ha_tracker_elected_replica_timestamp_seconds',
  'promdedup_ha_tracker_last_election_timestamp_seconds',
  'promdedup_ha_tracker_reelections_total',
  ...['bucket', 'count', 'sum'].map((s) => `promdedup_ha_tracker_elected_replica_change_propagation_time_seconds_${s}`),
  'promdedup_ha_tracker_kv_store_cas_total',
  'promdedup_ha_tracker_kv_store_cas_failures_total',
  'promdedup_ha_tracker_replicas_cleanup_started_total',
  'promdedup_ha_tracker_replicas_cleanup_marked_for_deletion_total',
  'promdedup_ha_tracker_replicas_cleanup_deleted_total',
  'promdedup_ha_tracker_replicas_cleanup_delete_failed_total',
  'promdedup_runtime_config_last_reload_successful',
  'promdedup_runtime_config_last_reload_success_timestamp_seconds',
  'promdedup_runtime_config_hash',
  ...PROCESS,
];

/** Series names a registry exports (histograms and summaries expanded). */
async function exported(registry: Registry): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_count', '_sum']) out.add(m.name + s);
    else if (type === 'summary') for (const s of ['', '_count', '_sum']) out.add(m.name + s);
    else out.add(m.name);
  }
  return out;
}

/** The querier's and the ingester's registries, built with the classes the commands use. */
async function realNames(): Promise<{ query: Set<string>; ingest: Set<string> }> {
  const q = new Registry();
  collectDefaultMetrics({ register: q });
  new QueryMetrics(q).watchEndpoints(q, () => []);
  new HttpMetrics(q);
  const gate = new GateMetrics(q, 20);
  gate.watch(new Gate(20, gate));
  new DnsMetrics(q);
  new GrpcServerMetrics(q);
  new GrpcClientMetrics(q);
  const i = new Registry();
  collectDefaultMetrics({ register: i });
  createIngestMetrics(i);
  registerRuntimeConfigMetrics(i, () => ({ lastReloadSuccessful: true, lastSuccessMs: 0, sha256: '' }));
  return { query: await exported(q), ingest: await exported(i) };
}

/** Metric names of every vector selector in an expression. */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const n = node as { kind?: string; name?: string; matchers?: readonly { name: string; value: string }[] };
    if (n.kind === 'VectorSelector') {
      const name = n.name || n.matchers?.find((m) => m.name === '__name__')?.value;
      names.push(name ?? '');
    }
    for (const v of Object.values(node)) walk(v);
  };
  walk(parseExpr(expr));
  return names;
}

/** Grafana's variables, replaced by what Grafana would send. */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '1m').replace(/\$\{?(job|instance)\}?/g, '.*');
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

function ruleFiles(): { file: string; rules: Rule[] }[] {
  const dir = join(MIXIN, 'alerts');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => {
      const doc = parseYaml(readFileSync(join(dir, f), 'utf8')) as { groups: { rules: Rule[] }[] };
      return { file: f, rules: doc.groups.flatMap((g) => g.rules) };
    });
}

function dashboardExprs(file: string): { title: string; expr: string }[] {
  const d = JSON.parse(readFileSync(join(MIXIN, 'dashboards', file), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  return d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
}

describe('deploy/mixin', () => {
  it('the metric lists are what the metric classes register', async () => {
    const real = await realNames();
    expect(QUERY_METRICS.filter((n) => !real.query.has(n))).toEqual([]);
    expect(INGEST_METRICS.filter((n) => !real.ingest.has(n))).toEqual([]);
  });

  it.skipIf(!promtoolOk)('promtool check rules accepts every rule file', () => {
    const files = readdirSync(join(MIXIN, 'alerts')).filter((f) => f.endsWith('.yml'));
    expect(files.sort()).toEqual(['promdedup-ingest.rules.yml', 'promdedup-query.rules.yml']);
    const out = execFileSync('promtool', ['check', 'rules', ...files.map((f) => join(MIXIN, 'alerts', f))], { encoding: 'utf8', stdio: 'pipe' });
    expect(out).toMatch(/SUCCESS: 13 rules found/);
    expect(out).toMatch(/SUCCESS: 6 rules found/);
  });

  it.skipIf(!promtoolOk)('promtool test rules passes, and every alert has a test in which it fires', () => {
    const tests = readdirSync(join(MIXIN, 'tests')).filter((f) => f.endsWith('.test.yml'));
    const r = spawnSync('promtool', ['test', 'rules', ...tests.map((f) => join(MIXIN, 'tests', f))], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const firing = new Set<string>();
    for (const f of tests) {
      const doc = parseYaml(readFileSync(join(MIXIN, 'tests', f), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
      for (const t of doc.tests) for (const a of t.alert_rule_test ?? []) if (a.exp_alerts.length > 0) firing.add(a.alertname);
    }
    const alerts = ruleFiles().flatMap((f) => f.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
  });

  it('every rule expression parses and names only exported metrics', () => {
    for (const { file, rules } of ruleFiles()) {
      const known = new Set([...(file.includes('ingest') ? INGEST_METRICS : QUERY_METRICS), 'up']);
      for (const rule of rules) {
        const names = metricNames(rule.expr);
        expect(names.length, rule.alert).toBeGreaterThan(0);
        expect(names.filter((n) => !known.has(n)), `${file} ${rule.alert}`).toEqual([]);
      }
    }
  });

  it('the dashboards are valid JSON, as generate.mjs writes them', () => {
    const script = join(MIXIN, 'dashboards', 'generate.mjs');
    const generated = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(script)}).then((m) => process.stdout.write(JSON.stringify(m.dashboards())))`], { encoding: 'utf8' }),
    ) as Record<string, string>;
    expect(Object.keys(generated).sort()).toEqual(['promdedup-ingest.json', 'promdedup-query.json']);
    for (const [file, text] of Object.entries(generated)) {
      expect(readFileSync(join(MIXIN, 'dashboards', file), 'utf8'), `${file} is stale: run node deploy/mixin/dashboards/generate.mjs`).toBe(text);
      const d = JSON.parse(text) as { uid: string; panels: { id: number; gridPos: object }[]; templating: { list: { name: string }[] } };
      expect(d.uid).toMatch(/^promdedup-/);
      expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
      expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance']);
    }
  });

  for (const [file, list, must] of [
    ['promdedup-query.json', QUERY_METRICS, ['http_requests_total', 'promdedup_dedup_samples_in_total', 'promdedup_store_select_errors_total', 'promdedup_endpoint_up']],
    ['promdedup-ingest.json', INGEST_METRICS, ['promdedup_ingest_requests_total', 'promdedup_deduped_samples_total', 'promdedup_ha_tracker_elected_replica_changes_total']],
  ] as const) {
    it(`${file}: every expression parses and names only metrics promdedup exports`, () => {
      const exprs = dashboardExprs(file);
      expect(exprs.length).toBeGreaterThan(10);
      const known = new Set<string>(list);
      const used = new Set<string>();
      for (const { title, expr } of exprs) {
        const names = metricNames(substitute(expr));
        expect(names.filter((n) => !known.has(n)), `${title}: ${expr}`).toEqual([]);
        for (const n of names) used.add(n);
      }
      for (const n of must) expect(used.has(n), n).toBe(true);
    });
  }

  it('the dashboards\' variable queries name exported metrics', () => {
    for (const file of ['promdedup-query.json', 'promdedup-ingest.json']) {
      const d = JSON.parse(readFileSync(join(MIXIN, 'dashboards', file), 'utf8')) as { templating: { list: { type: string; definition?: string }[] } };
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const m = /^label_values\((.*), \w+\)$/.exec(v.definition ?? '');
        expect(m, v.definition).not.toBeNull();
        expect(metricNames(substitute(m![1]!))).toEqual(['up']);
      }
    }
  });
});

describe('handler label', () => {
  it('uses Thanos\' route names, the path for routes Thanos has not, not_found without a route', () => {
    expect(handlerName('/api/v1/query', 'GET')).toBe('query');
    expect(handlerName('/api/v1/query_range', 'POST')).toBe('query_range');
    expect(handlerName('/api/v1/query_explain', 'GET')).toBe('query');
    expect(handlerName('/api/v1/labels', 'GET')).toBe('label_names');
    expect(handlerName('/api/v1/label/:name/values', 'GET')).toBe('label_values');
    expect(handlerName('/api/v1/status/runtimeinfo', 'GET')).toBe('status_runtime');
    expect(handlerName('/api/v1/query_exemplars', 'POST')).toBe('exemplars');
    expect(handlerName('/api/v1/*', 'OPTIONS')).toBe('options');
    expect(handlerName('/api/v1/format_query', 'GET')).toBe('format_query');
    expect(handlerName('/api/v1/status/:what/details', 'GET')).toBe('status_details');
    expect(handlerName('/-/ready', 'GET')).toBe('ready');
    expect(handlerName('/ui/assets/*', 'GET')).toBe('/ui/assets/*');
    expect(handlerName(undefined, 'GET')).toBe('not_found');
  });
});
