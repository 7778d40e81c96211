/**
 * Wire compatibility of Thanos' Rules, Targets and Exemplars messages (proto/thanos/{rules,targets,
 * exemplars}/…) against HAND-MADE bytes built from Thanos' field numbers and wire types, with a
 * test-only encoder (as test/unit/storeapi-wire.test.ts): proto-loader's deserializers from
 * proto.ts give the expected objects, its serializers write exactly the hand-made request bytes,
 * and apis.ts turns the decoded answers into Prometheus' JSON.
 */
import { describe, expect, it } from 'vitest';
import { method } from '../../src/store/grpc/proto.js';
import {
  exemplarSeries,
  exemplarsQuery,
  formatTimestamp,
  ruleGroupJson,
  targetsJson,
  type PbExemplarsResponse,
  type PbRulesResponse,
  type PbTargetsResponse,
} from '../../src/store/grpc/apis.js';
import { LabelMatcher } from '../../src/model/matcher.js';
import { encodeJson } from '../../src/promql/json-value.js';

type Bytes = number[];
function varint(v: bigint | number): Bytes {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
const key = (field: number, wire: number): Bytes => varint((field << 3) | wire);
const vf = (field: number, v: bigint | number): Bytes => [...key(field, 0), ...varint(v)];
const lf = (field: number, ...payload: Bytes[]): Bytes => {
  const p = payload.flat();
  return [...key(field, 2), ...varint(p.length), ...p];
};
const sf = (field: number, s: string): Bytes => lf(field, [...Buffer.from(s, 'utf8')]);
/** A double: wire type 1, 8 bytes little-endian. */
const df = (field: number, v: number): Bytes => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...key(field, 1), ...b];
};
const buf = (...parts: Bytes[]): Buffer => Buffer.from(parts.flat());
// thanos.ZLabelSet{1 repeated Label{1 name, 2 value}}
const zset = (field: number, labels: Record<string, string>): Bytes =>
  lf(field, ...Object.entries(labels).map(([n, v]) => lf(1, sf(1, n), sf(2, v))));
// google.protobuf.Timestamp{1 seconds, 2 nanos}
const ts = (field: number, seconds: number, nanos = 0): Bytes => lf(field, vf(1, seconds), ...(nanos !== 0 ? [vf(2, nanos)] : []));

const T1 = 1_700_000_000; // 2023-11-14T22:13:20Z

