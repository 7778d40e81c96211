/**
 * `promdedup query-frontend` as a real process in front of a real Prometheus holding three days of
 * history at fixed past times (imported with promtool): split answers are byte-identical to the
 * unsplit ones from the Prometheus itself, a repeated query is answered from the results cache
 * (the Prometheus' own request counter does not move), other endpoints pass through unchanged,
 * bad parameters get the Prometheus' own error. A fake downstream (a plain HTTP server recording
 * what reaches it) checks headers, methods and bodies of pass-through and sub-queries; a live
 * Prometheus scraping itself every second checks freshness.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';
import { startFrontendProcess, type FrontendProcess } from '../support/frontend-process.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';

const promOk = prometheusAvailable();
const DAY = 86_400_000;
/** 2024-03-01T00:00:00Z: history at fixed past times, never relative to today. */
const T0 = Date.UTC(2024, 2, 1);
const HISTORY_DAYS = 3;

function history(): string {
  const lines: string[] = ['# TYPE fe_requests counter', '# TYPE fe_temp gauge'];
  const step = 60_000;
  const counter: string[] = [];
  const gauge: string[] = [];
  for (let t = T0; t <= T0 + HISTORY_DAYS * DAY; t += step) {
    const i = (t - T0) / step;
    for (const inst of ['a', 'b', 'c']) {
      // a resets every ~17 h; c is absent for a stretch crossing the first day boundary
      if (inst === 'c' && t > T0 + DAY - 3 * 3_600_000 && t < T0 + DAY + 2 * 3_600_000) continue;
      const k = inst.charCodeAt(0) - 96;
      counter.push(`fe_requests_total{instance="${inst}"} ${inst === 'a' ? (i % 1000) * 3 : i * k + (i % 7)} ${t / 1000}`);
      gauge.push(`fe_temp{instance="${inst}"} ${(20 + 5 * Math.sin(i / (50 * k))).toFixed(4)} ${t / 1000}`);
    }
  }
  return [...lines.slice(0, 1), ...counter, lines[1]!, ...gauge, '# EOF'].join('\n') + '\n';
}

