/**
 * The HTTP API over in-process fake stores (fastify inject, no network): parameter handling, limits,
 * timeouts and failure paths compared with what Prometheus 2.42 / Thanos answer.
 */
import type { FastifyInstance } from 'fastify';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ApiContext } from '../../src/api/context.js';
import { buildHttpApi } from '../../src/api/server.js';
import { parseQueryFlags, type RawQueryFlags } from '../../src/cmd/flags.js';
import { Registry } from 'prom-client';
import { QueryMetrics } from '../../src/query/metrics.js';
import { labelsFromRecord, type Labels } from '../../src/model/labels.js';
import { MetadataQuerier } from '../../src/query/metadata.js';
import { QueryPool } from '../../src/query/pool.js';
import { Querier } from '../../src/query/querier.js';
import { StoreSet } from '../../src/query/stores.js';
import type { LabelsRequest, MetricMetadata, RawRead, Store, StoreStatus } from '../../src/store/store.js';
import { Gate } from '../../src/util/gate.js';
import { silentLogger } from '../../src/util/log.js';

/** A store answering from a fixed list of label sets (external labels included), Prometheus-style. */
class FakeStore implements Store {
  calls: { kind: string; req?: LabelsRequest; name?: string }[] = [];
  hang = false;
  constructor(
    readonly name: string,
    private readonly sets: Labels[],
    private readonly ext: Labels = [],
  ) {}
  labelSets(): readonly Labels[] {
    return this.ext.length > 0 ? [this.ext] : [];
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  private async wait(signal: AbortSignal): Promise<void> {
    if (!this.hang) return;
    await new Promise<void>((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  private matching(req: LabelsRequest): Labels[] {
    if (req.matchers.length === 0) return this.sets;
    return this.sets.filter((ls) =>
      req.matchers.some((sel) => sel.every((m) => m.matches(ls.find((l) => l.name === m.name)?.value ?? ''))),
    );
  }
  version(): string | null {
    return '2.42.0';
  }
  status(): StoreStatus {
    return { componentType: 'prometheus', queryable: true, strict: true, lastCheck: 0, lastSuccess: 0, lastError: null, minTime: -Infinity, maxTime: Infinity, withoutReplicaLabels: false };
  }
  async refreshExternalLabels(): Promise<void> {}
  async openRead(_reqs: unknown, signal: AbortSignal): Promise<RawRead | null> {
    await this.wait(signal);
    return null;
  }
  async labelNames(req: LabelsRequest, signal: AbortSignal): Promise<string[]> {
    this.calls.push({ kind: 'labels', req });
    await this.wait(signal);
    const names = [...new Set(this.matching(req).flatMap((ls) => ls.map((l) => l.name)))].sort();
    return req.limit > 0 ? names.slice(0, req.limit) : names;
  }
  async labelValues(name: string, req: LabelsRequest, signal: AbortSignal): Promise<string[]> {
    this.calls.push({ kind: 'values', req, name });
    await this.wait(signal);
    const values = [
      ...new Set(this.matching(req).flatMap((ls) => ls.filter((l) => l.name === name).map((l) => l.value))),
    ].sort();
    return req.limit > 0 ? values.slice(0, req.limit) : values;
  }
  async series(req: LabelsRequest, signal: AbortSignal): Promise<Labels[]> {
    this.calls.push({ kind: 'series', req });
    await this.wait(signal);
    const out = this.matching(req);
    return req.limit > 0 ? out.slice(0, req.limit) : out;
  }
  async metadata(_metric: string, _limit: number, signal: AbortSignal): Promise<Record<string, MetricMetadata[]>> {
    await this.wait(signal);
    return {};
  }
}

const FLAGS: RawQueryFlags = {
  httpAddress: '127.0.0.1:0',
  grpcAddress: '127.0.0.1:0',
  endpoint: ['http://unused:9090'],
  'query.replicaLabel': ['replica'],
  'deduplication.func': 'penalty',
  'deduplication.workers': '1',
  'query.timeout': '2m',
  'query.lookbackDelta': '5m',
  'query.maxConcurrent': '20',
  'query.partialResponse': true,
  'query.promqlCompat': '3',
  'store.responseTimeout': '0ms',
  'query.maxSamples': '50000000',
  'store.limits.requestSeries': '0',
  'store.limits.requestSamples': '0',
  'log.level': 'error',
  'log.format': 'logfmt',
};

const apps: FastifyInstance[] = [];
const pools: QueryPool[] = [];

function api(stores: Store[], flags: Partial<RawQueryFlags> = {}, recycleBytes?: number): FastifyInstance {
  const config = parseQueryFlags({ ...FLAGS, ...flags });
  const storeSet = new StoreSet(stores);
  const registry = new Registry();
  const metrics = new QueryMetrics(registry);
  const pool = new QueryPool({
    settings: {
      lookbackDelta: config.lookbackDelta,
      defaultEvaluationInterval: 60_000,
      maxSamples: config.maxSamples,
      requestSeries: 0,
      requestSamples: 0,
      delayedNameRemoval: false,
    },
    min: 1,
    max: config.maxConcurrent,
    ...(recycleBytes !== undefined ? { recycleBytes } : {}),
    querier: new Querier(storeSet, metrics),
    metrics,
    logger: silentLogger,
  });
  pools.push(pool);
  const ctx: ApiContext = {
    config,
    runQuery: (task, policy, signal) => pool.run(task, policy, signal),
    metadata: new MetadataQuerier(storeSet),
    stores: storeSet,
    registry,
    metrics,
    gate: new Gate(config.maxConcurrent),
    logger: silentLogger,
    compat: () => '3',
    annotations: () => true,
    ready: () => true,
  };
  const app = buildHttpApi(ctx);
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** Three series per replica; replica a and b hold the same series. */
function replica(r: string): FakeStore {
  const sets = ['/a', '/b', '/c'].map((path) =>
    labelsFromRecord({ __name__: 'demo_requests_total', cluster: 'c1', path, replica: r }),
  );
  return new FakeStore(`http://prom-${r}:9090`, sets, labelsFromRecord({ cluster: 'c1', replica: r }));
}

async function getJson(app: FastifyInstance, url: string) {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, headers: res.headers, body: res.body, json: JSON.parse(res.body) };
}

describe('match[] validation', () => {
  it('rejects a selector whose matchers all match the empty string, as Prometheus does', async () => {
    const a = replica('a');
    const app = api([a, replica('b')]);
    const series = await getJson(app, '/api/v1/series?match[]=' + encodeURIComponent('{a=""}'));
    expect(series.status).toBe(400);
    expect(series.json).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "match[]": match[] must contain at least one non-empty matcher',
    });
    for (const path of ['/api/v1/labels', '/api/v1/label/path/values']) {
      const r = await getJson(app, `${path}?match[]=up&match[]=` + encodeURIComponent('{path=~".*",x=""}'));
      expect(r.status, path).toBe(400);
      expect(r.json.error, path).toBe('match[] must contain at least one non-empty matcher');
    }
    expect(a.calls).toEqual([]);
  });

  it('reports match[] parse errors with Prometheus’ wording per endpoint', async () => {
    const app = api([replica('a')]);
    const series = await getJson(app, '/api/v1/series?match[]=up{');
    expect(series.json.error).toBe('invalid parameter "match[]": 1:4: parse error: unexpected end of input inside braces');
    const labels = await getJson(app, '/api/v1/labels?match[]=up{');
    expect(labels.status).toBe(400);
    expect(labels.json.error).toBe('1:4: parse error: unexpected end of input inside braces');
  });
});

describe('limit on series, labels and label values', () => {
  it('truncates with the warning even when every replica cut its own answer at the limit', async () => {
    const app = api([replica('a'), replica('b')]);
    const series = await getJson(app, '/api/v1/series?match[]=demo_requests_total&limit=2');
    expect(series.json.data).toEqual([
      { __name__: 'demo_requests_total', cluster: 'c1', path: '/a' },
      { __name__: 'demo_requests_total', cluster: 'c1', path: '/b' },
    ]);
    expect(series.json.warnings).toEqual(['results truncated due to limit']);
    expect(series.headers['cache-control']).toBe('no-store');
    const values = await getJson(app, '/api/v1/label/path/values?limit=2');
    expect(values.json).toEqual({ status: 'success', data: ['/a', '/b'], warnings: ['results truncated due to limit'] });
    const names = await getJson(app, '/api/v1/labels?limit=2');
    expect(names.json).toEqual({ status: 'success', data: ['__name__', 'cluster'], warnings: ['results truncated due to limit'] });
  });

  it('gives no warning when the limit is not exceeded', async () => {
    const app = api([replica('a'), replica('b')]);
    const series = await getJson(app, '/api/v1/series?match[]=demo_requests_total&limit=3');
    expect(series.json.data).toHaveLength(3);
    expect(series.json.warnings).toBeUndefined();
    const values = await getJson(app, '/api/v1/label/path/values?limit=3');
    expect(values.json).toEqual({ status: 'success', data: ['/a', '/b', '/c'] });
    const names = await getJson(app, '/api/v1/labels?limit=3');
    expect(names.json).toEqual({ status: 'success', data: ['__name__', 'cluster', 'path'] });
    const raw = await getJson(app, '/api/v1/labels?limit=4&dedup=false');
    expect(raw.json).toEqual({ status: 'success', data: ['__name__', 'cluster', 'path', 'replica'] });
  });
});

describe('label APIs with dedup on answer as one Prometheus holding the deduplicated data', () => {
  it('hides replica labels and their values unless dedup=false', async () => {
    const app = api([replica('a'), replica('b')]);
    expect((await getJson(app, '/api/v1/labels')).json.data).toEqual(['__name__', 'cluster', 'path']);
    expect((await getJson(app, '/api/v1/label/replica/values')).json).toEqual({ status: 'success', data: [] });
    expect((await getJson(app, '/api/v1/label/replica/values?dedup=false')).json.data).toEqual(['a', 'b']);
    expect((await getJson(app, '/api/v1/labels?dedup=false')).json.data).toEqual(['__name__', 'cluster', 'path', 'replica']);
    // replicaLabels[] overrides the flag, as on the query endpoints.
    expect((await getJson(app, '/api/v1/labels?replicaLabels[]=cluster')).json.data).toEqual(['__name__', 'path', 'replica']);
    const series = await getJson(app, '/api/v1/series?match[]=demo_requests_total');
    expect(series.json.data).toHaveLength(3);
    expect(series.json.data[0]).toEqual({ __name__: 'demo_requests_total', cluster: 'c1', path: '/a' });
  });
});

describe('large answers', () => {
  it('are streamed from the worker in parts, whole and byte-identical, with and without gzip', async () => {
    const app = api([]);
    // 2 series x 11,001 points: about 370 KB of JSON, more than one body message.
    const url =
      '/api/v1/query_range?query=' +
      encodeURIComponent('vector(1) or label_replace(vector(2), "a", "b", "", "")') +
      '&start=1700000000&end=1700011000&step=1';
    const plain = await app.inject({ method: 'GET', url });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('application/json');
    expect(plain.body.length).toBeGreaterThan(300_000);
    const json = JSON.parse(plain.body);
    expect(json.data.result).toHaveLength(2);
    expect(json.data.result[0].values).toHaveLength(11_001);
    expect(json.data.result[1].values[11_000]).toEqual([1700011000, '2']);
    const zipped = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(plain.body);
  });

  it('are written whole even when the worker is replaced for its memory right after the last part', async () => {
    const app = api([], {}, 1); // every worker counts as grown too large
    const url =
      '/api/v1/query_range?query=' +
      encodeURIComponent('vector(1) or label_replace(vector(2), "a", "b", "", "")') +
      '&start=1700000000&end=1700011000&step=1';
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body).data.result[1].values).toHaveLength(11_001);
    }
  });
});

