import { describe, expect, it } from 'vitest';
import { labelsFromRecord, type Labels } from '../../src/model/labels.js';
import { samplesFromArrays, type Series } from '../../src/model/samples.js';
import { MemoryQuerier } from '../support/memory-querier.js';
import type { Expr } from '../../src/promql/ast.js';
import { runQuery } from '../../src/promql/eval/run.js';
import type { EngineOptions, PromQLCompat, QueryResult } from '../../src/promql/types.js';
import { agg, bin, call, mat, num, sel, sq } from './promql-engine-ast.js';

const ENGINE: EngineOptions = { lookbackDelta: 300_000, defaultEvaluationInterval: 60_000, maxSamples: 50_000_000, enableExperimentalFunctions: true };
const S = 1000;
const M = 60_000;

function series(labels: Record<string, string>, points: [number, number | 'stale'][]): Series {
  const t = points.map((p) => p[0]);
  const v = points.map((p) => (p[1] === 'stale' ? NaN : p[1]));
  const st = points.map((p) => (p[1] === 'stale' ? 1 : 0));
  return { labels: labelsFromRecord(labels), samples: samplesFromArrays(t, v, st) };
}

/** `0+step×k` every `interval` ms, k = 0..count-1 (the test DSL's `load`). */
function ramp(labels: Record<string, string>, interval: number, count: number, start = 0, step = 1): Series {
  return series(labels, Array.from({ length: count }, (_, k) => [k * interval, start + k * step] as [number, number]));
}

interface Opts {
  compat?: PromQLCompat;
  signal?: AbortSignal;
  engine?: Partial<EngineOptions>;
  lookback?: number;
  annotations?: boolean;
}

function instant(data: Series[], expr: Expr, t: number, o: Opts = {}): Promise<QueryResult> {
  return runQuery({
    expr,
    query: '',
    start: t,
    end: t,
    step: 0,
    querier: new MemoryQuerier(data),
    engine: { ...ENGINE, ...o.engine },
    options: {
      compat: o.compat ?? '3',
      lookbackDelta: o.lookback ?? 0,
      signal: o.signal ?? new AbortController().signal,
      ...(o.annotations !== undefined ? { annotations: o.annotations } : {}),
    },
    delayedNameRemoval: true,
  });
}

function range(data: Series[], expr: Expr, start: number, end: number, step: number, o: Opts = {}): Promise<QueryResult> {
  return runQuery({
    expr,
    query: '',
    start,
    end,
    step,
    querier: new MemoryQuerier(data),
    engine: { ...ENGINE, ...o.engine },
    options: {
      compat: o.compat ?? '3',
      lookbackDelta: o.lookback ?? 0,
      signal: o.signal ?? new AbortController().signal,
      ...(o.annotations !== undefined ? { annotations: o.annotations } : {}),
    },
    delayedNameRemoval: true,
  });
}

const rec = (ls: Labels) => Object.fromEntries(ls.map((l) => [l.name, l.value]));

function vec(r: QueryResult): [Record<string, string>, number][] {
  if (r.value.type !== 'vector') throw new Error(`expected vector, got ${r.value.type}`);
  return r.value.samples.map((s) => [rec(s.labels), s.v]);
}

function matrix(r: QueryResult): [Record<string, string>, [number, number][]][] {
  if (r.value.type !== 'matrix') throw new Error(`expected matrix, got ${r.value.type}`);
  return r.value.series.map((s) => [rec(s.labels), Array.from(s.timestamps, (t, i) => [t, s.values[i]!] as [number, number])]);
}

