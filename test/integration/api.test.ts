/**
 * The HTTP API against real Prometheus replicas: what Grafana and promtool send, error envelopes,
 * and endpoints that fail or hang.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueryFlags, type RawQueryFlags } from '../../src/cmd/flags.js';
import { startQueryService, type QueryService } from '../../src/cmd/query.js';
import { silentLogger } from '../../src/util/log.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';

const run = promisify(execFile);
const BASE_S = 1_700_000_000;

function history(replica: string, gapFrom: number, gapTo: number): string {
  const lines = ['# HELP demo_requests_total Requests served.', '# TYPE demo_requests_total counter'];
  for (const path of ['/a', '/b']) {
    for (let i = 0; i <= 240; i++) {
      if (i >= gapFrom && i < gapTo) continue;
      lines.push(`demo_requests_total{path="${path}"} ${i * 2} ${BASE_S + i * 15}`);
    }
  }
  void replica;
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** A TCP endpoint that accepts connections and never answers: the worst kind of dead replica. */
async function hangingEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function config(endpoints: string[], port: number, extra: Partial<RawQueryFlags> = {}) {
  return parseQueryFlags({
    httpAddress: `127.0.0.1:${port}`,
    grpcAddress: '127.0.0.1:0',
    endpoint: endpoints,
    'query.replicaLabel': ['replica'],
    'deduplication.func': 'penalty',
    'deduplication.workers': '1',
    'query.timeout': '2m',
    'query.lookbackDelta': '5m',
    'query.maxConcurrent': '20',
    'query.partialResponse': true,
    'query.promqlCompat': 'auto',
    'store.responseTimeout': '0ms',
    'query.maxSamples': '50000000',
    'store.limits.requestSeries': '0',
    'store.limits.requestSamples': '0',
    'log.level': 'error',
    'log.format': 'logfmt',
    ...extra,
  });
}

async function get(base: string, path: string): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
  const res = await request(`${base}${path}`);
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text), headers: res.headers };
}

async function postForm(base: string, path: string, form: Record<string, string>): Promise<{ status: number; json: any }> {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, json: JSON.parse(await res.body.text()) };
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await request(`${base}/-/ready`);
    await res.body.dump();
    if (res.statusCode === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('not ready');
}