describe('metadata endpoints against an endpoint that never answers', () => {
  it('give up at --query.timeout with 503 instead of hanging', async () => {
    const hung = replica('a');
    hung.hang = true;
    const app = api([hung], { 'query.timeout': '200ms' });
    for (const path of ['/api/v1/labels', '/api/v1/label/path/values', '/api/v1/series?match[]=up', '/api/v1/metadata']) {
      const started = Date.now();
      const r = await getJson(app, path);
      expect(r.status, path).toBe(503);
      expect(r.json.errorType, path).toBe('timeout');
      expect(Date.now() - started, path).toBeLessThan(2000);
    }
  });
});

describe('float-second durations', () => {
  it('truncates step to whole ms as Prometheus does (step=1.0005 is a 1 s step)', async () => {
    const app = api([replica('a')]);
    const r = await getJson(
      app,
      '/api/v1/query_range?query=time()&start=2023-11-14T22:13:20.5Z&end=2023-11-14T22:13:22.5Z&step=1.0005',
    );
    // Prometheus 2.42's answer to the same request.
    expect(r.body).toBe(
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000.500,"1700000000.5"],[1700000001.500,"1700000001.5"],[1700000002.500,"1700000002.5"]]}]}}',
    );
  });
});

describe('methods', () => {
  it('answers a known path with the wrong method 405 with Allow, as Prometheus', async () => {
    const app = api([replica('a')]);
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/query?query=up' });
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toBe('GET, OPTIONS, POST');
    expect(del.body).toBe('Method Not Allowed\n');
    const post = await app.inject({ method: 'POST', url: '/api/v1/label/path/values' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, OPTIONS');
    const options = await app.inject({ method: 'OPTIONS', url: '/api/v1/query' });
    expect(options.statusCode).toBe(204);
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('headers', () => {
  it('sends Content-Type: application/json exactly as Prometheus, on answers and errors', async () => {
    const app = api([replica('a')]);
    const ok = await app.inject({ method: 'GET', url: '/api/v1/query?query=1&time=4' });
    expect(ok.headers['content-type']).toBe('application/json');
    const bad = await app.inject({ method: 'GET', url: '/api/v1/query?query=sum(' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toBe('application/json');
    expect(bad.headers['cache-control']).toBe('no-store');
    const labels = await app.inject({ method: 'GET', url: '/api/v1/labels' });
    expect(labels.headers['content-type']).toBe('application/json');
  });
});
