/**
 * The query frontend's shared results caches with real servers: two `promdedup query-frontend`
 * processes over one real memcached, then over one real Redis, in front of one real Prometheus
 * holding three days of history at fixed past times. What one frontend fetched, the other answers
 * without asking the Prometheus; a cache that is killed, hung (SIGSTOP) or never there costs a
 * warning and a pass-through, never an error; labels and series requests are split, equal the
 * unsplit answers, and are cached per exact sub-range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusAvailable, startPrometheus, freePort, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';
import { startFrontendProcess, type FrontendProcess } from '../support/frontend-process.js';
import { memcachedAvailable, startMemcached, type MemcachedServer } from '../support/memcached-server.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { sleep } from '../support/child-process.js';

const H = 3_600_000;
const DAY = 24 * H;
/** 2024-03-01T00:00:00Z: history at fixed past times, never relative to today. */
const T0 = Date.UTC(2024, 2, 1);

/** Three days at 1 m; instance "d" only in the first 10 h (a label value that comes and goes). */
function history(): string {
  const counter: string[] = [];
  const gauge: string[] = [];
  for (let t = T0; t <= T0 + 3 * DAY; t += 60_000) {
    const i = (t - T0) / 60_000;
    for (const inst of ['a', 'b', 'c', 'd']) {
      if (inst === 'd' && t > T0 + 10 * H) continue;
      const k = inst.charCodeAt(0) - 96;
      counter.push(`sc_requests_total{instance="${inst}",job="api"} ${i * k} ${t / 1000}`);
      gauge.push(`sc_temp{instance="${inst}",job="node"} ${(20 + Math.sin(i / (40 * k))).toFixed(3)} ${t / 1000}`);
    }
  }
  return ['# TYPE sc_requests counter', ...counter, '# TYPE sc_temp gauge', ...gauge, '# EOF'].join('\n') + '\n';
}

const promOk = prometheusAvailable();
const DOWNSTREAM_RANGE = 'promdedup_frontend_downstream_requests_total{op="query_range"}';

async function get(url: string): Promise<{ status: number; body: string; ms: number }> {
  const t = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t };
}