async function text(url: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** The downstream Prometheus' own count of range queries it answered (from its /metrics). */
async function promRangeRequests(prom: PrometheusServer): Promise<number> {
  const body = await (await fetch(`${prom.url}/metrics`)).text();
  let sum = 0;
  for (const line of body.split('\n')) if (line.startsWith('prometheus_http_requests_total{') && line.includes('handler="/api/v1/query_range"')) sum += Number(line.split(' ').pop());
  return sum;
}

async function metric(fe: FrontendProcess, name: string): Promise<number> {
  const body = await (await fetch(`${fe.url}/metrics`)).text();
  let sum = 0;
  for (const line of body.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

const rangeUrl = (base: string, q: string, start: number, end: number, step: number, extra = ''): string =>
  `${base}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${start / 1000}&end=${end / 1000}&step=${step / 1000}${extra}`;

describe.skipIf(!promOk)('query-frontend over a real Prometheus', () => {
  let prom: PrometheusServer;
  let fe: FrontendProcess;
  let feNoCache: FrontendProcess;

  beforeAll(async () => {
    ensureQuerierBuilt();
    prom = await startPrometheus({ openMetrics: history() });
    fe = await startFrontendProcess(prom.url, []);
    feNoCache = await startFrontendProcess(prom.url, ['--query-range.split-interval=6h', '--query-range.response-cache-config=type: IN-MEMORY', '--query-range.max-query-length=80h']);
  });
  afterAll(async () => {
    await fe?.stop();
    await feNoCache?.stop();
    await prom?.stop();
  });

  const QUERIES = ['fe_temp', 'rate(fe_requests_total[5m])', 'sum by (instance) (increase(fe_requests_total[1h]))', 'max_over_time(fe_temp[30m])', 'count(fe_requests_total)', 'fe_temp @ start()', 'fe_temp - fe_temp @ end()', 'max_over_time(fe_temp[2h:10m])', 'fe_temp offset -1h'];
  const RANGES: [number, number, number][] = [
    [T0 + 10 * 3_600_000, T0 + 2 * DAY + 5 * 3_600_000, 300_000], // crosses two day boundaries
    [T0 + DAY - 4 * 3_600_000, T0 + DAY + 3 * 3_600_000, 60_000], // a series gone and back across a boundary
    [T0 + 7_000, T0 + 3 * DAY - 7_000, 900_000], // unaligned ends: aligned down to the step
    [T0 + DAY, T0 + DAY, 60_000], // one point
  ];

  it('split answers are byte-identical to the unsplit answers of the downstream', async () => {
    for (const f of [fe, feNoCache]) {
      for (const q of QUERIES) {
        for (const [s, e, step] of RANGES) {
          const as = Math.floor(s / step) * step;
          const ae = Math.floor(e / step) * step;
          const direct = await text(rangeUrl(prom.url, q, as, ae, step));
          const split = await text(rangeUrl(f.url, q, s, e, step));
          expect(split.status, `${q} ${s}-${e}`).toBe(200);
          expect(split.body, `${q} ${s}-${e}`).toBe(direct.body);
          // And once more: now (for fe) from the cache.
          expect((await text(rangeUrl(f.url, q, s, e, step))).body).toBe(direct.body);
        }
      }
    }
    expect(await metric(fe, 'thanos_frontend_split_queries_total')).toBeGreaterThan(QUERIES.length * RANGES.length);
  });

  it('serves a repeated query from the cache: the downstream is not asked again', async () => {
    const url = rangeUrl(fe.url, 'avg(fe_temp)', T0 + 3_600_000, T0 + 2 * DAY, 120_000);
    const first = await text(url);
    expect(first.status).toBe(200);
    const before = await promRangeRequests(prom);
    const hitsBefore = await metric(fe, 'promdedup_frontend_cache_requests_total{kind="query_range",result="hit"}');
    for (let i = 0; i < 3; i++) expect((await text(url)).body).toBe(first.body);
    // A shifted window (a dashboard refresh) over the same cached days: no new downstream request either.
    const shifted = await text(rangeUrl(fe.url, 'avg(fe_temp)', T0 + 3_600_000 + 120_000, T0 + 2 * DAY - 120_000, 120_000));
    expect(shifted.body).toBe((await text(rangeUrl(prom.url, 'avg(fe_temp)', T0 + 3_600_000 + 120_000, T0 + 2 * DAY - 120_000, 120_000))).body);
    // The direct request above counts once.
    expect(await promRangeRequests(prom)).toBe(before + 1);
    expect(await metric(fe, 'promdedup_frontend_cache_requests_total{kind="query_range",result="hit"}')).toBeGreaterThan(hitsBefore);
    // POST form (Grafana's default) shares the cache with GET.
    const body = new URLSearchParams({ query: 'avg(fe_temp)', start: String((T0 + 3_600_000) / 1000), end: String((T0 + 2 * DAY) / 1000), step: '120' });
    const post = await text(`${fe.url}/api/v1/query_range`, { method: 'POST', body });
    expect(post.body).toBe(first.body);
    expect(await promRangeRequests(prom)).toBe(before + 1);
  });

  it('passes other endpoints through unchanged', async () => {
    for (const path of [
      `/api/v1/query?query=fe_temp&time=${(T0 + DAY) / 1000}`,
      `/api/v1/labels?start=${T0 / 1000}&end=${(T0 + DAY) / 1000}`,
      `/api/v1/label/instance/values?start=${T0 / 1000}&end=${(T0 + DAY) / 1000}`,
      `/api/v1/series?match[]=fe_temp&start=${T0 / 1000}&end=${(T0 + DAY) / 1000}`,
      '/api/v1/status/buildinfo',
      '/api/v1/nope',
    ]) {
      const direct = await text(`${prom.url}${path}`);
      const through = await text(`${fe.url}${path}`);
      expect(through.status, path).toBe(direct.status);
      expect(through.body, path).toBe(direct.body);
    }
    const form = new URLSearchParams({ query: 'count(fe_temp)', time: String((T0 + DAY) / 1000) });
    const direct = await text(`${prom.url}/api/v1/query`, { method: 'POST', body: form });
    const through = await text(`${fe.url}/api/v1/query`, { method: 'POST', body: form });
    expect(through.body).toBe(direct.body);
    expect((await text(`${fe.url}/-/healthy`)).status).toBe(200);
  });

  it('bad parameters get the downstream\'s own error; too long a range gets Thanos\' 400', async () => {
    for (const qs of ['query=fe_temp&start=abc&end=10&step=60', 'query=fe_temp&start=100&end=10&step=60', 'query=fe_temp&start=0&end=10&step=0', 'query=sum(&start=0&end=100&step=10', 'start=0&end=10&step=1', 'query=fe_temp&start=0&end=100000000&step=1']) {
      const direct = await text(`${prom.url}/api/v1/query_range?${qs}`);
      const through = await text(`${fe.url}/api/v1/query_range?${qs}`);
      expect(through.status, qs).toBe(direct.status);
      expect(through.body, qs).toBe(direct.body);
    }
    const long = await text(rangeUrl(feNoCache.url, 'fe_temp', T0, T0 + 4 * DAY, 60_000));
    expect(long.status).toBe(400);
    expect(JSON.parse(long.body)).toEqual({ status: 'error', errorType: 'bad_data', error: 'the query time range exceeds the limit (query length: 96h0m0s, limit: 80h0m0s)' });
  });
});

describe('query-frontend over a recording downstream', () => {
  let server: Server;
  let fe: FrontendProcess;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let failNext = 0;
  const held: (() => void)[] = [];
  let heldClosed = 0;

  beforeAll(async () => {
    ensureQuerierBuilt();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (failNext > 0) {
          failNext--;
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"unavailable","error":"try again"}');
          return;
        }
        if (req.url!.startsWith('/prefix/api/v1/query?') && req.url!.includes('query=alert')) {
          // An instant alert query, answered after 300 ms (long enough for the others to join).
          setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"status":"success","data":{"resultType":"vector","result":[]},"n":${seen.length}}`), 300);
          return;
        }
        if (req.url!.startsWith('/prefix/api/v1/query_range')) {
          const p = new URLSearchParams(body);
          if (p.get('query') === 'held') {
            // Answered when the test says so; a client that goes away shows as a closed request.
            res.on('close', () => {
              if (!res.writableFinished) heldClosed++;
            });
            held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"x":"1"},"values":[[${p.get('start')},"1"]]}]}}`));
            return;
          }
          const warn = p.get('query') === 'warned' ? ',"warnings":["partial data"]' : '';
          res.writeHead(200, { 'content-type': 'application/json' }).end(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"x":"1"},"values":[[${p.get('start')},"1"]]}]}${warn}}`);
          return;
        }
        res.writeHead(201, { 'content-type': 'text/plain', 'x-downstream': 'yes' }).end(`echo ${req.method} ${req.url} ${body}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    fe = await startFrontendProcess(`http://127.0.0.1:${port}/prefix`, ['--query-range.split-interval=1h', '--query-range.max-retries-per-request=3']);
  });
  afterAll(async () => {
    await fe?.stop();
    await new Promise((r) => server?.close(r));
  });

  it('forwards method, path, query string, body and headers unchanged', async () => {
    seen.length = 0;
    const res = await fetch(`${fe.url}/api/v1/admin/tsdb/snapshot?skip_head=true&a=1&a=2`, {
      method: 'PUT',
      headers: { authorization: 'Bearer secret', 'x-scope-orgid': 'team-a', 'content-type': 'application/octet-stream' },
      body: 'raw bytes',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-downstream')).toBe('yes');
    expect(await res.text()).toBe('echo PUT /prefix/api/v1/admin/tsdb/snapshot?skip_head=true&a=1&a=2 raw bytes');
    expect(seen[0]!.headers['authorization']).toBe('Bearer secret');
    expect(seen[0]!.headers['x-scope-orgid']).toBe('team-a');
  });

  it('sub-queries keep the client\'s headers and parameters; 5xx is retried; warnings are never cached', async () => {
    seen.length = 0;
    const url = `${fe.url}/api/v1/query_range?query=up&start=0&end=7200&step=60&dedup=true&replicaLabels[]=r`;
    const a = await fetch(url, { headers: { 'x-scope-orgid': 'team-b', authorization: 'Basic eDp5' } });
    expect(a.status).toBe(200);
    const body = (await a.json()) as { data: { result: { values: [number, string][] }[] } };
    // 0..3540 and 3600..7200 (Thanos folds the last step into the last sub-range): one point each from this downstream
    expect(body.data.result[0]!.values.map((v) => v[0])).toEqual([0, 3600]);
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.headers['x-scope-orgid']).toBe('team-b');
      expect(s.headers['authorization']).toBe('Basic eDp5');
      expect(new URLSearchParams(s.body).get('replicaLabels[]')).toBe('r');
    }
    // Cached now (the history is old): nothing reaches the downstream; another tenant is not served from it.
    seen.length = 0;
    await (await fetch(url, { headers: { 'x-scope-orgid': 'team-b', authorization: 'Basic eDp5' } })).text();
    expect(seen).toHaveLength(0);
    await (await fetch(url, { headers: { 'x-scope-orgid': 'team-c' } })).text();
    expect(seen).toHaveLength(2);
    // dedup=false is never cached.
    seen.length = 0;
    for (let i = 0; i < 2; i++) await (await fetch(`${url.replace('dedup=true', 'dedup=false')}`)).text();
    expect(seen).toHaveLength(4);
    // Answers with warnings are never cached, and keep their warnings (no-store).
    seen.length = 0;
    for (let i = 0; i < 2; i++) {
      const w = await fetch(`${fe.url}/api/v1/query_range?query=warned&start=0&end=60&step=60`);
      expect(w.headers.get('cache-control')).toBe('no-store');
      expect(((await w.json()) as { warnings: string[] }).warnings).toEqual(['partial data']);
    }
    expect(seen).toHaveLength(2);
    // A 503 is retried.
    seen.length = 0;
    failNext = 2;
    const r = await fetch(`${fe.url}/api/v1/query_range?query=retried&start=0&end=60&step=60`);
    expect(r.status).toBe(200);
    expect(seen).toHaveLength(3);
    // More failures than attempts: the downstream's error as it came.
    seen.length = 0;
    failNext = 3;
    const f = await fetch(`${fe.url}/api/v1/query_range?query=failed&start=0&end=60&step=60`);
    expect(f.status).toBe(503);
    expect(await f.text()).toBe('{"status":"error","errorType":"unavailable","error":"try again"}');
    const m = await (await fetch(`${fe.url}/metrics`)).text();
    expect(m).toMatch(/promdedup_frontend_retries_total{op="query_range"} 4/);
  });

  it('8 identical range queries at once share one request per sub-range; one caller leaving does not cancel the others', async () => {
    seen.length = 0;
    const url = `${fe.url}/api/v1/query_range?query=held&start=0&end=7200&step=60`;
    const leaving = new AbortController();
    const callers = Array.from({ length: 8 }, (_, i) => fetch(url, i === 3 ? { signal: leaving.signal } : {}).then(async (r) => ({ status: r.status, body: await r.text() })));
    // Both sub-ranges reach the downstream once, however many callers wait for them.
    const deadline = Date.now() + 5000;
    while (held.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(held).toHaveLength(2);
    expect(seen).toHaveLength(2);
    leaving.abort();
    await expect(callers[3]).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(heldClosed).toBe(0);
    for (const release of held.splice(0)) release();
    const answers = await Promise.all(callers.filter((_, i) => i !== 3));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body).toBe(answers[0]!.body);
    }
    expect(JSON.parse(answers[0]!.body).data.result[0].values.map((v: [number, string]) => v[0])).toEqual([0, 3600]);
    const m = await (await fetch(`${fe.url}/metrics`)).text();
    expect(m).toMatch(/promdedup_frontend_coalesced_total{op="query_range"} 14/);
  });

  it('identical instant queries in flight share one downstream request; other credentials do not', async () => {
    seen.length = 0;
    const url = `${fe.url}/api/v1/query?query=alert&time=1700000000`;
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, () => fetch(url, { headers: { authorization: 'Bearer grafana' } }).then(async (r) => ({ status: r.status, body: await r.text() }))),
      fetch(url, { headers: { authorization: 'Bearer other' } }).then(async (r) => ({ status: r.status, body: await r.text() })),
    ]);
    for (const a of answers) expect(a.status).toBe(200);
    expect(new Set(answers.slice(0, 8).map((a) => a.body)).size).toBe(1);
    expect(seen.filter((r) => r.url.startsWith('/prefix/api/v1/query?'))).toHaveLength(2);
    const m = await (await fetch(`${fe.url}/metrics`)).text();
    expect(m).toMatch(/promdedup_frontend_coalesced_total\{op="query"\} 7/);
  });

  it('the shared sub-request stops when every caller has gone', async () => {
    seen.length = 0;
    const url = `${fe.url}/api/v1/query_range?query=held&start=0&end=60&step=60&x=gone`;
    const gone = new AbortController();
    const callers = [fetch(url, { signal: gone.signal }), fetch(url, { signal: gone.signal })];
    const deadline = Date.now() + 5000;
    while (held.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(1);
    gone.abort();
    for (const c of callers) await expect(c).rejects.toThrow();
    const until = Date.now() + 5000;
    while (heldClosed < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(heldClosed).toBe(1);
    held.length = 0;
  });

  it('gives up on a downstream that sends no headers within response_header_timeout', async () => {
    held.length = 0;
    heldClosed = 0;
    const port = (server.address() as { port: number }).port;
    const tripper = 'response_header_timeout: 400ms\nidle_conn_timeout: 5s';
    const impatient = await startFrontendProcess(`http://127.0.0.1:${port}/prefix`, ['--query-range.split-interval=1h', '--query-range.max-retries-per-request=1', `--query-frontend.downstream-tripper-config=${tripper}`]);
    try {
      const started = Date.now();
      const res = await fetch(`${impatient.url}/api/v1/query_range?query=held&start=0&end=60&step=60&x=impatient`);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.status).toBe(504);
      expect(JSON.parse(await res.text())).toMatchObject({ status: 'error', errorType: 'timeout', error: expect.stringMatching(/^downstream: Headers Timeout Error/) });
      // The timed-out request was closed, not left open on the downstream.
      const until = Date.now() + 5000;
      while (heldClosed < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(heldClosed).toBe(1);
    } finally {
      held.length = 0;
      await impatient.stop();
    }
  });
});

