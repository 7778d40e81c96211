/**
 * The querier's merge of rules, alerts and exemplars across replicas, over PrometheusStores talking
 * HTTP to small servers of this test that answer as Prometheus would (canned JSON). Covers what two
 * live Prometheus replicas rarely show on demand: one replica pending while the other fires,
 * different activeAt and lastEvaluation times, different exemplars of the same series.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeJson } from '../../src/promql/json-value.js';
import { LabelMatcher } from '../../src/model/matcher.js';
import { RulesQuerier } from '../../src/query/rules.js';
import { StoreSet } from '../../src/query/stores.js';
import { PrometheusStore } from '../../src/store/prometheus/store.js';
import { parseExpr } from '../../src/promql/parser.js';
import { prettyExpr } from '../../src/promql/printer.js';
import { translateAst } from '../../src/api/parse-query.js';

interface Replica {
  readonly replica: string;
  readonly alertState: string;
  readonly activeAt: string;
  readonly lastEvaluation: string;
  readonly exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
  readonly health: string;
  readonly lastScrape: string;
}

function targetsBody(r: Replica): unknown {
  return {
    activeTargets: [
      {
        discoveredLabels: { __address__: 'h:9100', job: 'node' },
        labels: { instance: 'h:9100', job: 'node' },
        scrapePool: 'node',
        scrapeUrl: 'http://h:9100/metrics',
        globalUrl: 'http://h:9100/metrics',
        lastError: r.health === 'up' ? '' : 'connection refused',
        lastScrape: r.lastScrape,
        lastScrapeDuration: 0.001,
        health: r.health,
        scrapeInterval: '15s',
        scrapeTimeout: '10s',
      },
    ],
    droppedTargets: [{ discoveredLabels: { __address__: 'h:1', job: 'node' } }],
    droppedTargetCounts: { node: 1 },
  };
}

function rulesBody(r: Replica): unknown {
  const alert = { labels: { alertname: 'HighLoad', instance: 'x' }, annotations: { summary: 's' }, state: r.alertState, activeAt: r.activeAt, value: '1e+00' };
  return {
    groups: [
      {
        name: 'g',
        file: '/etc/rules.yml',
        rules: [
          {
            state: r.alertState,
            name: 'HighLoad',
            query: 'load > 1',
            duration: 60,
            labels: { severity: 'page' },
            annotations: { summary: 's' },
            alerts: [alert],
            health: 'ok',
            evaluationTime: 0.0001,
            lastEvaluation: r.lastEvaluation,
            type: 'alerting',
          },
          { name: 'job:up:sum', query: 'sum by (job) (up)', health: 'ok', evaluationTime: 1e-7, lastEvaluation: r.lastEvaluation, type: 'recording' },
        ],
        interval: 15,
        limit: 0,
        evaluationTime: 0.0002,
        lastEvaluation: r.lastEvaluation,
      },
    ],
  };
}

function serve(r: Replica): Promise<Server> {
  const srv = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const ok = (data: unknown) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data }));
    };
    if (path === '/api/v1/status/config') return ok({ yaml: `global:\n  external_labels:\n    cluster: c\n    replica: ${r.replica}\n` });
    if (path === '/api/v1/status/buildinfo') return ok({ version: '2.42.0' });
    if (path === '/api/v1/rules') return ok(rulesBody(r));
    if (path === '/api/v1/alerts') return ok({ alerts: (rulesBody(r) as { groups: { rules: { alerts?: unknown[] }[] }[] }).groups[0]!.rules[0]!.alerts });
    if (path === '/api/v1/targets') return ok(targetsBody(r));
    if (path === '/api/v1/query_exemplars') return ok([{ seriesLabels: { __name__: 'req_total', job: 'j' }, exemplars: r.exemplars }]);
    res.statusCode = 404;
    res.end();
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

const url = (s: Server) => {
  const a = s.address();
  return `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
};

describe('rules, alerts and exemplars merged across replicas', () => {
  let servers: Server[] = [];
  let stores: PrometheusStore[] = [];
  let querier: RulesQuerier;
  const policy = { partialResponse: true, storeTimeout: 0 };
  const dedup = { replicaLabels: new Set(['replica']), enabled: true, func: 'penalty' as never };
  const noDedup = { ...dedup, enabled: false };
  const signal = () => AbortSignal.timeout(10_000);
  const filter = { type: '' as const, ruleNames: new Set<string>(), ruleGroups: new Set<string>(), files: new Set<string>(), excludeAlerts: false, matchers: [] };

  beforeAll(async () => {
    servers = await Promise.all([
      serve({
        replica: 'a',
        alertState: 'pending',
        activeAt: '2020-01-01T00:00:30Z',
        lastEvaluation: '2020-01-01T00:05:00.5Z',
        exemplars: [
          { labels: { trace_id: 't1' }, value: '1', timestamp: 1577836800.5 },
          { labels: { trace_id: 't2' }, value: '2', timestamp: 1577836900 },
        ],
        health: 'down',
        lastScrape: '2020-01-01T00:05:00Z',
      }),
      serve({
        replica: 'b',
        alertState: 'firing',
        activeAt: '2020-01-01T00:00:10Z',
        lastEvaluation: '2020-01-01T00:04:00Z',
        exemplars: [
          { labels: { trace_id: 't1' }, value: '1', timestamp: 1577836800.5 },
          { labels: { trace_id: 't0' }, value: '0.5', timestamp: 1577836700.25 },
        ],
        health: 'up',
        lastScrape: '2020-01-01T00:04:00Z',
      }),
    ]);
    stores = servers.map((s) => new PrometheusStore({ url: url(s), refreshIntervalMs: 0 }));
    await Promise.all(stores.map((s) => s.refreshExternalLabels()));
    querier = new RulesQuerier(new StoreSet(stores));
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.stop()));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('one group and one rule per identity: the firing copy, its alert the firing one with the earliest activeAt', async () => {
    const { data, warnings } = await querier.rules(filter, policy, dedup, signal());
    expect(warnings).toEqual([]);
    const json = JSON.parse(encodeJson(data)) as { rules: Record<string, unknown>[]; lastEvaluation: string }[];
    expect(json.length).toBe(1);
    // The group's own fields: the copy evaluated last.
    expect(json[0]!.lastEvaluation).toBe('2020-01-01T00:05:00.5Z');
    const [alerting, recording] = json[0]!.rules;
    expect(alerting!.state).toBe('firing');
    expect(alerting!.labels).toEqual({ cluster: 'c', severity: 'page' });
    expect(alerting!.alerts).toEqual([
      { labels: { alertname: 'HighLoad', cluster: 'c', instance: 'x' }, annotations: { summary: 's' }, state: 'firing', activeAt: '2020-01-01T00:00:10Z', value: '1e+00' },
    ]);
    // The recording rule: the latest evaluation; its labels placed after `query`, as Go orders them.
    expect(Object.keys(recording!)).toEqual(['name', 'query', 'labels', 'health', 'evaluationTime', 'lastEvaluation', 'type']);
    expect(recording!.lastEvaluation).toBe('2020-01-01T00:05:00.5Z');
    // Go's float formatting for small numbers.
    expect(encodeJson(data)).toContain('"evaluationTime":1e-7');
  });

  it('dedup off: both replicas\' copies', async () => {
    const { data } = await querier.rules(filter, policy, noDedup, signal());
    const rules = (JSON.parse(encodeJson(data)) as { rules: { labels?: Record<string, string> }[] }[])[0]!.rules;
    expect(rules.map((r) => r.labels?.replica).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('alerts: the most advanced state wins even with a later activeAt elsewhere', async () => {
    const { data } = await querier.alerts(policy, dedup, signal());
    const alerts = JSON.parse(encodeJson(data)) as { state: string; activeAt: string }[];
    expect(alerts.map((a) => [a.state, a.activeAt])).toEqual([['firing', '2020-01-01T00:00:10Z']]);
  });

  it('targets: the healthy copy, one dropped target, counts of the largest replica', async () => {
    const { data } = await querier.targets([], policy, dedup, signal());
    const json = JSON.parse(encodeJson(data)) as { activeTargets: Record<string, unknown>[]; droppedTargets: Record<string, unknown>[]; droppedTargetCounts: Record<string, number> };
    expect(Object.keys(json)).toEqual(['activeTargets', 'droppedTargets', 'droppedTargetCounts']);
    expect(json.activeTargets.map((t) => [t.health, t.lastScrape])).toEqual([['up', '2020-01-01T00:04:00Z']]);
    expect(json.activeTargets[0]!.labels).toEqual({ cluster: 'c', instance: 'h:9100', job: 'node' });
    expect(json.droppedTargets).toEqual([{ discoveredLabels: { __address__: 'h:1', cluster: 'c', job: 'node' } }]);
    expect(json.droppedTargetCounts).toEqual({ node: 1 });
    const off = JSON.parse(encodeJson((await querier.targets([], policy, noDedup, signal())).data)) as typeof json;
    expect(off.activeTargets.length).toBe(2);
    expect(off.droppedTargets.length).toBe(2);
    expect(off.droppedTargetCounts).toEqual({ node: 2 });
  });

  it('exemplars: one series, the union of exemplars in time order', async () => {
    const sel = [[new LabelMatcher('=', '__name__', 'req_total')]];
    const { data } = await querier.exemplars(sel, -Infinity, Infinity, policy, dedup, signal());
    expect(data.length).toBe(1);
    expect(data[0]!.seriesLabels).toEqual([
      { name: '__name__', value: 'req_total' },
      { name: 'cluster', value: 'c' },
      { name: 'job', value: 'j' },
    ]);
    expect(data[0]!.exemplars.map((e) => [e.timestampMs, e.value])).toEqual([
      [1577836700250, '0.5'],
      [1577836800500, '1'],
      [1577836900000, '2'],
    ]);
    const off = await querier.exemplars(sel, -Infinity, Infinity, policy, noDedup, signal());
    expect(off.data.length).toBe(2);
    // A selector that contradicts the external labels reaches no endpoint.
    const none = await querier.exemplars([[new LabelMatcher('=', 'cluster', 'other')]], -Infinity, Infinity, policy, dedup, signal());
    expect(none.data).toEqual([]);
  });
});

describe('parse_query and format_query', () => {
  it('parse_query: Prometheus 3.x translateAST, keys sorted as Go marshals its maps', () => {
    const got = encodeJson(translateAst(parseExpr('sum by (job) (rate(foo{a="b"}[5m] offset 1m)) / on (job) group_left bar @ start()')));
    expect(JSON.parse(got)).toEqual({
      bool: false,
      lhs: {
        expr: {
          args: [
            {
              anchored: false,
              // The name matcher first, as Prometheus 3.x's parser places it.
              matchers: [
                { name: '__name__', type: '=', value: 'foo' },
                { name: 'a', type: '=', value: 'b' },
              ],
              name: 'foo',
              offset: 60000,
              range: 300000,
              smoothed: false,
              startOrEnd: null,
              timestamp: null,
              type: 'matrixSelector',
            },
          ],
          func: { argTypes: ['matrix'], name: 'rate', returnType: 'vector', variadic: 0 },
          type: 'call',
        },
        grouping: ['job'],
        op: 'sum',
        param: null,
        type: 'aggregation',
        without: false,
      },
      matching: { card: 'many-to-one', fillValues: { lhs: null, rhs: null }, include: [], labels: ['job'], on: true },
      op: '/',
      rhs: {
        anchored: false,
        matchers: [{ name: '__name__', type: '=', value: 'bar' }],
        name: 'bar',
        offset: 0,
        smoothed: false,
        startOrEnd: 'start',
        timestamp: null,
        type: 'vectorSelector',
      },
      type: 'binaryExpr',
    });
    // Key order is Go's (sorted), not insertion order of some other shape.
    expect(got.startsWith('{"bool":false,"lhs":{"expr":{"args":[{"anchored":false,"matchers":[')).toBe(true);
    expect(encodeJson(translateAst(parseExpr('1e21')))).toBe('{"type":"numberLiteral","val":"1000000000000000000000"}');
  });

  it('format_query splits past 100 characters', () => {
    const long = 'a_very_long_metric_name_for_the_test{job="some-job",instance="some-instance-with-a-long-name:9090"}';
    expect(prettyExpr(parseExpr(`sum(rate(${long}[5m]))`))).toBe(`sum(\n  rate(\n    ${long}[5m]\n  )\n)`);
    expect(prettyExpr(parseExpr('sum(x)'))).toBe('sum(x)');
  });
});
