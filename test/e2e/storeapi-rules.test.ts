/**
 * End to end: Thanos' Rules, Targets and Exemplars APIs of StoreAPI endpoints behind a real
 * `promdedup query` (`--endpoint=host:port`). The endpoints are gRPC servers of this test on
 * loopback (grpc-js + proto-loader, none of promdedup's server code) with canned answers:
 * - A and B: two replicas of one sidecar (external labels cluster=eu, replica=a|b), Info announcing
 *   Rules, Targets and Exemplars; their answers carry the external labels as Thanos' sidecar's do;
 * - C: implements the three APIs too but its Info does not announce them: never asked;
 * - D: announces them; answers nothing while healthy, then fails or answers with a warning.
 * Every timestamp is fixed (2023), nothing depends on today's date.
 */
import { Metadata, Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type ServiceDefinition, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet } from '../support/compare.js';
import { ensureQuerierBuilt, querierSourcePresent, repoRoot, startQuerier, type QuerierProcess } from '../support/querier-process.js';

type Json = Record<string, unknown>;
type LabelMap = Record<string, string>;

const T = 1_700_000_000; // 2023-11-14T22:13:20Z, seconds
const zset = (m: LabelMap) => ({ labels: Object.entries(m).map(([name, value]) => ({ name, value })) });
const ts = (seconds: number, nanos = 0) => ({ seconds, nanos });

interface Endpoint {
  readonly address: string;
  readonly calls: { rules: number; targets: number; exemplars: number };
  readonly requests: { rules: Json[]; targets: Json[]; exemplars: Json[] };
  mode: 'ok' | 'fail' | 'warn';
  stop(): Promise<void>;
}

const definition = loadSync(
  ['thanos/info/infopb/rpc.proto', 'thanos/rules/rulespb/rpc.proto', 'thanos/targets/targetspb/rpc.proto', 'thanos/exemplars/exemplarspb/rpc.proto'],
  { includeDirs: [join(repoRoot(), 'proto')], keepCase: true, longs: String, enums: Number, defaults: true, oneofs: true },
);

/** The canned answers of one sidecar replica (`replica` null: an endpoint with nothing to say). */
function answers(replica: string | null) {
  if (replica === null) return { groups: [], targets: [], exemplars: [] };
  const ext = { cluster: 'eu', replica };
  // Replica a fires, b is still pending: merged, the alert is firing.
  const firing = replica === 'a';
  const alert = {
    labels: zset({ alertname: 'HighLoad', instance: 'h:9100', replica }),
    annotations: zset({ summary: 'load is high' }),
    state: firing ? 3 : 2,
    active_at: ts(T + (firing ? 0 : 30)),
    value: '1e+00',
  };
  const group = {
    name: 'node',
    file: '/etc/rules/node.yaml',
    interval: 15,
    evaluation_duration_seconds: 0.001,
    last_evaluation: ts(T + 60 + (firing ? 0 : 1)),
    limit: 0,
    rules: [
      {
        alert: {
          state: firing ? 3 : 2,
          name: 'HighLoad',
          query: 'node_load1 > 1',
          duration_seconds: 60,
          labels: zset({ severity: 'page', ...ext }),
          annotations: zset({ summary: 'load is high' }),
          alerts: [alert],
          health: 'ok',
          last_error: '',
          evaluation_duration_seconds: 0.0005,
          last_evaluation: ts(T + 60),
          keep_firing_for_seconds: 0,
        },
      },
      {
        recording: {
          name: 'job:up:sum',
          query: 'sum by (job) (up)',
          labels: zset(ext),
          health: 'ok',
          last_error: '',
          evaluation_duration_seconds: 0.0002,
          last_evaluation: ts(T + 60, 250_000_000),
        },
      },
    ],
  };
  const targets = {
    activeTargets: [
      {
        discoveredLabels: zset({ __address__: 'h:9100', ...ext }),
        labels: zset({ instance: 'h:9100', job: 'node', ...ext }),
        scrapePool: 'node',
        scrapeUrl: 'http://h:9100/metrics',
        globalUrl: 'http://h:9100/metrics',
        lastError: '',
        lastScrape: ts(T + (firing ? 5 : 7)),
        lastScrapeDuration: 0.01,
        health: 1,
      },
    ],
    droppedTargets: [{ discoveredLabels: zset({ __address__: 'x:1', ...ext }) }],
  };
  const exemplars = [
    {
      seriesLabels: zset({ __name__: 'rpc_seconds_bucket', le: '0.5', ...ext }),
      exemplars: [{ labels: zset({ trace_id: 'abc' }), value: 0.25, ts: String(T * 1000 + 123) }],
    },
  ];
  return { groups: [group], targets: [targets], exemplars };
}