describe('thanos.Rules/Rules', () => {
  const m = method<unknown, PbRulesResponse>('thanos.Rules', 'Rules');

  it('has Thanos\' method path and a server stream', () => {
    expect(m.path).toBe('/thanos.Rules/Rules');
    expect(m.responseStream).toBe(true);
    expect(m.requestStream).toBe(false);
  });

  it('serializes RulesRequest as the hand-made bytes', () => {
    const req = { type: 1, partial_response_strategy: 1, matcher_string: ['{a="b"}'], rule_name: ['r'], rule_group: ['g'], file: ['f.yaml'] };
    const want = buf(vf(1, 1), vf(2, 1), sf(3, '{a="b"}'), sf(4, 'r'), sf(5, 'g'), sf(6, 'f.yaml'));
    expect(Buffer.from(m.requestSerialize(req)).toString('hex')).toBe(want.toString('hex'));
  });

  // RuleGroup{1 name, 2 file, 3 rules, 4 interval, 5 evaluation_duration_seconds, 6 last_evaluation, 9 limit}
  // Rule{1 recording, 2 alert}; Alert{1 state, 2 name, 3 query, 4 duration_seconds, 5 labels,
  // 6 annotations, 7 alerts, 8 health, 9 last_error, 10 evaluation_duration_seconds,
  // 11 last_evaluation, 12 keep_firing_for_seconds}; AlertInstance{1 labels, 2 annotations,
  // 3 state, 4 active_at, 5 value}; RecordingRule{1 name, 2 query, 3 labels, 4 health,
  // 5 last_error, 6 evaluation_duration_seconds, 7 last_evaluation}.
  const alertInstance = lf(7, zset(1, { alertname: 'Up', replica: 'a' }), zset(2, { summary: 's' }), vf(3, 3), ts(4, T1, 500_000_000), sf(5, '1e+00'));
  const alertRule = lf(
    2,
    vf(1, 3),
    sf(2, 'Up'),
    sf(3, 'up == 1'),
    df(4, 60),
    zset(5, { severity: 'page' }),
    zset(6, { summary: 's' }),
    alertInstance,
    sf(8, 'ok'),
    df(10, 0.25),
    ts(11, T1 + 10),
    df(12, 30),
  );
  const recordingRule = lf(1, sf(1, 'job:up:sum'), sf(2, 'sum by (job) (up)'), sf(4, 'err'), sf(5, 'boom'), df(6, 0.5), ts(7, T1 + 20, 1000));
  const group = lf(1, sf(1, 'g1'), sf(2, '/rules/a.yaml'), lf(3, alertRule), lf(3, recordingRule), df(4, 15), df(5, 0.75), ts(6, T1 + 30), vf(9, 7));

  it('decodes a RulesResponse group into Prometheus\' rule group JSON', () => {
    const res = m.responseDeserialize(buf(group));
    expect(res.result).toBe('group');
    expect(res.group!.name).toBe('g1');
    expect(String(res.group!.limit)).toBe('7');
    expect(res.group!.rules[0]!.alert!.alerts[0]!.state).toBe(3);
    expect(encodeJson(ruleGroupJson(res.group!))).toBe(
      JSON.stringify({
        name: 'g1',
        file: '/rules/a.yaml',
        rules: [
          {
            state: 'firing',
            name: 'Up',
            query: 'up == 1',
            duration: 60,
            keepFiringFor: 30,
            labels: { severity: 'page' },
            annotations: { summary: 's' },
            alerts: [{ labels: { alertname: 'Up', replica: 'a' }, annotations: { summary: 's' }, state: 'firing', activeAt: '2023-11-14T22:13:20.5Z', value: '1e+00' }],
            health: 'ok',
            evaluationTime: 0.25,
            lastEvaluation: '2023-11-14T22:13:30Z',
            type: 'alerting',
          },
          // No labels: omitted (omitempty), as Prometheus.
          { name: 'job:up:sum', query: 'sum by (job) (up)', health: 'err', lastError: 'boom', evaluationTime: 0.5, lastEvaluation: '2023-11-14T22:13:40.000001Z', type: 'recording' },
        ],
        interval: 15,
        limit: 7,
        evaluationTime: 0.75,
        lastEvaluation: '2023-11-14T22:13:50Z',
      }),
    );
  });

  it('decodes a warning', () => {
    const res = m.responseDeserialize(buf(sf(2, 'rule store down')));
    expect(res.result).toBe('warning');
    expect(res.warning).toBe('rule store down');
    expect(res.group ?? null).toBeNull();
  });

  it('formats timestamps as Go\'s time.Time JSON', () => {
    expect(formatTimestamp(null)).toBe('0001-01-01T00:00:00Z');
    expect(formatTimestamp({ seconds: '-62135596800', nanos: 0 })).toBe('0001-01-01T00:00:00Z');
    expect(formatTimestamp({ seconds: '0', nanos: 0 })).toBe('1970-01-01T00:00:00Z');
    expect(formatTimestamp({ seconds: String(T1), nanos: 123_456_789 })).toBe('2023-11-14T22:13:20.123456789Z');
  });
});

