/**
 * The metric names and labels the thanos-mixin's querier alerts and dashboard read, from a real
 * `promdedup query` over a real Prometheus: http_requests_total / http_request_duration_seconds
 * with Thanos' handler names, the gate's thanos_query_concurrent_gate_*, and the DNS lookups'
 * thanos_query_store_apis_dns_* (those counted against a real DNS server on loopback). Then a
 * second Prometheus scrapes a querier whose endpoint hangs, and the expressions of
 * deploy/mixin's error-rate and overload alerts (the thanos-mixin's) select it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { DnsMetrics } from '../../src/api/metrics.js';
import { DnsResolver, EndpointDiscovery } from '../../src/store/discovery/index.js';
import { apiGet } from '../support/compare.js';
import { TestDnsServer } from '../support/dns-server.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { sleep } from '../support/child-process.js';
import { querierSourcePresent, repoRoot, startQuerier, type QuerierProcess } from '../support/querier-process.js';

const promOk = prometheusAvailable();
if (!promOk) console.warn('e2e: prometheus/promtool not on PATH (sudo apt-get install -y prometheus): skipping');

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The samples of `name` in Prometheus' text exposition format (what prom-client writes). */
function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name, labels, value: Number(m[3]) });
  }
  return out;
}

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const hit = samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit?.value;
}