describe.skipIf(!promOk)('query-frontend freshness over a live Prometheus', () => {
  let prom: PrometheusServer;
  let fe: FrontendProcess;
  beforeAll(async () => {
    ensureQuerierBuilt();
    // It scrapes itself every second.
    const port = await freePort();
    prom = await startPrometheus({ port, scrapeInterval: '1s', scrapeConfigs: [{ job_name: 'self', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }] });
  });
  afterAll(async () => {
    await fe?.stop();
    await prom?.stop();
  });

  it('re-fetches the part newer than the max freshness', async () => {
    fe = await startFrontendProcess(prom.url, ['--query-range.response-cache-max-freshness=5s', '--query-range.split-interval=1m']);
    await new Promise((r) => setTimeout(r, 12_000));
    // Both windows stay inside one 1m split: a boundary a few seconds old would turn the second
    // request into a whole hit plus a whole miss, with no partial lookup to count.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute < 12_000 || intoMinute > 52_000) await new Promise((r) => setTimeout(r, ((72_000 - intoMinute) % 60_000) + 1000));
    const now = Math.floor(Date.now() / 1000) * 1000;
    const q = 'count(up)';
    const url = (end: number) => rangeUrl(fe.url, q, end - 10_000, end, 1000);
    await text(url(now));
    const before = await promRangeRequests(prom);
    const partial = await metric(fe, 'promdedup_frontend_cache_requests_total{kind="query_range",result="partial"}');
    await new Promise((r) => setTimeout(r, 2000));
    const later = Math.floor(Date.now() / 1000) * 1000;
    const again = await text(url(later));
    // The newest seconds were asked again (what is older than 5 s came from the cache).
    expect(await promRangeRequests(prom)).toBeGreaterThan(before);
    expect(await metric(fe, 'promdedup_frontend_cache_requests_total{kind="query_range",result="partial"}')).toBeGreaterThan(partial);
    const values = (JSON.parse(again.body) as { data: { result: { values: [number, string][] }[] } }).data.result[0]!.values;
    expect(values[values.length - 1]![0] * 1000).toBeGreaterThan(now);
  }, 60_000);
});