describe.skipIf(!prometheusAvailable())('HTTP API over real replicas', () => {
  const replicas: PrometheusServer[] = [];
  let hanging: Awaited<ReturnType<typeof hangingEndpoint>>;
  let service: QueryService;
  let withHanging: QueryService;
  let base: string;

  beforeAll(async () => {
    replicas.push(
      await startPrometheus({ externalLabels: { cluster: 'c1', replica: 'a' }, openMetrics: history('a', 100, 120) }),
      await startPrometheus({ externalLabels: { cluster: 'c1', replica: 'b' }, openMetrics: history('b', 160, 180) }),
    );
    hanging = await hangingEndpoint();
    service = await startQueryService(config(replicas.map((r) => r.url), await freePort()), silentLogger);
    base = service.httpUrl;
    withHanging = await startQueryService(
      config([...replicas.map((r) => r.url), hanging.url], await freePort(), { 'store.responseTimeout': '500ms' }),
      silentLogger,
    );
    await waitReady(base);
  });

  afterAll(async () => {
    await service?.close();
    await withHanging?.close();
    await hanging?.close();
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it("answers Grafana's Save & test (query=1+1&time=4)", async () => {
    const r = await postForm(base, '/api/v1/query', { query: '1+1', time: '4' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'success', data: { resultType: 'scalar', result: [4, '2'] } });
  });

  it('merges URL parameters into a POST form (dedup=false in the URL, query in the body)', async () => {
    const t = String(BASE_S + 200 * 15);
    const dedup = await postForm(base, '/api/v1/query', { query: 'demo_requests_total', time: t });
    expect(dedup.json.data.result.map((s: any) => s.metric)).toEqual([
      { __name__: 'demo_requests_total', cluster: 'c1', path: '/a' },
      { __name__: 'demo_requests_total', cluster: 'c1', path: '/b' },
    ]);
    const raw = await postForm(base, '/api/v1/query?dedup=false', { query: 'demo_requests_total', time: t });
    // Instant vectors keep storage order: sorted by the full label set, replica label included.
    expect(raw.json.data.result.map((s: any) => s.metric.replica)).toEqual(['a', 'b', 'a', 'b']);
    expect(raw.json.data.result).toHaveLength(4);
  });

  it('fills one replica’s gap with the other’s samples', async () => {
    const r = await get(base, `/api/v1/query_range?query=demo_requests_total{path="/a"}&start=${BASE_S}&end=${BASE_S + 240 * 15}&step=15`);
    expect(r.status).toBe(200);
    const values = r.json.data.result[0].values as [number, string][];
    // Every step has a value: replica a's gap (steps 100..119) is covered by b and vice versa.
    expect(values).toHaveLength(241);
  });

  it('works with promtool query instant|range|series|labels', async () => {
    const instant = await run('promtool', ['query', 'instant', base, 'sum(demo_requests_total)', `--time=${BASE_S + 3000}`]);
    expect(instant.stdout).toMatch(/=> 800 @\[1700003000\]/);
    const range = await run('promtool', ['query', 'range', base, 'demo_requests_total{path="/b"}', `--start=${BASE_S}`, `--end=${BASE_S + 60}`, '--step=15s']);
    expect(range.stdout).toContain('demo_requests_total{cluster="c1", path="/b"}');
    const window = [`--start=${BASE_S}`, `--end=${BASE_S + 3600}`];
    const series = await run('promtool', ['query', 'series', base, '--match=demo_requests_total', ...window]);
    expect(series.stdout.trim().split('\n')).toHaveLength(2);
    const labels = await run('promtool', ['query', 'labels', base, 'path', ...window]);
    expect(labels.stdout.trim().split('\n')).toEqual(['/a', '/b']);
  });

  it('reports errors in Prometheus’ envelope with the right status', async () => {
    const parse = await get(base, '/api/v1/query?query=sum(');
    expect(parse.status).toBe(400);
    expect(parse.json.errorType).toBe('bad_data');
    expect(parse.json.error).toMatch(/^invalid parameter "query": 1:5: parse error/);
    const step = await get(base, `/api/v1/query_range?query=up&start=0&end=10&step=0`);
    expect(step.status).toBe(400);
    expect(step.json.error).toContain('zero or negative query resolution step widths are not accepted');
    const points = await get(base, `/api/v1/query_range?query=up&start=0&end=11001&step=1`);
    expect(points.status).toBe(400);
    expect(points.json.error).toContain('exceeded maximum resolution of 11,000 points per timeseries');
    const order = await get(base, `/api/v1/query_range?query=up&start=10&end=0&step=1`);
    expect(order.json.error).toBe('invalid parameter "end": end timestamp must not be before start time');
    const time = await get(base, '/api/v1/query?query=up&time=yesterday');
    expect(time.status).toBe(400);
    const series = await get(base, '/api/v1/series');
    expect(series.status).toBe(400);
    expect(series.json.error).toBe('no match[] parameter provided');
    const missing = await get(base, '/api/v1/nope');
    expect(missing.status).toBe(404);
  });

  it('evaluates nesting and flat chains as deep as Prometheus parses them', async () => {
    // Prometheus' generated parser has no depth limit: 5000 parentheses answer 1.
    const nested = await get(base, `/api/v1/query?query=${'('.repeat(5000)}1${')'.repeat(5000)}&time=100`);
    expect(nested.status).toBe(200);
    expect(nested.json.data).toEqual({ resultType: 'scalar', result: [100, '1'] });
    // A 20,000-term `or` chain in a GET query string of ~140 KB (Node's default header limit is 16 KB).
    const started = Date.now();
    const chain = await get(base, `/api/v1/query?query=${encodeURIComponent(Array(20_000).fill("demo_requests_total").join(" or "))}&time=${BASE_S + 100}`);
    expect(chain.status).toBe(200);
    expect(chain.json.data.result.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('answers hostile input quickly with a clear 4xx, never a hang', async () => {
    const t = BASE_S + 100;
    const cases: [string, number, string][] = [
      [`/api/v1/query?query=${encodeURIComponent('count_over_time(demo_requests_total[100y:1ms])')}&time=${t}`, 422, 'too many samples'],
      ['/api/v1/query?query=up&time=1e300', 400, 'Invalid time value'],
      ['/api/v1/query?query=%ff%fe', 400, 'parse error'],
      ['/api/v1/label/%ff/values', 400, ''],
      ['/api/v1/query?query=up&dedup=maybe', 400, 'invalid parameter "dedup"'],
    ];
    for (const [path, status, text] of cases) {
      const started = Date.now();
      const r = await get(base, path);
      expect(r.status, path).toBe(status);
      expect(r.json.status).toBe('error');
      expect(r.json.error).toContain(text);
      expect(Date.now() - started, path).toBeLessThan(3000);
    }
  });

  it('stops a long synchronous evaluation at the query timeout (503)', async () => {
    const started = Date.now();
    // ~1.4e12 window reads: without deadline checks inside evaluation this would run for hours.
    const q = encodeURIComponent('max_over_time(max_over_time(demo_requests_total[20m:1ms])[20m:1ms])');
    const r = await get(base, `/api/v1/query?query=${q}&time=${BASE_S + 3000}&timeout=300ms`);
    expect(r.status).toBe(503);
    expect(r.json.errorType).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gzips large answers for clients that accept it', async () => {
    const path = `/api/v1/query_range?query=demo_requests_total&start=${BASE_S}&end=${BASE_S + 3600}&step=15`;
    const plain = await request(`${base}${path}`);
    const plainText = await plain.body.text();
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await request(`${base}${path}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const bytes = Buffer.from(await zipped.body.arrayBuffer());
    expect(bytes.length).toBeLessThan(plainText.length / 3);
    expect(gunzipSync(bytes).toString()).toBe(plainText);
  });

  it('serves status, health and metrics', async () => {
    const build = await get(base, '/api/v1/status/buildinfo');
    expect(build.json.data.version).toMatch(/^\d+\.\d+\.\d+/);
    const flags = await get(base, '/api/v1/status/flags');
    expect(flags.json.data['query.replica-label']).toBe('replica');
    const healthy = await request(`${base}/-/healthy`);
    expect(healthy.statusCode).toBe(200);
    await healthy.body.dump();
    const metrics = await request(`${base}/metrics`);
    const text = await metrics.body.text();
    for (const name of ['http_request_duration_seconds_bucket', 'promdedup_store_select_duration_seconds', 'promdedup_dedup_samples_in_total']) {
      expect(text).toContain(name);
    }
  });

  it('turns a hanging endpoint into a warning after --store.response-timeout, or a 422 without partial response', async () => {
    await waitReady(withHanging.httpUrl);
    const t = BASE_S + 200 * 15;
    const warned = await get(withHanging.httpUrl, `/api/v1/query?query=sum(demo_requests_total)&time=${t}`);
    expect(warned.status).toBe(200);
    expect(warned.json.data.result[0].value[1]).toBe('800');
    expect(warned.json.warnings.join('\n')).toContain(hanging.url);
    expect(warned.headers['cache-control']).toBe('no-store');
    const failed = await get(withHanging.httpUrl, `/api/v1/query?query=sum(demo_requests_total)&time=${t}&partial_response=false`);
    expect(failed.status).toBe(422);
    expect(failed.json.errorType).toBe('execution');
    expect(failed.json.error).toContain(hanging.url);
  });

  it('times out a query against a hanging endpoint with 503 when no store timeout is set', async () => {
    const svc = await startQueryService(config([hanging.url], await freePort()), silentLogger);
    try {
      const r = await get(svc.httpUrl, '/api/v1/query?query=up&time=1000&timeout=300ms');
      expect(r.status).toBe(503);
      expect(r.json.errorType).toBe('timeout');
    } finally {
      await svc.close();
    }
  });
});