describe('vector selectors', () => {
  const data = [series({ __name__: 'x', a: '1' }, [[0, 1]])];

  it('3.x lookback is left-open: a sample exactly lookback old is gone', async () => {
    expect(vec(await instant(data, sel('x'), 300 * S))).toEqual([]);
    expect(vec(await instant(data, sel('x'), 299_999))).toEqual([[{ __name__: 'x', a: '1' }, 1]]);
  });

  it('2.x lookback is closed', async () => {
    expect(vec(await instant(data, sel('x'), 300 * S, { compat: '2' }))).toEqual([[{ __name__: 'x', a: '1' }, 1]]);
    expect(vec(await instant(data, sel('x'), 300 * S + 1, { compat: '2' }))).toEqual([]);
  });

  it('honours the per-query lookback override', async () => {
    expect(vec(await instant(data, sel('x'), 60 * S, { lookback: 30 * S }))).toEqual([]);
  });

  it('a stale marker as newest sample hides the series; ranges skip markers', async () => {
    const d = [series({ __name__: 'x' }, [[0, 1], [10 * S, 2], [20 * S, 'stale']])];
    expect(vec(await instant(d, sel('x'), 15 * S))).toEqual([[{ __name__: 'x' }, 2]]);
    expect(vec(await instant(d, sel('x'), 25 * S))).toEqual([]);
    expect(vec(await instant(d, call('count_over_time', mat(sel('x'), 60 * S)), 25 * S))).toEqual([[{}, 2]]);
  });

  it('offset and @ move the reference time', async () => {
    const d = [ramp({ __name__: 'x' }, 10 * S, 100)];
    expect(vec(await instant(d, sel('x', [], { offset: 100 * S }), 500 * S))).toEqual([[{ __name__: 'x' }, 40]]);
    expect(vec(await instant(d, sel('x', [], { at: { kind: 'time', ms: 200 * S } }), 900 * S))).toEqual([[{ __name__: 'x' }, 20]]);
    const r = await range(d, sel('x', [], { at: { kind: 'end' } }), 100 * S, 300 * S, 100 * S);
    expect(matrix(r)).toEqual([[{ __name__: 'x' }, [[100 * S, 30], [200 * S, 30], [300 * S, 30]]]]);
  });

  it('matches with every matcher kind', async () => {
    const d = [series({ __name__: 'x', j: 'a' }, [[0, 1]]), series({ __name__: 'x', j: 'b' }, [[0, 2]]), series({ __name__: 'x' }, [[0, 3]])];
    expect(vec(await instant(d, sel('x', [['j', '!=', 'a']]), 10 * S)).map((s) => s[1])).toEqual([3, 2]);
    expect(vec(await instant(d, sel('x', [['j', '=~', 'a|b']]), 10 * S)).map((s) => s[1])).toEqual([1, 2]);
    expect(vec(await instant(d, sel('x', [['j', '!~', 'b']]), 10 * S)).map((s) => s[1])).toEqual([3, 1]);
  });

  it('an instant query of a range selector returns the raw samples', async () => {
    const d = [ramp({ __name__: 'x' }, 10 * S, 10)];
    expect(matrix(await instant(d, mat(sel('x'), 30 * S), 50 * S))).toEqual([[{ __name__: 'x' }, [[30 * S, 3], [40 * S, 4], [50 * S, 5]]]]);
    expect(matrix(await instant(d, mat(sel('x'), 30 * S), 50 * S, { compat: '2' }))[0]![1]).toHaveLength(4);
  });
});

describe('rate family', () => {
  const d = [ramp({ __name__: 'c_total' }, 60 * S, 11, 0, 10)];

  it('3.x excludes the sample exactly at t - range, 2.x includes it', async () => {
    const e = call('count_over_time', mat(sel('c_total'), 5 * M));
    expect(vec(await instant(d, e, 10 * M))).toEqual([[{}, 5]]);
    expect(vec(await instant(d, e, 10 * M, { compat: '2' }))).toEqual([[{}, 6]]);
    // 3.x: 60..100 over 4m extrapolated by one average interval → 50; 2.x: 50..100 spans the window.
    const inc = call('increase', mat(sel('c_total'), 5 * M));
    expect(vec(await instant(d, inc, 10 * M))).toEqual([[{}, 50]]);
    expect(vec(await instant(d, inc, 10 * M, { compat: '2' }))).toEqual([[{}, 50]]);
  });

  it('rate of a non-counter name adds the info annotation', async () => {
    const g = [ramp({ __name__: 'g' }, 60 * S, 11)];
    const r = await instant(g, call('rate', mat(sel('g'), 5 * M)), 10 * M);
    expect(r.infos).toEqual(['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "g"']);
    const ok = await instant(d, call('rate', mat(sel('c_total'), 5 * M)), 10 * M);
    expect(ok.infos).toEqual([]);
  });

  it('range queries evaluate the same windows at every step', async () => {
    const r = await range(d, call('rate', mat(sel('c_total'), 2 * M)), 5 * M, 7 * M, M);
    expect(matrix(r)).toEqual([[{}, [[5 * M, 1 / 6], [6 * M, 1 / 6], [7 * M, 1 / 6]]]]);
  });

  it('last_over_time keeps the name, other range functions drop it', async () => {
    expect(vec(await instant(d, call('last_over_time', mat(sel('c_total'), 5 * M)), 10 * M))).toEqual([[{ __name__: 'c_total' }, 100]]);
    expect(vec(await instant(d, call('max_over_time', mat(sel('c_total'), 5 * M)), 10 * M))).toEqual([[{}, 100]]);
  });
});