describe.skipIf(!promOk)('query-frontend over promdedup query and an HA pair', () => {
  let ha: HaSetup;
  let fe: FrontendProcess;
  beforeAll(async () => {
    // Both replicas hold the same history (no outages: where penalty dedup is path dependent is another matter).
    const om = history();
    ha = await startHaSetup({ cluster: 'fe', openMetrics: { a: om, b: om } });
    fe = await startFrontendProcess(ha.querier.url, ['--query-range.split-interval=12h']);
  });
  afterAll(async () => {
    await fe?.stop();
    await ha?.stop();
  });

  it('dedup=explain, analyze and stats pass through whole: provenance and analysis are kept', async () => {
    const [s, e, step] = [T0 + 10 * 3_600_000, T0 + 2 * DAY + 5 * 3_600_000, 300_000];
    const explain = JSON.parse((await text(rangeUrl(fe.url, 'fe_temp', s, e, step, '&dedup=explain'))).body) as { data: { provenance?: unknown[] } };
    expect(explain.data.provenance?.length).toBeGreaterThan(0);
    const analyzed = JSON.parse((await text(rangeUrl(fe.url, 'sum(fe_temp)', s, e, step, '&analyze=true'))).body) as { data: Record<string, unknown> };
    expect(Object.keys(analyzed.data)).toContain('analysis');
  });

  it('split and cached answers equal the querier\'s unsplit ones; dedup=false passes uncached', async () => {
    for (const q of ['rate(fe_requests_total[5m])', 'sum(fe_temp)', 'fe_temp']) {
      const [s, e, step] = [T0 + 10 * 3_600_000, T0 + 2 * DAY + 5 * 3_600_000, 300_000];
      const direct = await text(rangeUrl(ha.querier.url, q, s, e, step));
      expect(direct.status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await text(rangeUrl(fe.url, q, s, e, step))).body, q).toBe(direct.body);
      const raw = await text(rangeUrl(ha.querier.url, q, s, e, step, '&dedup=false'));
      expect((await text(rangeUrl(fe.url, q, s, e, step, '&dedup=false'))).body).toBe(raw.body);
    }
    expect(await metric(fe, 'promdedup_frontend_cache_requests_total{kind="query_range",result="hit"}')).toBeGreaterThan(0);
    expect(await metric(fe, 'promdedup_frontend_cache_requests_total{kind="query_range",result="uncacheable"}')).toBeGreaterThan(0);
  });

  it('labels and series split at 24 h equal the querier\'s unsplit answers (replica labels dropped), cached and uncached', async () => {
    const [s, e] = [T0 + 10 * 3_600_000, T0 + 2 * DAY + 5 * 3_600_000];
    const range = `start=${s / 1000}&end=${e / 1000}`;
    for (const path of [
      `/api/v1/labels?${range}`,
      `/api/v1/label/instance/values?${range}`,
      `/api/v1/label/replica/values?${range}`,
      `/api/v1/label/instance/values?${range}&match[]=fe_temp`,
      `/api/v1/series?${range}&match[]=${encodeURIComponent('{__name__=~"fe_.+"}')}`,
      `/api/v1/series?${range}&match[]=fe_temp&dedup=false`,
    ]) {
      const direct = await text(`${ha.querier.url}${path}`);
      expect(direct.status, path).toBe(200);
      for (let i = 0; i < 2; i++) expect((await text(`${fe.url}${path}`)).body, path).toBe(direct.body);
    }
    expect(await metric(fe, 'promdedup_frontend_cache_requests_total{kind="series",result="hit"}')).toBeGreaterThan(0);
    expect(await metric(fe, 'promdedup_frontend_cache_requests_total{kind="label_values",result="hit"}')).toBeGreaterThan(0);
  });
});

