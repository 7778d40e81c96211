/**
 * promdedup as a StoreAPI endpoint under another promdedup: A serves the StoreAPI over real
 * Prometheus replicas, B queries A through `--endpoint=host:port` and must answer exactly what A's
 * own HTTP API answers, deduplicating in B (A strips the replica label on `without_replica_labels`).
 * Also: the endpoints page and API, and discovery from a file that changes while queries run.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata, status as GrpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { method, type PbSeriesRequest } from '../../src/store/grpc/proto.js';
import { sleep } from '../support/child-process.js';
import { encodeParams, type Params } from '../support/compare.js';
import { generateHaData, type HaData } from '../support/hadata.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { prometheusAvailable } from '../support/prometheus.js';
import { startQuerier, type QuerierProcess } from '../support/querier-process.js';

async function text(base: string, path: string, params: Params = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}${path}?${encodeParams(params)}`);
  return { status: res.status, body: await res.text() };
}

describe.skipIf(!prometheusAvailable())('StoreAPI: promdedup under promdedup', () => {
  let d: HaData;
  let setup: HaSetup;
  let b: QuerierProcess;
  let dir: string;

  beforeAll(async () => {
    d = generateHaData({ seed: 11 });
    setup = await startHaSetup({ cluster: d.cluster, openMetrics: { a: d.openMetrics.a, b: d.openMetrics.b } });
    // B only sees StoreAPI endpoints, whose Prometheus version it cannot learn: pin A's dialect.
    b = await startQuerier({ endpoints: [`127.0.0.1:${setup.querier.grpcPort}`], extraArgs: ['--query.promql-compat=2'] });
    dir = mkdtempSync(join(tmpdir(), 'promdedup-sd-'));
  }, 300_000);

  afterAll(async () => {
    await b?.stop();
    await setup?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const queries = [
    'up',
    'http_requests_total',
    'sum by (job) (rate(http_requests_total[5m]))',
    'max_over_time(http_requests_total[10m])',
    'count by (__name__) ({__name__=~".+"})',
    'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    'http_requests_total{replica="a"}',
  ];

  it('answers query_range and query exactly as A does, with dedup on and off', async () => {
    const t = d.endMs / 1000;
    for (const query of queries) {
      for (const dedup of ['true', 'false']) {
        const range = { query, start: t - 3 * 3600, end: t, step: 60, dedup };
        const [ra, rb] = await Promise.all([text(setup.querier.url, '/api/v1/query_range', range), text(b.url, '/api/v1/query_range', range)]);
        expect(ra.status, ra.body).toBe(200);
        expect(rb.body, `${query} dedup=${dedup}`).toBe(ra.body);
        const instant = { query, time: t - 1800, dedup };
        const [ia, ib] = await Promise.all([text(setup.querier.url, '/api/v1/query', instant), text(b.url, '/api/v1/query', instant)]);
        expect(ib.body, `${query} dedup=${dedup} instant`).toBe(ia.body);
      }
    }
  });

  it('answers the series and label APIs as A does', async () => {
    const t = d.endMs / 1000;
    const cases: [string, Params][] = [
      ['/api/v1/series', { 'match[]': 'up', start: t - 3600, end: t }],
      ['/api/v1/series', { 'match[]': 'http_requests_total', start: t - 3600, end: t, dedup: 'false' }],
      ['/api/v1/labels', { start: t - 3600, end: t }],
      ['/api/v1/label/job/values', { start: t - 3600, end: t }],
      ['/api/v1/label/replica/values', { start: t - 3600, end: t }],
    ];
    for (const [path, params] of cases) {
      const [ra, rb] = await Promise.all([text(setup.querier.url, path, params), text(b.url, path, params)]);
      expect(ra.status).toBe(200);
      expect(rb.body, path).toBe(ra.body);
    }
  });

  it('answers undecodable and invalid Series requests with INVALID_ARGUMENT and keeps serving', async () => {
    const client = new Client(`127.0.0.1:${setup.querier.grpcPort}`, credentials.createInsecure());
    const series = method<PbSeriesRequest, Buffer>('thanos.Store', 'Series');
    const raw = (b: Buffer): Buffer => b;
    const outcome = (call: ClientReadableStream<Buffer>): Promise<{ code: number; details: string; frames: number }> =>
      new Promise((resolve) => {
        let frames = 0;
        call.on('data', () => frames++);
        call.on('error', (e: ServiceError) => resolve({ code: e.code, details: e.details, frames }));
        call.on('end', () => resolve({ code: 0, details: '', frames }));
      });
    try {
      const garbage = await outcome(client.makeServerStreamRequest('/thanos.Store/Series', raw, raw, Buffer.from([0x1a, 0x05, 0x08]), new Metadata()));
      expect(garbage.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(garbage.details).toMatch(/cannot decode the request/);
      const t = d.endMs;
      const bad = (matchers: PbSeriesRequest['matchers'], min: number, max: number) =>
        outcome(client.makeServerStreamRequest(series.path, series.requestSerialize, raw, { matchers, min_time: min, max_time: max } as PbSeriesRequest, new Metadata()));
      expect(await bad([{ type: 2, name: 'job', value: '(' }], t - 60_000, t)).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/regular expression/) });
      expect(await bad([], t - 60_000, t)).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'no matchers specified' });
      expect(await bad([{ type: 0, name: '__name__', value: 'up' }], t, t - 60_000)).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/after max_time/) });
      const good = await bad([{ type: 0, name: '__name__', value: 'up' }], t - 60_000, t);
      expect(good.code).toBe(0);
      expect(good.frames).toBeGreaterThan(0);
    } finally {
      client.close();
    }
    expect((await fetch(`${setup.querier.url}/-/healthy`)).status).toBe(200);
  });

  it('lists A on /api/v1/stores (Thanos shape) and on /stores', async () => {
    const res = await fetch(`${b.url}/api/v1/stores`);
    const body = (await res.json()) as { status: string; data: Record<string, { name: string; lastError: string | null; labelSets: Record<string, string>[]; lastCheck: string }[]> };
    expect(body.status).toBe('success');
    const query = body.data['query'];
    expect(query).toHaveLength(1);
    expect(query![0]!.name).toBe(`127.0.0.1:${setup.querier.grpcPort}`);
    expect(query![0]!.lastError).toBeNull();
    expect(query![0]!.labelSets).toEqual(expect.arrayContaining([{ cluster: d.cluster, replica: 'a' }, { cluster: d.cluster, replica: 'b' }]));
    expect(Number.isNaN(Date.parse(query![0]!.lastCheck))).toBe(false);
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toContain(`promdedup_endpoint_up{endpoint="127.0.0.1:${setup.querier.grpcPort}",type="query"} 1`);
    const page = await (await fetch(`${b.url}/stores`)).text();
    expect(page).toContain(`127.0.0.1:${setup.querier.grpcPort}`);
    expect(page).toContain('<h2>query</h2>');
  });

  it('follows a --store.sd-files file that changes while queries run', async () => {
    const file = join(dir, 'targets.json');
    const write = (targets: string[]): void => {
      // Written aside and renamed into place, as a writer of file_sd files should.
      writeFileSync(`${file}.tmp`, JSON.stringify([{ targets }]));
      renameSync(`${file}.tmp`, file);
    };
    write([]);
    const c = await startQuerier({ endpoints: [], extraArgs: [`--store.sd-files=${file}`, '--query.promql-compat=2'] });
    try {
      const t = d.endMs / 1000;
      const ask = () => text(c.url, '/api/v1/query', { query: 'count(up)', time: t });
      const untilSeries = async (want: boolean): Promise<void> => {
        const deadline = Date.now() + 15_000;
        for (;;) {
          const r = await ask();
          expect(r.status, r.body).toBe(200);
          const n = (JSON.parse(r.body) as { data: { result: unknown[] } }).data.result.length;
          if ((n > 0) === want) return;
          if (Date.now() > deadline) throw new Error(`discovery did not ${want ? 'add' : 'remove'} the endpoint: ${r.body}`);
          await sleep(100);
        }
      };
      await untilSeries(false);
      write([`127.0.0.1:${setup.querier.grpcPort}`]);
      await untilSeries(true);
      const direct = await text(setup.querier.url, '/api/v1/query', { query: 'count(up)', time: t });
      expect((await ask()).body).toBe(direct.body);
      write([]);
      await untilSeries(false);
    } finally {
      await c.stop();
    }
  });
});
