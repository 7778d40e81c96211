/**
 * End to end: the endpoints Grafana calls besides queries (query_exemplars, rules, alerts,
 * format_query) over two real Prometheus replicas with the same rules and the same scrape target,
 * and a third Prometheus (no replica label) as the reference for the answers' shapes.
 *
 * The rules fire on `vector(1)` every second; the target is a tiny HTTP server of this test that
 * exposes a counter with an exemplar in OpenMetrics text (its timestamp fixed when the test starts,
 * so both replicas store the same exemplar).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, type ApiAnswer } from '../support/compare.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt, querierSourcePresent, startQuerier, type QuerierProcess } from '../support/querier-process.js';

const promOk = prometheusAvailable();
const querierOk = querierSourcePresent();
if (!promOk) console.warn('e2e: prometheus/promtool not on PATH (sudo apt-get install -y prometheus): skipping');

const RULES = `groups:
  - name: demo
    interval: 1s
    rules:
      - record: demo:one
        expr: vector(1)
      - alert: DemoAlwaysFiring
        expr: vector(1) > 0
        labels:
          severity: page
        annotations:
          summary: "always <firing> & on"
`;

type Json = Record<string, unknown>;

/** Key order of every object, recursively (arrays: their first element); leaves become their JSON type. */
function shape(x: unknown): unknown {
  if (Array.isArray(x)) return x.length > 0 ? [shape(x[0])] : [];
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return Object.entries(x as Json).map(([k, v]) => [k, ['labels', 'annotations', 'seriesLabels', 'discoveredLabels'].includes(k) ? 'labels' : shape(v)]);
}