async function startEndpoint(replica: string | null, announce: boolean): Promise<Endpoint> {
  const calls = { rules: 0, targets: 0, exemplars: 0 };
  const requests = { rules: [] as Json[], targets: [] as Json[], exemplars: [] as Json[] };
  const data = answers(replica);
  const ep = { mode: 'ok' } as { mode: Endpoint['mode'] };
  const server = new Server();
  const svc = (name: string) => definition[name] as unknown as ServiceDefinition;
  server.addService(svc('thanos.info.Info'), {
    Info: (_call: ServerUnaryCall<object, unknown>, done: sendUnaryData<unknown>) => {
      done(null, {
        label_sets: replica === null ? [] : [zset({ cluster: 'eu', replica })],
        ComponentType: 'sidecar',
        store: null,
        rules: announce ? {} : null,
        targets: announce ? {} : null,
        exemplars: announce ? { min_time: '-9223372036854775808', max_time: '9223372036854775807' } : null,
      });
    },
  });
  /** Writes the messages, or fails / adds a warning in the other modes. */
  const serve = (api: keyof typeof calls, msgs: Json[]) => (call: ServerWritableStream<Json, unknown>) => {
    calls[api]++;
    requests[api].push(call.request);
    if (ep.mode === 'fail') {
      call.emit('error', Object.assign(new Error(`${api} backend down`), { code: GrpcStatus.UNAVAILABLE, details: `${api} backend down`, metadata: new Metadata() }));
      return;
    }
    for (const m of msgs) call.write(m);
    if (ep.mode === 'warn') call.write({ warning: `${api}: one store behind me failed` });
    call.end();
  };
  server.addService(svc('thanos.Rules'), { Rules: serve('rules', data.groups.map((group) => ({ group }))) });
  server.addService(svc('thanos.Targets'), { Targets: serve('targets', data.targets.map((targets) => ({ targets }))) });
  server.addService(svc('thanos.Exemplars'), { Exemplars: serve('exemplars', data.exemplars.map((d) => ({ data: d }))) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return Object.assign(ep, {
    address: `127.0.0.1:${port}`,
    calls,
    requests,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  });
}

const querierOk = querierSourcePresent();

describe.skipIf(!querierOk)('Rules, Targets and Exemplars APIs of StoreAPI endpoints', () => {
  let a: Endpoint, b: Endpoint, c: Endpoint, d: Endpoint;
  let q: QuerierProcess;

  beforeAll(async () => {
    ensureQuerierBuilt();
    a = await startEndpoint('a', true);
    b = await startEndpoint('b', true);
    c = await startEndpoint('c', false);
    d = await startEndpoint(null, true);
    q = await startQuerier({ endpoints: [a.address, b.address, c.address, d.address] });
  }, 120_000);

  afterAll(async () => {
    await q?.stop();
    await Promise.all([a, b, c, d].map((e) => e?.stop()));
  });

  const get = (path: string, params: Record<string, string | string[]> = {}) => apiGet(q.url, path, params);
  const get2 = (qp: QuerierProcess, path: string) => apiGet(qp.url, path);

  it('/api/v1/rules: one group, the replicas\' rules merged (most critical copy), replica label dropped', async () => {
    const res = await get('/api/v1/rules');
    expect(res.httpStatus).toBe(200);
    expect(res.body.warnings).toBeUndefined();
    const groups = (res.body.data as { groups: Json[] }).groups;
    expect(groups).toHaveLength(1);
    const g = groups[0]!;
    expect(Object.keys(g)).toEqual(['name', 'file', 'rules', 'interval', 'limit', 'evaluationTime', 'lastEvaluation']);
    expect(g.name).toBe('node');
    // The latest evaluation's copy: replica b's.
    expect(g.lastEvaluation).toBe('2023-11-14T22:14:21Z');
    expect(g.rules).toEqual([
      {
        state: 'firing',
        name: 'HighLoad',
        query: 'node_load1 > 1',
        duration: 60,
        keepFiringFor: 0,
        labels: { cluster: 'eu', severity: 'page' },
        annotations: { summary: 'load is high' },
        alerts: [{ labels: { alertname: 'HighLoad', instance: 'h:9100' }, annotations: { summary: 'load is high' }, state: 'firing', activeAt: '2023-11-14T22:13:20Z', value: '1e+00' }],
        health: 'ok',
        evaluationTime: 0.0005,
        lastEvaluation: '2023-11-14T22:14:20Z',
        type: 'alerting',
      },
      { name: 'job:up:sum', query: 'sum by (job) (up)', labels: { cluster: 'eu' }, health: 'ok', evaluationTime: 0.0002, lastEvaluation: '2023-11-14T22:14:20.25Z', type: 'recording' },
    ]);
    expect(c.calls.rules).toBe(0);
  });

  it('/api/v1/rules with dedup=false: each replica\'s rules, with their replica label', async () => {
    const res = await get('/api/v1/rules', { dedup: 'false' });
    const rules = ((res.body.data as { groups: Json[] }).groups[0]!.rules as Json[]).map((r) => [r.type, (r.labels as LabelMap).replica]);
    expect(rules.sort()).toEqual([
      ['alerting', 'a'],
      ['alerting', 'b'],
      ['recording', 'a'],
      ['recording', 'b'],
    ]);
  });

  it('passes the rules filters on as RulesRequest fields', async () => {
    a.requests.rules.length = 0;
    const res = await get('/api/v1/rules', { type: 'alert', 'rule_group[]': 'node', 'file[]': '/etc/rules/node.yaml', 'rule_name[]': 'HighLoad' });
    expect(res.httpStatus).toBe(200);
    expect(a.requests.rules[0]).toMatchObject({ type: 1, rule_group: ['node'], file: ['/etc/rules/node.yaml'], rule_name: ['HighLoad'] });
    const rules = (res.body.data as { groups: Json[] }).groups[0]!.rules as Json[];
    expect(rules.map((r) => r.type)).toEqual(['alerting']);
  });

  it('/api/v1/alerts: one alert (firing, earliest activeAt) without the replica label; dedup=false both', async () => {
    const res = await get('/api/v1/alerts');
    expect(res.httpStatus).toBe(200);
    expect((res.body.data as { alerts: Json[] }).alerts).toEqual([
      { labels: { alertname: 'HighLoad', instance: 'h:9100' }, annotations: { summary: 'load is high' }, state: 'firing', activeAt: '2023-11-14T22:13:20Z', value: '1e+00' },
    ]);
    const all = await get('/api/v1/alerts', { dedup: 'false' });
    const states = (all.body.data as { alerts: Json[] }).alerts.map((x) => [(x.labels as LabelMap).replica, x.state]);
    expect(states.sort()).toEqual([
      ['a', 'firing'],
      ['b', 'pending'],
    ]);
    // Asked of the Rules API for alerting rules, as Thanos' querier does.
    expect(a.requests.rules.at(-1)).toMatchObject({ type: 1 });
  });

  it('/api/v1/targets: one active and one dropped target without the replica label; dedup=false both', async () => {
    const res = await get('/api/v1/targets');
    expect(res.httpStatus).toBe(200);
    const data = res.body.data as { activeTargets: Json[]; droppedTargets: Json[] };
    expect(data.activeTargets).toEqual([
      {
        discoveredLabels: { __address__: 'h:9100', cluster: 'eu' },
        labels: { cluster: 'eu', instance: 'h:9100', job: 'node' },
        scrapePool: 'node',
        scrapeUrl: 'http://h:9100/metrics',
        globalUrl: 'http://h:9100/metrics',
        lastError: '',
        // Both up: the latest scrape (replica b's).
        lastScrape: '2023-11-14T22:13:27Z',
        lastScrapeDuration: 0.01,
        health: 'up',
      },
    ]);
    expect(data.droppedTargets).toEqual([{ discoveredLabels: { __address__: 'x:1', cluster: 'eu' } }]);
    const all = (await get('/api/v1/targets', { dedup: 'false' })).body.data as { activeTargets: Json[]; droppedTargets: Json[] };
    expect(all.activeTargets.map((t) => (t.labels as LabelMap).replica).sort()).toEqual(['a', 'b']);
    expect(all.droppedTargets.map((t) => (t.discoveredLabels as LabelMap).replica).sort()).toEqual(['a', 'b']);
    const dropped = (await get('/api/v1/targets', { state: 'dropped' })).body.data as { activeTargets: Json[]; droppedTargets: Json[] };
    expect(dropped.activeTargets).toEqual([]);
    expect(a.requests.targets.at(-1)).toMatchObject({ state: 2 });
    expect(c.calls.targets).toBe(0);
  });

  it('/api/v1/query_exemplars: one series without the replica label; the query sent without external-label matchers', async () => {
    a.requests.exemplars.length = 0;
    const params = { query: 'rpc_seconds_bucket{cluster="eu"}', start: String(T), end: String(T + 3600) };
    const res = await get('/api/v1/query_exemplars', params);
    expect(res.httpStatus).toBe(200);
    expect(res.body.data).toEqual([
      { seriesLabels: { __name__: 'rpc_seconds_bucket', cluster: 'eu', le: '0.5' }, exemplars: [{ labels: { trace_id: 'abc' }, value: '0.25', timestamp: 1700000000.123 }] },
    ]);
    expect(a.requests.exemplars[0]).toMatchObject({ query: '{__name__="rpc_seconds_bucket"}', start: String(T * 1000), end: String((T + 3600) * 1000) });
    const all = await get('/api/v1/query_exemplars', { ...params, dedup: 'false' });
    expect((all.body.data as Json[]).map((s) => (s.seriesLabels as LabelMap).replica).sort()).toEqual(['a', 'b']);
    // A selector no replica's external labels match: not asked at all.
    const before = a.calls.exemplars;
    const none = await get('/api/v1/query_exemplars', { ...params, query: 'rpc_seconds_bucket{cluster="us"}' });
    expect(none.body.data).toEqual([]);
    expect(a.calls.exemplars).toBe(before);
    expect(c.calls.exemplars).toBe(0);
  });

  it('an endpoint whose Info lacks the APIs is never asked', () => {
    expect(c.calls).toEqual({ rules: 0, targets: 0, exemplars: 0 });
    expect(d.calls.rules).toBeGreaterThan(0);
  });

  it('a failing endpoint gives a warning (partial response), or the error with partial_response=false', async () => {
    d.mode = 'fail';
    try {
      const exParams = { query: 'rpc_seconds_bucket', start: String(T), end: String(T + 3600) };
      for (const [path, params] of [
        ['/api/v1/rules', {}],
        ['/api/v1/alerts', {}],
        ['/api/v1/targets', {}],
        ['/api/v1/query_exemplars', exParams],
      ] as const) {
        const res = await get(path, params);
        expect(res.httpStatus, path).toBe(200);
        const warnings = res.body.warnings as string[];
        expect(warnings, path).toHaveLength(1);
        expect(warnings[0], path).toContain(d.address);
        expect(warnings[0], path).toMatch(/code = Unavailable desc = (rules|targets|exemplars) backend down/);
        const strict = await get(path, { ...params, partial_response: 'false' });
        expect(strict.httpStatus, path).not.toBe(200);
        expect(strict.body.error as string, path).toContain('backend down');
      }
      // The other endpoints' answer is still there.
      const rules = await get('/api/v1/rules');
      expect((rules.body.data as { groups: Json[] }).groups).toHaveLength(1);
    } finally {
      d.mode = 'ok';
    }
  });

  it('an endpoint that never answered Info is named as unhealthy (it might serve them)', async () => {
    const gone = await startEndpoint(null, true);
    const address = gone.address;
    await gone.stop(); // nothing listens there now
    const q2 = await startQuerier({ endpoints: [a.address, address] });
    try {
      for (const path of ['/api/v1/rules', '/api/v1/alerts', '/api/v1/targets']) {
        const res = await get2(q2, path);
        expect(res.httpStatus, path).toBe(200);
        expect(res.body.warnings, path).toEqual([expect.stringContaining(`endpoint ${address} is unhealthy and was not asked`)]);
      }
    } finally {
      await q2.stop();
    }
  }, 60_000);

  it('a warning in an endpoint\'s stream becomes a warning of the answer', async () => {
    d.mode = 'warn';
    try {
      const res = await get('/api/v1/rules');
      expect(res.body.warnings).toEqual([`${d.address}: rules: one store behind me failed`]);
      const t = await get('/api/v1/targets');
      expect(t.body.warnings).toEqual([`${d.address}: targets: one store behind me failed`]);
      const strict = await get('/api/v1/rules', { partial_response: 'false' });
      expect(strict.httpStatus).not.toBe(200);
    } finally {
      d.mode = 'ok';
    }
  });
});