describe('thanos.Targets/Targets', () => {
  const m = method<unknown, PbTargetsResponse>('thanos.Targets', 'Targets');

  it('has Thanos\' method path; TargetsRequest as the hand-made bytes', () => {
    expect(m.path).toBe('/thanos.Targets/Targets');
    expect(m.responseStream).toBe(true);
    expect(Buffer.from(m.requestSerialize({ state: 2, partial_response_strategy: 1 })).toString('hex')).toBe(buf(vf(1, 2), vf(2, 1)).toString('hex'));
  });

  it('decodes TargetDiscovery into the data of /api/v1/targets', () => {
    // ActiveTarget{1 discoveredLabels, 2 labels, 3 scrapePool, 4 scrapeUrl, 5 globalUrl, 6 lastError,
    // 7 lastScrape, 8 lastScrapeDuration, 9 health (DOWN=0 UP=1 UNKNOWN=2)}; DroppedTarget{1 discoveredLabels}
    const active = lf(1, zset(1, { __address__: 'h:9100' }), zset(2, { instance: 'h:9100', job: 'node' }), sf(3, 'node'), sf(4, 'http://h:9100/metrics'), sf(5, 'http://g:9100/metrics'), ts(7, T1), df(8, 0.01), vf(9, 1));
    const dropped = lf(2, zset(1, { __address__: 'x:1' }));
    const res = m.responseDeserialize(buf(lf(1, active, dropped)));
    expect(res.result).toBe('targets');
    expect(encodeJson(targetsJson([res.targets!]))).toBe(
      JSON.stringify({
        activeTargets: [
          {
            discoveredLabels: { __address__: 'h:9100' },
            labels: { instance: 'h:9100', job: 'node' },
            scrapePool: 'node',
            scrapeUrl: 'http://h:9100/metrics',
            globalUrl: 'http://g:9100/metrics',
            lastError: '',
            lastScrape: '2023-11-14T22:13:20Z',
            lastScrapeDuration: 0.01,
            health: 'up',
          },
        ],
        droppedTargets: [{ discoveredLabels: { __address__: 'x:1' } }],
      }),
    );
    const w = m.responseDeserialize(buf(sf(2, 'w')));
    expect(w.result).toBe('warning');
    expect(w.warning).toBe('w');
  });
});

describe('thanos.Exemplars/Exemplars', () => {
  const m = method<unknown, PbExemplarsResponse>('thanos.Exemplars', 'Exemplars');

  it('has Thanos\' method path; ExemplarsRequest as the hand-made bytes (int64 ms times)', () => {
    expect(m.path).toBe('/thanos.Exemplars/Exemplars');
    expect(m.responseStream).toBe(true);
    const req = { query: '{__name__="up"}', start: '-9223372036854775808', end: '1700000000000', partial_response_strategy: 1 };
    const want = buf(sf(1, '{__name__="up"}'), vf(2, -(2n ** 63n)), vf(3, 1_700_000_000_000), vf(4, 1));
    expect(Buffer.from(m.requestSerialize(req)).toString('hex')).toBe(want.toString('hex'));
  });

  it('decodes ExemplarData (value a double, ts int64 ms)', () => {
    // ExemplarData{1 seriesLabels, 2 exemplars}; Exemplar{1 labels, 2 value, 3 ts}
    const res = m.responseDeserialize(buf(lf(1, zset(1, { __name__: 'rpc_seconds_bucket', replica: 'a' }), lf(2, zset(1, { trace_id: 'abc' }), df(2, 0.125), vf(3, 1_700_000_000_123)))));
    expect(res.result).toBe('data');
    expect(exemplarSeries(res.data!)).toEqual({
      seriesLabels: [
        { name: '__name__', value: 'rpc_seconds_bucket' },
        { name: 'replica', value: 'a' },
      ],
      exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: '0.125', timestampMs: 1_700_000_000_123 }],
    });
  });

  it('builds the query as Thanos\' exemplars proxy: external-label matchers left out, non-matching selectors dropped', () => {
    const sel = (...ms: [string, string, string][]) => ms.map(([t, n, v]) => new LabelMatcher(t as '=', n, v));
    const sets = [[{ name: 'cluster', value: 'eu' }, { name: 'replica', value: 'a' }]];
    expect(exemplarsQuery([sel(['=', '__name__', 'up'], ['=', 'cluster', 'eu'])], sets, false)).toBe('{__name__="up"}');
    expect(exemplarsQuery([sel(['=', '__name__', 'up'], ['=', 'cluster', 'eu'])], sets, true)).toBe('{__name__="up", cluster="eu"}');
    expect(exemplarsQuery([sel(['=', 'cluster', 'us'])], sets, false)).toBeNull();
    expect(exemplarsQuery([sel(['=', 'cluster', 'eu']), sel(['=', 'job', 'x'])], sets, false)).toBe('{__name__=~".+"} or {job="x"}');
  });
});