/** Requests the Prometheus itself answered on a handler (from its own /metrics). */
async function promRequests(prom: PrometheusServer, handler: string): Promise<number> {
  const text = await (await fetch(`${prom.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('prometheus_http_requests_total{') && line.includes(`handler="${handler}"`)) n += Number(line.split(' ').pop());
  return n;
}

async function metric(fe: FrontendProcess, name: string): Promise<number> {
  const text = await (await fetch(`${fe.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) n += Number(line.split(' ').pop());
  return n;
}

const range = (base: string, q: string, start: number, end: number, step: number): string =>
  `${base}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${start / 1000}&end=${end / 1000}&step=${step / 1000}`;
const labelValues = (base: string, name: string, start: number, end: number, match = ''): string =>
  `${base}/api/v1/label/${name}/values?start=${start / 1000}&end=${end / 1000}${match === '' ? '' : `&match[]=${encodeURIComponent(match)}`}`;
const series = (base: string, match: string, start: number, end: number): string =>
  `${base}/api/v1/series?match[]=${encodeURIComponent(match)}&start=${start / 1000}&end=${end / 1000}`;

/** Polls until `f` is true (a shared cache's store is asynchronous). */
async function eventually(f: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

let prom: PrometheusServer;

beforeAll(async () => {
  if (!promOk) return;
  ensureQuerierBuilt();
  prom = await startPrometheus({ openMetrics: history() });
}, 120_000);
afterAll(async () => {
  await prom?.stop();
});

interface Backend {
  readonly name: string;
  readonly available: boolean;
  start(): Promise<{ address: string; stop(): Promise<void>; kill(): Promise<void>; pause(): void; resume(): void; restart(): Promise<void> }>;
  config(address: string): string;
}

const backends: Backend[] = [
  {
    name: 'memcached',
    available: memcachedAvailable(),
    start: (): Promise<MemcachedServer> => startMemcached(),
    config: (address) => `type: MEMCACHED\nconfig:\n  addresses: [${address}]\n  timeout: 300ms\n`,
  },
  {
    name: 'redis',
    available: redisAvailable(),
    start: (): Promise<RedisServer> => startRedis(),
    config: (address) => `type: REDIS\nconfig:\n  addr: ${address}\n  read_timeout: 300ms\n  write_timeout: 300ms\n  dial_timeout: 300ms\n`,
  },
];

for (const backend of backends) {
  describe.skipIf(!promOk || !backend.available)(`two query frontends sharing one ${backend.name}`, () => {
    let server: Awaited<ReturnType<Backend['start']>>;
    let a: FrontendProcess;
    let b: FrontendProcess;

    beforeAll(async () => {
      server = await backend.start();
      const cfg = backend.config(server.address);
      const args = [`--query-range.response-cache-config=${cfg}`, `--labels.response-cache-config=${cfg}`, '--cache-compression-type=snappy'];
      [a, b] = await Promise.all([startFrontendProcess(prom.url, args), startFrontendProcess(prom.url, args)]);
    }, 60_000);
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await server?.stop();
    });

    it('a range query one frontend answered, the other answers from the cache: the Prometheus is not asked again', async () => {
      const q = 'sum by (job) (rate(sc_requests_total[5m]))';
      const url = (base: string): string => range(base, q, T0 + 6 * H, T0 + 2 * DAY + 3 * H, 300_000);
      const direct = await get(url(prom.url));
      expect(direct.status).toBe(200);
      const first = await get(url(a.url));
      expect(first.body).toBe(direct.body);
      await eventually(async () => {
        const sent = await metric(b, DOWNSTREAM_RANGE);
        const again = await get(url(b.url));
        expect(again.body).toBe(direct.body);
        return (await metric(b, DOWNSTREAM_RANGE)) === sent;
      });
      // Prometheus' own count, read after it settles: b never asked it.
      await sleep(200);
      const before = await promRequests(prom, '/api/v1/query_range');
      await get(url(b.url));
      await sleep(200);
      expect(await promRequests(prom, '/api/v1/query_range')).toBe(before);
      expect(await metric(b, 'promdedup_frontend_cache_requests_total{kind="query_range",result="hit"}')).toBeGreaterThanOrEqual(3);
      expect(await metric(b, 'promdedup_frontend_cache_operation_failures_total')).toBe(0);
    });

    it('labels and series: split answers equal the unsplit ones, and are shared per exact sub-range', async () => {
      const [s, e] = [T0 + 2 * H, T0 + 2 * DAY + 5 * H];
      for (const u of [
        (base: string) => labelValues(base, 'instance', s, e),
        (base: string) => labelValues(base, 'instance', s, e, 'sc_temp'),
        (base: string) => `${base}/api/v1/labels?start=${s / 1000}&end=${e / 1000}`,
        (base: string) => series(base, '{__name__=~"sc_.*",instance=~"a|d"}', s, e),
      ]) {
        const direct = await get(u(prom.url));
        expect(direct.status).toBe(200);
        expect((await get(u(a.url))).body).toBe(direct.body);
        const hitsBefore = await metricHits(b);
        await eventually(async () => {
          expect((await get(u(b.url))).body).toBe(direct.body);
          return (await metricHits(b)) > hitsBefore;
        });
      }
      // A range inside a cached one gets its own answer: instance "d" stopped at 10 h.
      const late = labelValues(b.url, 'instance', T0 + 20 * H, T0 + 23 * H);
      expect(JSON.parse((await get(late)).body).data).toEqual(['a', 'b', 'c']);
      expect((await get(late)).body).toBe((await get(labelValues(prom.url, 'instance', T0 + 20 * H, T0 + 23 * H))).body);
    });

    it('a killed cache costs a warning and a pass-through; a hung one one timeout, then nothing; it is used again once back', async () => {
      const q = 'max(sc_temp)';
      const url = (base: string, k: number): string => range(base, q, T0 + k * H, T0 + DAY + k * H, 60_000);
      await server.kill();
      const direct = await get(url(prom.url, 1));
      const r = await get(url(a.url, 1));
      expect(r.status).toBe(200);
      expect(r.body).toBe(direct.body);
      expect((await get(labelValues(a.url, 'job', T0, T0 + DAY))).status).toBe(200);
      await eventually(async () => a.logs().includes('results cache unavailable'));
      expect(await metric(a, 'promdedup_frontend_cache_operation_failures_total')).toBeGreaterThan(0);

      // Hung: connections stay open, nothing answers.
      await server.restart();
      server.pause();
      try {
        for (let k = 2; k < 6; k++) {
          const hung = await get(url(b.url, k));
          expect(hung.status).toBe(200);
          expect(hung.body).toBe((await get(url(prom.url, k))).body);
          // One timeout (300 ms) at most, not one per sub-query or per request.
          expect(hung.ms).toBeLessThan(3_000);
        }
      } finally {
        server.resume();
      }
      // Back: after the breaker's pause the cache is filled and read again.
      await sleep(5_500);
      const back = url(a.url, 7);
      await get(back);
      await eventually(async () => {
        const sent = await metric(a, DOWNSTREAM_RANGE);
        await get(back);
        return (await metric(a, DOWNSTREAM_RANGE)) === sent;
      }, 10_000);
      expect(a.logs()).toContain('results cache reachable again');
    }, 60_000);
  });
}

describe.skipIf(!promOk || !memcachedAvailable())('a query frontend over two memcached servers', () => {
  it('spreads keys over both; with one down the other still serves its share, and answers stay right', async () => {
    const [m1, m2] = await Promise.all([startMemcached(), startMemcached()]);
    const cfg = `type: MEMCACHED\nconfig:\n  addresses: [${m1.address}, ${m2.address}]\n  timeout: 300ms\n`;
    const fe = await startFrontendProcess(prom.url, [`--query-range.response-cache-config=${cfg}`, '--query-range.split-interval=3h']);
    try {
      // 16 sub-ranges of 3 h: their keys land on both servers.
      const url = (base: string): string => range(base, 'avg(sc_temp)', T0, T0 + 2 * DAY - 60_000, 60_000);
      const direct = (await get(url(prom.url))).body;
      expect((await get(url(fe.url))).body).toBe(direct);
      const hits = async (): Promise<number> => metric(fe, 'promdedup_frontend_cache_requests_total{kind="query_range",result="hit"}');
      await eventually(async () => {
        const before = await hits();
        expect((await get(url(fe.url))).body).toBe(direct);
        return (await hits()) - before === 16;
      });
      await m1.kill();
      const before = await hits();
      for (let i = 0; i < 3; i++) expect((await get(url(fe.url))).body).toBe(direct);
      // Each pass: the keys on the live server are hits; the dead server's are fetched (its breaker open).
      const gained = (await hits()) - before;
      expect(gained).toBeGreaterThan(3);
      expect(gained).toBeLessThan(3 * 16);
      expect(fe.logs()).toContain(`server=${m1.address}`);
    } finally {
      await fe.stop();
      await m1.stop();
      await m2.stop();
    }
  }, 60_000);
});

async function metricHits(fe: FrontendProcess): Promise<number> {
  let n = 0;
  for (const kind of ['label_names', 'label_values', 'series']) n += await metric(fe, `promdedup_frontend_cache_requests_total{kind="${kind}",result="hit"}`);
  return n;
}

describe.skipIf(!promOk)('a query frontend whose shared cache was never there', () => {
  it('starts and answers every request', async () => {
    const port = await freePort();
    const fe = await startFrontendProcess(prom.url, [`--query-range.response-cache-config=type: REDIS\nconfig:\n  addr: 127.0.0.1:${port}\n`, `--labels.response-cache-config=type: MEMCACHED\nconfig:\n  addresses: [127.0.0.1:${port}]\n`]);
    try {
      const q = range(fe.url, 'sc_temp', T0, T0 + 2 * DAY, 600_000);
      for (let i = 0; i < 3; i++) expect((await get(q)).body).toBe((await get(range(prom.url, 'sc_temp', T0, T0 + 2 * DAY, 600_000))).body);
      expect((await get(labelValues(fe.url, 'instance', T0, T0 + 2 * DAY))).status).toBe(200);
      await eventually(async () => fe.logs().includes('results cache unavailable'));
    } finally {
      await fe.stop();
    }
  });
});