async function until<T>(what: string, f: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const groups = (a: ApiAnswer) => (a.body.data as { groups: Json[] }).groups;
const alertsOf = (a: ApiAnswer) => (a.body.data as { alerts: Json[] }).alerts;
const rulesOf = (g: Json) => g.rules as Json[];

describe.skipIf(!promOk || !querierOk)('Grafana endpoints over two replicas', () => {
  let target: Server;
  let a: PrometheusServer | undefined;
  let b: PrometheusServer | undefined;
  let ref: PrometheusServer | undefined;
  let querier: QuerierProcess | undefined;
  /** The exemplar's timestamp, seconds: when the test started. */
  const exemplarTs = Math.floor(Date.now() / 1000);
  const window = () => ({ start: exemplarTs - 600, end: Math.ceil(Date.now() / 1000) + 600 });
  let bHost = '';
  /** The rule file, one path for every server (HA replicas load the same file). */
  const rulesDir = mkdtempSync(join(tmpdir(), 'promdedup-rules-'));
  const rulesFile = join(rulesDir, 'demo.rules.yml');

  beforeAll(async () => {
    ensureQuerierBuilt();
    writeFileSync(rulesFile, RULES);
    target = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      res.end(
        '# TYPE demo_requests counter\n' +
          `demo_requests_total{path="/a"} 5 # {trace_id="abc123"} 1.5 ${exemplarTs}.25\n` +
          '# EOF\n',
      );
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const addr = target.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const common = {
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ruleFiles: [rulesFile],
      extraArgs: ['--enable-feature=exemplar-storage'],
      scrapeConfigs: [
        {
          job_name: 'demo',
          static_configs: [{ targets: [`127.0.0.1:${port}`, '127.0.0.1:1'] }],
          // One dropped target for /api/v1/targets.
          relabel_configs: [{ source_labels: ['__address__'], regex: '127\\.0\\.0\\.1:1', action: 'drop' }],
        },
      ],
    };
    const started = await Promise.allSettled([
      startPrometheus({ ...common, externalLabels: { cluster: 'c1', replica: 'a' } }),
      startPrometheus({ ...common, externalLabels: { cluster: 'c1', replica: 'b' } }),
      startPrometheus({ ...common, externalLabels: { cluster: 'c1' } }),
    ]);
    [a, b, ref] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    bHost = new URL(b!.url).host;
    querier = await startQuerier({ endpoints: [a!.url, b!.url], replicaLabels: ['replica'] });
    // Both replicas firing and holding the exemplar.
    for (const p of [a!, b!, ref!]) {
      await until(`${p.url} firing`, async () => {
        const r = await apiGet(p.url, '/api/v1/alerts');
        return alertsOf(r).some((x) => x.state === 'firing') ? true : null;
      });
      await until(`${p.url} exemplar`, async () => {
        const r = await apiGet(p.url, '/api/v1/query_exemplars', { query: 'demo_requests_total', ...window() });
        return (r.body.data as unknown[]).length > 0 ? true : null;
      });
    }
  }, 180_000);

  afterAll(async () => {
    await querier?.stop();
    await Promise.all([a, b, ref].map((p) => p?.stop()));
    await new Promise((r) => target?.close(r));
    rmSync(rulesDir, { recursive: true, force: true });
  });

  describe('/api/v1/rules', () => {
    it('dedup on: one group, one copy of each rule, one alert, no replica label; the shape of a single Prometheus', async () => {
      const [got, single] = await Promise.all([apiGet(querier!.url, '/api/v1/rules'), apiGet(ref!.url, '/api/v1/rules')]);
      expect(got.httpStatus).toBe(200);
      expect(got.body.warnings ?? []).toEqual([]);
      expect(groups(got).length).toBe(1);
      const g = groups(got)[0]!;
      expect(g.name).toBe('demo');
      expect(g.file).toBe(rulesFile);
      const rules = rulesOf(g);
      expect(rules.map((r) => r.name)).toEqual(['demo:one', 'DemoAlwaysFiring']);
      expect(rules[0]!.labels).toEqual({ cluster: 'c1' });
      const alerting = rules[1]!;
      expect(alerting.labels).toEqual({ cluster: 'c1', severity: 'page' });
      expect(alerting.state).toBe('firing');
      const alerts = alerting.alerts as Json[];
      expect(alerts.length).toBe(1);
      expect(alerts[0]!.labels).toEqual({ alertname: 'DemoAlwaysFiring', cluster: 'c1', severity: 'page' });
      expect(alerts[0]!.annotations).toEqual({ summary: 'always <firing> & on' });
      // Field order and types as the reference Prometheus answers. Its recording rule has no labels
      // (omitempty; it has no replica label to drop, and Prometheus does not add external labels):
      // ours has the external label, where Go would place it.
      expect(Object.keys(rules[0]!)).toEqual(['name', 'query', 'labels', 'health', 'evaluationTime', 'lastEvaluation', 'type']);
      const withoutRecordingLabels = (body: unknown) => {
        const copy = JSON.parse(JSON.stringify(body)) as { data: { groups: Json[] } };
        for (const g of copy.data.groups) for (const r of rulesOf(g)) if (r.type === 'recording') delete r.labels;
        return copy;
      };
      expect(shape(withoutRecordingLabels(got.body))).toEqual(shape(withoutRecordingLabels(single.body)));
    });

    it('keeps Go\'s escaping of <, > and & in strings', async () => {
      const res = await fetch(`${querier!.url}/api/v1/rules`);
      const text = await res.text();
      expect(text).toContain('always \\u003cfiring\\u003e \\u0026 on');
      expect(text).toContain('"query":"vector(1) \\u003e 0"');
      expect(res.headers.get('content-type')).toBe('application/json');
    });

    it('dedup=false: both replicas\' rules and alerts, each with its replica label', async () => {
      const got = await apiGet(querier!.url, '/api/v1/rules', { dedup: 'false' });
      expect(groups(got).length).toBe(1);
      const rules = rulesOf(groups(got)[0]!);
      expect(rules.length).toBe(4);
      expect(new Set(rules.map((r) => (r.labels as Json).replica))).toEqual(new Set(['a', 'b']));
      for (const r of rules.filter((x) => x.type === 'alerting')) {
        const alerts = r.alerts as Json[];
        expect(alerts.length).toBe(1);
        expect((alerts[0]!.labels as Json).replica).toBe((r.labels as Json).replica);
      }
    });

    it('filters: type, rule_name[], rule_group[], file[], match[], exclude_alerts', async () => {
      const names = async (params: Record<string, string | string[]>) =>
        groups(await apiGet(querier!.url, '/api/v1/rules', params)).flatMap((g) => rulesOf(g).map((r) => r.name));
      expect(await names({ type: 'record' })).toEqual(['demo:one']);
      expect(await names({ type: 'ALERT' })).toEqual(['DemoAlwaysFiring']);
      expect(await names({ 'rule_name[]': ['demo:one', 'nope'] })).toEqual(['demo:one']);
      expect(await names({ 'rule_group[]': 'nope' })).toEqual([]);
      expect(await names({ 'file[]': 'nope' })).toEqual([]);
      expect(await names({ 'rule_group[]': 'demo' })).toEqual(['demo:one', 'DemoAlwaysFiring']);
      expect(await names({ 'match[]': '{severity="page"}' })).toEqual(['DemoAlwaysFiring']);
      expect(await names({ 'match[]': '{cluster="c1"}' })).toEqual(['demo:one', 'DemoAlwaysFiring']);
      const excluded = await apiGet(querier!.url, '/api/v1/rules', { type: 'alert', exclude_alerts: 'true' });
      expect(rulesOf(groups(excluded)[0]!)[0]!.alerts).toBeNull();
      const file = String(groups(await apiGet(querier!.url, '/api/v1/rules'))[0]!.file);
      expect(await names({ 'file[]': file })).toEqual(['demo:one', 'DemoAlwaysFiring']);
    });

    it('a bad type is a 400 with Prometheus\' message', async () => {
      const [got, want] = await Promise.all([
        apiGet(querier!.url, '/api/v1/rules', { type: 'bogus' }),
        apiGet(a!.url, '/api/v1/rules', { type: 'bogus' }),
      ]);
      expect(got.httpStatus).toBe(400);
      expect(want.httpStatus).toBe(400);
      expect(got.body).toEqual(want.body);
    });
  });

  describe('/api/v1/alerts', () => {
    it('dedup on: one alert without the replica label; the shape of a single Prometheus', async () => {
      const [got, single] = await Promise.all([apiGet(querier!.url, '/api/v1/alerts'), apiGet(ref!.url, '/api/v1/alerts')]);
      expect(got.httpStatus).toBe(200);
      const alerts = alertsOf(got);
      expect(alerts.length).toBe(1);
      expect(alerts[0]!.labels).toEqual({ alertname: 'DemoAlwaysFiring', cluster: 'c1', severity: 'page' });
      expect(alerts[0]!.state).toBe('firing');
      // The earliest activeAt of the two replicas.
      const [fromA, fromB] = await Promise.all([apiGet(a!.url, '/api/v1/alerts'), apiGet(b!.url, '/api/v1/alerts')]);
      const times = [alertsOf(fromA)[0]!.activeAt, alertsOf(fromB)[0]!.activeAt].map((t) => Date.parse(String(t)));
      expect(Date.parse(String(alerts[0]!.activeAt))).toBe(Math.min(...times));
      expect(shape(got.body)).toEqual(shape(single.body));
    });

    it('dedup=false: one alert per replica', async () => {
      const got = await apiGet(querier!.url, '/api/v1/alerts', { dedup: 'false' });
      expect(alertsOf(got).map((x) => (x.labels as Json).replica).sort()).toEqual(['a', 'b']);
    });
  });

  describe('/api/v1/query_exemplars', () => {
    it('dedup on: one series without the replica label, the exemplar once; the shape of a single Prometheus', async () => {
      const params = { query: 'rate(demo_requests_total[5m])', ...window() };
      const [got, single] = await Promise.all([
        apiGet(querier!.url, '/api/v1/query_exemplars', params),
        apiGet(ref!.url, '/api/v1/query_exemplars', params),
      ]);
      expect(got.httpStatus).toBe(200);
      expect(got.body.warnings ?? []).toEqual([]);
      const data = got.body.data as { seriesLabels: Json; exemplars: Json[] }[];
      expect(data.length).toBe(1);
      expect(data[0]!.seriesLabels).toEqual({ __name__: 'demo_requests_total', cluster: 'c1', instance: expect.any(String), job: 'demo', path: '/a' });
      expect(data[0]!.exemplars).toEqual([{ labels: { trace_id: 'abc123' }, value: '1.5', timestamp: exemplarTs + 0.25 }]);
      expect(shape(got.body)).toEqual(shape(single.body));
      // The exemplar as the replicas themselves print it.
      const rawA = await (await fetch(`${a!.url}/api/v1/query_exemplars?${new URLSearchParams({ query: params.query, start: String(params.start), end: String(params.end) })}`)).text();
      const rawQ = await (await fetch(`${querier!.url}/api/v1/query_exemplars?${new URLSearchParams({ query: params.query, start: String(params.start), end: String(params.end) })}`)).text();
      const exemplarText = (s: string) => s.slice(s.indexOf('"exemplars":'));
      expect(exemplarText(rawQ)).toBe(exemplarText(rawA));
    });

    it('POST, matchers on external labels resolved locally, dedup=false', async () => {
      const form = new URLSearchParams({ query: 'demo_requests_total{cluster="c1", replica="b"}', start: String(window().start), end: String(window().end) });
      const res = await fetch(`${querier!.url}/api/v1/query_exemplars?dedup=false`, { method: 'POST', body: form });
      expect(res.status).toBe(200);
      const data = ((await res.json()) as { data: { seriesLabels: Json }[] }).data;
      expect(data.map((s) => s.seriesLabels.replica)).toEqual(['b']);
      const both = await apiGet(querier!.url, '/api/v1/query_exemplars', { query: 'demo_requests_total', dedup: 'false', ...window() });
      expect((both.body.data as { seriesLabels: Json }[]).map((s) => s.seriesLabels.replica)).toEqual(['a', 'b']);
      const none = await apiGet(querier!.url, '/api/v1/query_exemplars', { query: 'demo_requests_total{cluster="other"}', ...window() });
      expect(none.body.data).toEqual([]);
    });

    it('a query without selectors is a 204 without body, as Prometheus; a bad query is a 400', async () => {
      const [got, want] = await Promise.all([
        fetch(`${querier!.url}/api/v1/query_exemplars?query=1%2B1`),
        fetch(`${a!.url}/api/v1/query_exemplars?query=1%2B1`),
      ]);
      expect(want.status).toBe(204);
      expect(got.status).toBe(204);
      expect(await got.text()).toBe('');
      const [bad, badWant] = await Promise.all([
        apiGet(querier!.url, '/api/v1/query_exemplars', { query: 'sum(' }),
        apiGet(a!.url, '/api/v1/query_exemplars', { query: 'sum(' }),
      ]);
      expect(bad.httpStatus).toBe(400);
      expect(badWant.httpStatus).toBe(400);
      expect(bad.body.errorType).toBe('bad_data');
      expect(bad.body.errorType).toBe(badWant.body.errorType);
      const [backwards, backwardsWant] = await Promise.all([
        apiGet(querier!.url, '/api/v1/query_exemplars', { query: 'up', start: 10, end: 5 }),
        apiGet(a!.url, '/api/v1/query_exemplars', { query: 'up', start: 10, end: 5 }),
      ]);
      expect(backwards.httpStatus).toBe(400);
      expect(backwards.body).toEqual(backwardsWant.body);
      const [badStart, badStartWant] = await Promise.all([
        apiGet(querier!.url, '/api/v1/query_exemplars', { query: 'up', start: 'x' }),
        apiGet(a!.url, '/api/v1/query_exemplars', { query: 'up', start: 'x' }),
      ]);
      expect(badStart.body).toEqual(badStartWant.body);
    });
  });

  describe('/api/v1/format_query', () => {
    it('formats as Prometheus does', async () => {
      const long = 'http_requests_total{job="api-server",handler="/api/v1/query_range",code=~"5.."}';
      const queries = [
        'sum(rate(foo{a="b"}[5m]))by(job)',
        'a+on(b)group_left(c)d',
        'x offset 5m',
        'topk(3,up)',
        // Longer than 100 characters: split over lines as Prometheus' Prettify does.
        `sum by (job, instance) (rate(${long}[5m])) / on (job) group_left sum by (job) (rate(${long}[5m]))`,
        `histogram_quantile(0.99, sum by (le) (rate(${long}[5m]))) > bool 0.5`,
        `-(max_over_time(rate(${long}[5m])[1h:5m]) or vector(0))`,
        `topk(5, count_values("value", ${long}) * 2)`,
      ];
      for (const query of queries) {
        const [got, want] = await Promise.all([apiGet(querier!.url, '/api/v1/format_query', { query }), apiGet(a!.url, '/api/v1/format_query', { query })]);
        expect(got.httpStatus).toBe(200);
        expect(got.body).toEqual(want.body);
      }
      const bad = await apiGet(querier!.url, '/api/v1/format_query', { query: 'sum(' });
      expect(bad.httpStatus).toBe(400);
      expect(bad.body.errorType).toBe('bad_data');
      expect(String(bad.body.error)).toMatch(/^invalid parameter "query": /);
    });
  });

  describe('/api/v1/parse_query', () => {
    it('answers the AST as Prometheus 3.x does (2.42 has no parse_query to compare with)', async () => {
      const form = new URLSearchParams({ query: 'foo / bar' });
      const res = await fetch(`${querier!.url}/api/v1/parse_query`, { method: 'POST', body: form });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.startsWith('{"status":"success","data":{"bool":false,"lhs":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"}]')).toBe(true);
      const bad = await apiGet(querier!.url, '/api/v1/parse_query', { query: 'foo /' });
      expect(bad.httpStatus).toBe(400);
      expect(String(bad.body.error)).toMatch(/^invalid parameter "query": /);
    });
  });

  describe('/api/v1/targets', () => {
    type Targets = { activeTargets: Json[]; droppedTargets: Json[] };
    const targets = (a: ApiAnswer) => a.body.data as Targets;

    it('dedup on: one active and one dropped target, no replica label; the shape of a single Prometheus', async () => {
      const [got, single] = await Promise.all([apiGet(querier!.url, '/api/v1/targets'), apiGet(ref!.url, '/api/v1/targets')]);
      expect(got.httpStatus).toBe(200);
      const t = targets(got);
      expect(t.activeTargets.length).toBe(1);
      expect(t.droppedTargets.length).toBe(1);
      const active = t.activeTargets[0]!;
      expect(active.labels).toEqual({ cluster: 'c1', instance: expect.any(String), job: 'demo' });
      expect((active.discoveredLabels as Json).replica).toBeUndefined();
      expect((active.discoveredLabels as Json).cluster).toBe('c1');
      expect(active.health).toBe('up');
      expect((t.droppedTargets[0]!.discoveredLabels as Json).__address__).toBe('127.0.0.1:1');
      expect(shape(got.body)).toEqual(shape(single.body));
    });

    it('dedup=false: each replica\'s targets; state and scrapePool', async () => {
      const all = targets(await apiGet(querier!.url, '/api/v1/targets', { dedup: 'false' }));
      expect(all.activeTargets.map((x) => (x.labels as Json).replica).sort()).toEqual(['a', 'b']);
      expect(all.droppedTargets.map((x) => (x.discoveredLabels as Json).replica).sort()).toEqual(['a', 'b']);
      const active = targets(await apiGet(querier!.url, '/api/v1/targets', { state: 'active' }));
      expect([active.activeTargets.length, active.droppedTargets.length]).toEqual([1, 0]);
      const dropped = targets(await apiGet(querier!.url, '/api/v1/targets', { state: 'Dropped' }));
      expect([dropped.activeTargets.length, dropped.droppedTargets.length]).toEqual([0, 1]);
      const [bogus, bogusWant] = await Promise.all([
        apiGet(querier!.url, '/api/v1/targets', { state: 'bogus' }),
        apiGet(a!.url, '/api/v1/targets', { state: 'bogus' }),
      ]);
      expect(bogus.body).toEqual(bogusWant.body);
      const otherPool = targets(await apiGet(querier!.url, '/api/v1/targets', { state: 'active', scrapePool: 'nope' }));
      expect(otherPool.activeTargets).toEqual([]);
      const demoPool = targets(await apiGet(querier!.url, '/api/v1/targets', { state: 'active', scrapePool: 'demo' }));
      expect(demoPool.activeTargets.length).toBe(1);
    });
  });

  describe('/api/v1/status/runtimeinfo', () => {
    it('Prometheus\' fields in its order, promdedup\'s values', async () => {
      const [got, want] = await Promise.all([apiGet(querier!.url, '/api/v1/status/runtimeinfo'), apiGet(a!.url, '/api/v1/status/runtimeinfo')]);
      expect(got.httpStatus).toBe(200);
      expect(shape(got.body)).toEqual(shape(want.body));
      const d = got.body.data as Json;
      expect(Date.parse(String(d.startTime))).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(String(d.startTime))).toBeGreaterThan(Date.now() - 3600_000);
      expect(d.CWD).toEqual(expect.any(String));
      expect(d.storageRetention).toBe('');
    });
  });

  describe('with replica B down', () => {
    beforeAll(async () => {
      await b!.stop();
      b = undefined;
    });

    it('rules and alerts answer from A with a warning naming B', async () => {
      for (const path of ['/api/v1/rules', '/api/v1/alerts', '/api/v1/targets']) {
        const got = await apiGet(querier!.url, path);
        expect(got.httpStatus).toBe(200);
        expect(got.body.warnings?.some((w) => w.includes(bHost))).toBe(true);
      }
      expect(rulesOf(groups(await apiGet(querier!.url, '/api/v1/rules'))[0]!).length).toBe(2);
      expect(alertsOf(await apiGet(querier!.url, '/api/v1/alerts')).length).toBe(1);
    });

    it('exemplars too; partial_response=false fails', async () => {
      const got = await apiGet(querier!.url, '/api/v1/query_exemplars', { query: 'demo_requests_total', ...window() });
      expect(got.httpStatus).toBe(200);
      expect(got.body.warnings?.some((w) => w.includes(bHost))).toBe(true);
      expect((got.body.data as unknown[]).length).toBe(1);
      const strict = await apiGet(querier!.url, '/api/v1/rules', { partial_response: 'false' });
      expect(strict.httpStatus).toBe(422);
      expect(strict.body.status).toBe('error');
    });
  });
});