describe.skipIf(!promOk || !querierSourcePresent())('Thanos-compatible querier metrics', () => {
  let prom: PrometheusServer;
  let querier: QuerierProcess;
  let upper: QuerierProcess;
  let text = '';
  let upperText = '';

  beforeAll(async () => {
    prom = await startPrometheus({ externalLabels: { replica: 'a' } });
    querier = await startQuerier({ endpoints: [prom.url], extraArgs: ['--query.max-concurrent=7'] });
    const now = Math.floor(Date.now() / 1000);
    const ok = [
      await apiGet(querier.url, '/api/v1/query', { query: 'vector(1)', time: now }),
      await apiGet(querier.url, '/api/v1/query', { query: 'up', time: now }),
      await apiGet(querier.url, '/api/v1/query_range', { query: 'vector(2)', start: now - 600, end: now, step: 60 }),
      await apiGet(querier.url, '/api/v1/labels'),
      await apiGet(querier.url, '/api/v1/label/__name__/values'),
      await apiGet(querier.url, '/api/v1/series', { 'match[]': 'up' }),
      await apiGet(querier.url, '/api/v1/metadata'),
      await apiGet(querier.url, '/api/v1/status/buildinfo'),
    ];
    for (const r of ok) expect(r.httpStatus).toBe(200);
    const post = await fetch(`${querier.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: '1+1', time: String(now) }),
    });
    expect(post.status).toBe(200);
    // One erroring query: a parse error (400).
    expect((await apiGet(querier.url, '/api/v1/query_range', { query: 'sum(', start: now - 600, end: now, step: 60 })).httpStatus).toBe(400);
    expect((await fetch(`${querier.url}/api/v1/no_such_thing`)).status).toBe(404);
    text = await (await fetch(`${querier.url}/metrics`)).text();
    // A second querier over the first one's StoreAPI: its gRPC client calls.
    upper = await startQuerier({ endpoints: [`127.0.0.1:${querier.grpcPort}`] });
    expect((await apiGet(upper.url, '/api/v1/query', { query: 'up', time: now })).httpStatus).toBe(200);
    upperText = await (await fetch(`${upper.url}/metrics`)).text();
  }, 120_000);

  afterAll(async () => {
    await upper?.stop();
    await querier?.stop();
    await prom?.stop();
  });

  it('counts the StoreAPI calls to gRPC endpoints as grpc_client_* (and the endpoint\'s side as grpc_server_*)', async () => {
    const series = { grpc_service: 'thanos.Store', grpc_method: 'Series', grpc_type: 'server_stream' };
    expect(value(upperText, 'grpc_client_started_total', series)).toBeGreaterThanOrEqual(1);
    expect(value(upperText, 'grpc_client_handled_total', { ...series, grpc_code: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(value(upperText, 'grpc_client_handling_seconds_count', series)).toBeGreaterThanOrEqual(1);
    const unary = samples(upperText, 'grpc_client_handled_total').filter((s) => s.labels.grpc_type === 'unary' && s.labels.grpc_code === 'OK');
    expect(unary.map((s) => s.labels.grpc_method)).toContain('Info');
    const lower = await (await fetch(`${querier.url}/metrics`)).text();
    expect(value(lower, 'grpc_server_handled_total', { ...series, grpc_code: 'OK' })).toBeGreaterThanOrEqual(1);
  });

  it('counts requests by Thanos handler name, status code and lower-case method', () => {
    const total = (handler: string, code: string, method = 'get') => value(text, 'http_requests_total', { handler, code, method });
    expect(total('query', '200')).toBe(2);
    expect(total('query', '200', 'post')).toBe(1);
    expect(total('query_range', '200')).toBe(1);
    expect(total('query_range', '400')).toBe(1);
    expect(total('label_names', '200')).toBe(1);
    expect(total('label_values', '200')).toBe(1);
    expect(total('series', '200')).toBe(1);
    expect(total('metadata', '200')).toBe(1);
    expect(total('status_build', '200')).toBe(1);
    expect(total('not_found', '404')).toBe(1);
    // No URL paths as handler values any more.
    const handlers = new Set(samples(text, 'http_requests_total').map((s) => s.labels.handler));
    for (const h of handlers) expect(h).not.toMatch(/\//);
  });

  it('times them in http_request_duration_seconds with the same labels, with buckets at the mixin thresholds', () => {
    expect(value(text, 'http_request_duration_seconds_count', { handler: 'query', code: '200', method: 'get' })).toBe(2);
    expect(value(text, 'http_request_duration_seconds_count', { handler: 'query_range', code: '400', method: 'get' })).toBe(1);
    const les = samples(text, 'http_request_duration_seconds_bucket')
      .filter((s) => s.labels.handler === 'query' && s.labels.code === '200' && s.labels.method === 'get')
      .map((s) => s.labels.le);
    expect(les).toContain('40');
    expect(les).toContain('90');
    expect(les).toContain('+Inf');
  });

  it('exports the query gate as Thanos: max, in flight, admitted, wait time', () => {
    expect(value(text, 'thanos_query_concurrent_gate_queries_max', {})).toBe(7);
    expect(value(text, 'thanos_query_concurrent_gate_queries_in_flight', {})).toBe(0);
    // Every query and query_range that got past parameter parsing went through the gate: 3 + 1 + 1 (the parse error is found inside).
    const admitted = value(text, 'thanos_query_concurrent_gate_queries_total', {})!;
    expect(admitted).toBeGreaterThanOrEqual(4);
    expect(value(text, 'thanos_query_concurrent_gate_queries_duration_seconds_count', {})).toBe(admitted);
  });

  it('exports the DNS lookup counters (0 with only static endpoints) and the endpoint gauge', () => {
    expect(value(text, 'thanos_query_store_apis_dns_lookups_total', {})).toBe(0);
    expect(value(text, 'thanos_query_store_apis_dns_failures_total', {})).toBe(0);
    expect(value(text, 'promdedup_endpoint_up', { endpoint: prom.url })).toBe(1);
  });
});

describe('DNS lookup counters against a real DNS server', () => {
  let dns: TestDnsServer;

  beforeAll(async () => {
    dns = await TestDnsServer.start({ 'store.test': { A: ['10.0.0.1'] }, 'bad.test': { A: ['10.0.0.2'] } });
    dns.fail('bad.test');
  });

  afterAll(async () => {
    await dns?.close();
  });

  it('one lookup per DNS spec and resolution, a failure for a SERVFAIL; static specs are not counted', async () => {
    const registry = new Registry();
    const metrics = new DnsMetrics(registry);
    const discovery = new EndpointDiscovery({
      endpoints: ['dns+store.test:10901', 'dns+bad.test:10901', '127.0.0.1:10901'],
      resolver: new DnsResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 }),
      dnsIntervalMs: 60_000,
      onDnsLookup: metrics.looked,
    });
    try {
      await discovery.start();
      const text = await registry.metrics();
      expect(value(text, 'thanos_query_store_apis_dns_lookups_total', {})).toBe(2);
      expect(value(text, 'thanos_query_store_apis_dns_failures_total', {})).toBe(1);
    } finally {
      await discovery.stop();
    }
  });
});

/** A TCP endpoint that accepts connections and never answers. */
async function hangingEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Every target expression of a dashboard in deploy/mixin/dashboards, Grafana's variables replaced. */
function dashboardExprs(file: string): { title: string; expr: string }[] {
  const d = JSON.parse(readFileSync(join(repoRoot(), 'deploy', 'mixin', 'dashboards', file), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  return d.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr.replaceAll('$__rate_interval', '1m').replace(/\$(job|instance)/g, '.*') })),
  );
}

function ruleExprs(file: string): { alert: string; expr: string }[] {
  const doc = parseYaml(readFileSync(join(repoRoot(), 'deploy', 'mixin', 'alerts', file), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

function alertExpr(name: string): string {
  const file = join(repoRoot(), 'deploy', 'mixin', 'alerts', 'promdedup-query.rules.yml');
  const doc = parseYaml(readFileSync(file, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] };
  const rule = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  if (!rule) throw new Error(`no alert ${name}`);
  return rule.expr;
}

describe.skipIf(!promOk || !querierSourcePresent())('the mixin\'s alert expressions over a scraped querier', () => {
  let hanging: Awaited<ReturnType<typeof hangingEndpoint>>;
  let querier: QuerierProcess;
  let monitor: PrometheusServer;

  beforeAll(async () => {
    hanging = await hangingEndpoint();
    querier = await startQuerier({ endpoints: [hanging.url], extraArgs: ['--query.max-concurrent=1'], readyTimeoutMs: 60_000 });
    monitor = await startPrometheus({
      scrapeInterval: '1s',
      scrapeConfigs: [{ job_name: 'promdedup-query', scrape_interval: '1s', static_configs: [{ targets: [new URL(querier.url).host] }] }],
    });
  }, 120_000);

  afterAll(async () => {
    await monitor?.stop();
    await querier?.stop();
    await hanging?.close();
  });

  it('5xx on query and query_range, and a full gate, select the querier\'s job', async () => {
    const now = Math.floor(Date.now() / 1000);
    const scraped = async () => {
      for (let i = 0; i < 50; i++) {
        const r = await apiGet(monitor.url, '/api/v1/query', { query: 'http_requests_total{job="promdedup-query", handler="query", code="503"}' });
        const result = (r.body.data as { result: unknown[] } | undefined)?.result ?? [];
        if (result.length > 0) return;
        await sleep(200);
      }
      throw new Error('the monitor never scraped the querier\'s 503s');
    };
    const fail = async () => {
      // Selects reach the hanging endpoint: the query times out (503).
      expect((await apiGet(querier.url, '/api/v1/query', { query: 'up', time: now, timeout: '300ms' })).httpStatus).toBe(503);
      expect((await apiGet(querier.url, '/api/v1/query_range', { query: 'up', start: now - 60, end: now, step: 15, timeout: '300ms' })).httpStatus).toBe(503);
    };
    await fail();
    await scraped();
    // A query holds the only gate slot over a few scrapes, while more fail.
    const holding = apiGet(querier.url, '/api/v1/query', { query: 'up', time: now, timeout: '3s' });
    await sleep(2500);
    await fail();
    expect((await holding).httpStatus).toBe(503);
    await sleep(2500);

    const select = async (alert: string) => {
      const r = await apiGet(monitor.url, '/api/v1/query', { query: alertExpr(alert) });
      expect(r.httpStatus, JSON.stringify(r.body)).toBe(200);
      return (r.body.data as { result: { metric: Record<string, string>; value: [number, string] }[] }).result;
    };
    for (const alert of ['PromdedupQueryHttpRequestQueryErrorRateHigh', 'PromdedupQueryHttpRequestQueryRangeErrorRateHigh']) {
      const got = await select(alert);
      expect(got.map((s) => s.metric), alert).toEqual([{ job: 'promdedup-query' }]);
      expect(Number(got[0]!.value[1])).toBeGreaterThan(5);
    }
    const overload = await select('PromdedupQueryOverload');
    expect(overload.map((s) => s.metric.job)).toEqual(['promdedup-query']);
    // The endpoint never answers its health check either.
    const down = await select('PromdedupEndpointDown');
    expect(down.map((s) => s.metric.endpoint)).toEqual([hanging.url]);
  }, 60_000);

  it('Prometheus accepts every dashboard and rule expression; the querier dashboard\'s request panels have data', async () => {
    const exprs = [
      ...dashboardExprs('promdedup-query.json'),
      ...dashboardExprs('promdedup-ingest.json'),
      ...ruleExprs('promdedup-query.rules.yml').map((r) => ({ title: r.alert, expr: r.expr })),
      ...ruleExprs('promdedup-ingest.rules.yml').map((r) => ({ title: r.alert, expr: r.expr })),
    ];
    const withData = new Set<string>();
    for (const { title, expr } of exprs) {
      const r = await apiGet(monitor.url, '/api/v1/query', { query: expr });
      expect(r.httpStatus, `${title}: ${expr}: ${JSON.stringify(r.body)}`).toBe(200);
      if ((r.body.data as { result: unknown[] }).result.length > 0) withData.add(expr);
    }
    for (const { title, expr } of dashboardExprs('promdedup-query.json').filter((e) => /^(Rate|Errors|Up|Concurrent capacity|Memory|CPU)$/.test(e.title) && !e.expr.includes('grpc_'))) {
      expect(withData.has(expr), `${title}: ${expr}`).toBe(true);
    }
  });
});