describe('subqueries', () => {
  it('3.x grid starts after t - range, 2.x at it (aligned t)', async () => {
    const e = call('count_over_time', sq(call('vector', num(1)), 5 * M, M));
    expect(vec(await instant([], e, 10 * M))).toEqual([[{}, 5]]);
    expect(vec(await instant([], e, 10 * M, { compat: '2' }))).toEqual([[{}, 6]]);
    expect(vec(await instant([], e, 10 * M + 30 * S))).toEqual([[{}, 5]]);
  });

  it('nested subqueries and range evaluation', async () => {
    const d = [ramp({ __name__: 'c_total' }, 15 * S, 200)];
    const inner = call('rate', mat(sel('c_total'), M));
    const e = call('max_over_time', sq(call('max_over_time', sq(inner, 2 * M, 30 * S)), 5 * M, M));
    const r = await range(d, e, 10 * M, 12 * M, M);
    const vals = matrix(r)[0]![1];
    expect(vals.map((p) => p[0])).toEqual([10 * M, 11 * M, 12 * M]);
    for (const [, v] of vals) expect(v).toBeCloseTo(1 / 15, 12);
  });
});

describe('operators', () => {
  const d = [
    series({ __name__: 'a', j: 'x', i: '1' }, [[0, 1]]),
    series({ __name__: 'a', j: 'x', i: '2' }, [[0, 2]]),
    series({ __name__: 'b', j: 'x' }, [[0, 10]]),
    series({ __name__: 'b', j: 'y' }, [[0, 20]]),
  ];

  it('vector/scalar arithmetic drops the name, comparisons filter and keep it', async () => {
    expect(vec(await instant(d, bin('*', sel('b'), num(2)), S))).toEqual([[{ j: 'x' }, 20], [{ j: 'y' }, 40]]);
    expect(vec(await instant(d, bin('>', sel('b'), num(15)), S))).toEqual([[{ __name__: 'b', j: 'y' }, 20]]);
    expect(vec(await instant(d, bin('>', num(15), sel('b'), { bool: true }), S))).toEqual([[{ j: 'x' }, 1], [{ j: 'y' }, 0]]);
  });

  it('one-to-one with duplicates needs group_left', async () => {
    const e = bin('+', sel('a'), sel('b'), { matching: { on: true, matchingLabels: ['j'] } });
    await expect(instant(d, e, S)).rejects.toThrow('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
    const gl = bin('+', sel('a'), sel('b'), { matching: { on: true, matchingLabels: ['j'], card: 'many-to-one' } });
    expect(vec(await instant(d, gl, S))).toEqual([[{ i: '1', j: 'x' }, 11], [{ i: '2', j: 'x' }, 12]]);
  });

  it('duplicate series on the one side fail with the Prometheus message', async () => {
    const e = bin('+', sel('b'), sel('a'), { matching: { on: true, matchingLabels: ['j'] } });
    await expect(instant(d, e, S)).rejects.toThrow(
      'found duplicate series for the match group {j="x"} on the right hand-side of the operation: [{__name__="a", i="2", j="x"}, {__name__="a", i="1", j="x"}];many-to-many matching not allowed: matching labels must be unique on one side',
    );
  });

  it('and / or / unless', async () => {
    const on = { matching: { on: true, matchingLabels: ['j'] } };
    expect(vec(await instant(d, bin('and', sel('b'), sel('a'), on), S))).toEqual([[{ __name__: 'b', j: 'x' }, 10]]);
    expect(vec(await instant(d, bin('unless', sel('b'), sel('a'), on), S))).toEqual([[{ __name__: 'b', j: 'y' }, 20]]);
    expect(vec(await instant(d, bin('or', sel('a'), sel('b'), on), S)).map((s) => s[1])).toEqual([1, 2, 20]);
  });
});

describe('aggregations', () => {
  const d = [
    series({ __name__: 'm', g: 'a', i: '1' }, [[0, 3]]),
    series({ __name__: 'm', g: 'a', i: '2' }, [[0, 1]]),
    series({ __name__: 'm', g: 'b', i: '3' }, [[0, 5]]),
  ];

  it('sum/avg/count by and without', async () => {
    expect(vec(await instant(d, agg('sum', sel('m'), ['g']), S))).toEqual([[{ g: 'a' }, 4], [{ g: 'b' }, 5]]);
    expect(vec(await instant(d, agg('avg', sel('m'), ['i'], true), S))).toEqual([[{ g: 'a' }, 2], [{ g: 'b' }, 5]]);
    expect(vec(await instant(d, agg('count', sel('m')), S))).toEqual([[{}, 3]]);
    expect(vec(await instant(d, agg('stddev', sel('m'), ['g']), S))).toEqual([[{ g: 'a' }, 1], [{ g: 'b' }, 0]]);
  });

  it('topk orders by value and keeps labels', async () => {
    expect(vec(await instant(d, agg('topk', sel('m'), [], false, num(2)), S)).map((s) => s[1])).toEqual([5, 3]);
    expect(vec(await instant(d, agg('bottomk', sel('m'), ['g'], false, num(1)), S)).map((s) => s[1])).toEqual([1, 5]);
    await expect(instant(d, agg('topk', sel('m'), [], false, num(1e30)), S)).rejects.toThrow('Scalar value 1e+30 overflows int64');
  });

  it('quantile and count_values', async () => {
    expect(vec(await instant(d, agg('quantile', sel('m'), [], false, num(0.5)), S))).toEqual([[{}, 3]]);
    const cv = agg('count_values', sel('m'), [], false, { kind: 'StringLiteral', value: 'v', pos: { start: 0, end: 0 } });
    expect(vec(await instant(d, cv, S)).sort((a, b) => a[1] - b[1] || Number(a[0].v) - Number(b[0].v))).toEqual([
      [{ v: '1' }, 1],
      [{ v: '3' }, 1],
      [{ v: '5' }, 1],
    ]);
  });
});

describe('limits and cancellation', () => {
  const d = Array.from({ length: 10 }, (_, k) => ramp({ __name__: 'x', k: String(k) }, 15 * S, 100));

  it('enforces maxSamples', async () => {
    await expect(range(d, sel('x'), 0, 1000 * S, 15 * S, { engine: { maxSamples: 100 } })).rejects.toThrow(
      'query processing would load too many samples into memory in query execution',
    );
  });

  it('maps an aborted signal to canceled or timeout', async () => {
    const c = new AbortController();
    c.abort();
    await expect(instant(d, sel('x'), S, { signal: c.signal })).rejects.toMatchObject({ kind: 'canceled' });
    const t = new AbortController();
    t.abort(new DOMException('t', 'TimeoutError'));
    await expect(instant(d, sel('x'), S, { signal: t.signal })).rejects.toMatchObject({
      kind: 'timeout',
      message: 'query timed out in expression evaluation',
    });
  });
});

describe('Engine with the parser', () => {
  it('parses, evaluates and positions annotations', async () => {
    const { Engine } = await import('../../src/promql/engine.js');
    const engine = new Engine(ENGINE);
    const q = new MemoryQuerier([ramp({ __name__: 'g' }, 60 * S, 11)]);
    const opts = { compat: '3' as const, lookbackDelta: 0, signal: new AbortController().signal };
    const r = await engine.instantQuery(q, 'sum(rate(g[5m]))', 10 * M, opts);
    expect(vec(r)).toEqual([[{}, 1 / 60]]);
    expect(r.infos).toEqual(['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "g" (1:10)']);
    await expect(engine.rangeQuery(q, 'g[5m]', 0, 60 * S, 15 * S, opts)).rejects.toThrow(
      'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    );
  });
});

describe('annotations switch (Prometheus before 2.48 had no PromQL annotations)', () => {
  const data = [ramp({ __name__: 'x', a: '1' }, 15 * S, 20), ramp({ __name__: 'y' }, 15 * S, 20)];
  const q = agg('quantile', sel('x'), [], false, num(1.5));
  const r = call('rate', mat(sel('y'), 60 * S));

  it('are reported by default', async () => {
    expect((await instant(data, q, 4 * M)).warnings).toEqual(['PromQL warning: quantile value should be between 0 and 1, got 1.5']);
    expect((await instant(data, r, 4 * M)).infos).toHaveLength(1);
  });

  it('are left out when turned off, with the same values', async () => {
    const on = await instant(data, q, 4 * M);
    const off = await instant(data, q, 4 * M, { annotations: false, compat: '2' });
    expect(off.warnings).toEqual([]);
    expect(vec(off)).toEqual(vec(on));
    const rangeOff = await range(data, r, 2 * M, 4 * M, 15 * S, { annotations: false });
    expect(rangeOff.infos).toEqual([]);
    expect(rangeOff.warnings).toEqual([]);
  });
});
