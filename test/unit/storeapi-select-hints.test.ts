/**
 * The select hints behind a StoreAPI SeriesRequest's query_hints and aggregates: Prometheus'
 * extractFuncFromPath / extractGroupsFromPath (promql/engine.go) and Thanos' aggrsFromFunc. The
 * func of a selector is the nearest enclosing function OR aggregation (a binary operator stops the
 * walk); the grouping only comes from an aggregation directly around the selector.
 */
import { describe, expect, it } from 'vitest';
import { planSelects } from '../../src/promql/eval/plan.js';
import { parseExpr } from '../../src/promql/parser.js';
import { makeGrid } from '../../src/promql/value.js';
import { aggregatesForFunc, Aggr } from '../../src/store/grpc/downsample.js';

const T = 1_700_000_000_000;

function hints(query: string) {
  const grid = makeGrid(T, T, 1);
  return planSelects(parseExpr(query), grid, { compat: '3', lookback: 300_000, defaultEvalInterval: 60_000, queryStart: T, queryEnd: T, queryStep: 0 }).map((p) => ({
    func: p.hints.func,
    by: p.hints.by,
    grouping: [...p.hints.grouping],
    range: p.hints.range,
  }));
}

describe('select hints (Prometheus extractFuncFromPath / extractGroupsFromPath)', () => {
  it.each([
    ['x', { func: '', by: false, grouping: [], range: 0 }],
    ['rate(x[5m])', { func: 'rate', by: false, grouping: [], range: 300_000 }],
    ['sum(rate(x[5m]))', { func: 'rate', by: false, grouping: [], range: 300_000 }],
    ['abs(x) + 1', { func: 'abs', by: false, grouping: [], range: 0 }],
    ['-x', { func: '', by: false, grouping: [], range: 0 }],
  ] as const)('%s', (q, want) => {
    expect(hints(q)).toEqual([want]);
  });

  it.each([
    ['sum(x)', { func: 'sum', by: true, grouping: [], range: 0 }],
    ['max by (job) (x)', { func: 'max', by: true, grouping: ['job'], range: 0 }],
    ['min without (instance) (x)', { func: 'min', by: false, grouping: ['instance'], range: 0 }],
    ['count(x)', { func: 'count', by: true, grouping: [], range: 0 }],
    ['topk(3, x)', { func: 'topk', by: true, grouping: [], range: 0 }],
    ['sum(x) + max(y)', null],
  ] as const)('aggregation: %s has the aggregation as func', (q, want) => {
    if (want === null) {
      expect(hints(q).map((h) => h.func)).toEqual(['sum', 'max']);
      return;
    }
    expect(hints(q)).toEqual([want]);
  });

  it('Thanos reads downsampled aggregates by it: max(x) the MAX chunk, min the MIN, count the COUNT, sum the average', () => {
    const aggr = (q: string) => aggregatesForFunc(hints(q)[0]!.func);
    expect(aggr('max(x)')).toEqual([Aggr.MAX]);
    expect(aggr('min by (job) (x)')).toEqual([Aggr.MIN]);
    expect(aggr('count(x)')).toEqual([Aggr.COUNT]);
    expect(aggr('sum(x)')).toEqual([Aggr.COUNT, Aggr.SUM]);
    expect(aggr('sum(rate(x[5m]))')).toEqual([Aggr.COUNTER]);
  });
});