describe.skipIf(!promOk)('query-frontend with large answers', () => {
  let prom: PrometheusServer;
  let fe: FrontendProcess;
  beforeAll(async () => {
    ensureQuerierBuilt();
    // 300 series over a day at 1 m: a raw range query answers ~10 MB of JSON.
    const lines = ['# TYPE big_gauge gauge'];
    for (let t = T0; t <= T0 + DAY; t += 60_000) for (let i = 0; i < 300; i++) lines.push(`big_gauge{instance="i${i}"} ${((t / 60_000) % 97) + i / 1000} ${t / 1000}`);
    prom = await startPrometheus({ openMetrics: lines.join('\n') + '\n# EOF\n' });
    fe = await startFrontendProcess(prom.url, ['--query-range.split-interval=6h']);
  }, 120_000);
  afterAll(async () => {
    await fe?.stop();
    await prom?.stop();
  });

  it('decodes them off the event loop: /-/healthy keeps answering in milliseconds; answers are the downstream\'s bytes', async () => {
    const queries = ['big_gauge', 'big_gauge * 1', 'big_gauge + 0'];
    const url = (base: string, q: string) => rangeUrl(base, q, T0, T0 + DAY, 60_000);
    let running = true;
    const probes: number[] = [];
    const probing = (async () => {
      while (running) {
        const t = performance.now();
        await (await fetch(`${fe.url}/-/healthy`)).text();
        probes.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const answers = await Promise.all(queries.map((q) => text(url(fe.url, q))));
    running = false;
    await probing;
    for (const [i, q] of queries.entries()) {
      expect(answers[i]!.body.length).toBeGreaterThan(5 << 20);
      expect(answers[i]!.body, q).toBe((await text(url(prom.url, q))).body);
    }
    probes.sort((a, b) => a - b);
    expect(probes.length).toBeGreaterThan(5);
    // Measured: decoding inline holds the loop up to ~250 ms at a time (p90 50 ms); on workers the longest probe took 45 ms (p90 14 ms).
    expect(probes[probes.length - 1]!).toBeLessThan(150);
  }, 60_000);
});
