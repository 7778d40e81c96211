import { describe, expect, it } from 'vitest';
import { groupReplicas } from '../../src/dedup/group.js';
import { mergePenalty } from '../../src/dedup/penalty.js';
import { mergeChain } from '../../src/dedup/chain.js';
import { labelsFromRecord, type Labels } from '../../src/model/labels.js';
import type { Samples, Series } from '../../src/model/samples.js';

type Pair = [number, number];

function s(pairs: readonly Pair[]): Samples {
  return { timestamps: Float64Array.from(pairs.map((p) => p[0])), values: Float64Array.from(pairs.map((p) => p[1])), stale: null };
}
function series(labels: Record<string, string>, pairs: readonly Pair[]): Series {
  return { labels: labelsFromRecord(labels), samples: s(pairs) };
}
function rec(ls: Labels): Record<string, string> {
  return Object.fromEntries(ls.map((l) => [l.name, l.value]));
}
function pairs(x: Samples): Pair[] {
  return Array.from(x.timestamps, (t, i) => [t, x.values[i]!] as Pair);
}

const R = new Set(['replica']);

describe('groupReplicas', () => {
  it('drops replica labels, groups equal label sets and sorts groups by labels', () => {
    const input = [
      series({ a: '2', replica: 'x' }, [[1, 1]]),
      series({ a: '1', replica: 'y' }, [[2, 2]]),
      series({ a: '1', b: '1', replica: 'x' }, [[3, 3]]),
      series({ a: '1', replica: 'x' }, [[4, 4]]),
    ];
    const groups = groupReplicas(input, R);
    expect(groups.map((g) => rec(g.labels))).toEqual([{ a: '1' }, { a: '1', b: '1' }, { a: '2' }]);
    expect(groups.map((g) => g.replicas.length)).toEqual([2, 1, 1]);
    // Ordered by replica value: x before y, whatever the input order.
    expect(groups[0]!.replicas.map((r) => pairs(r.samples))).toEqual([[[4, 4]], [[2, 2]]]);
  });

  it('orders replicas by the values of several replica labels in list order, a missing label first', () => {
    const labels = new Set(['replica', 'cluster']);
    const input = [
      series({ m: 'x', replica: 'b', cluster: 'a' }, [[1, 1]]),
      series({ m: 'x', replica: 'a', cluster: 'z' }, [[2, 2]]),
      series({ m: 'x', replica: 'a', cluster: 'b' }, [[3, 3]]),
      series({ m: 'x', cluster: 'c' }, [[4, 4]]),
      series({ m: 'x' }, [[5, 5]]),
    ];
    const [g] = groupReplicas(input, labels);
    expect(rec(g!.labels)).toEqual({ m: 'x' });
    expect(g!.replicas.map((r) => r.samples.timestamps[0])).toEqual([5, 4, 3, 2, 1]);
  });

  it('compares replica values by code point', () => {
    const input = [
      series({ m: 'x', replica: '\u{1F600}' }, [[1, 1]]),
      series({ m: 'x', replica: '\uFFFD' }, [[2, 2]]),
      series({ m: 'x', replica: 'B' }, [[3, 3]]),
      series({ m: 'x', replica: 'a' }, [[4, 4]]),
    ];
    expect(groupReplicas(input, R)[0]!.replicas.map((r) => r.samples.timestamps[0])).toEqual([3, 4, 2, 1]);
  });

  it('returns nothing for no series and keeps full ties in input order', () => {
    expect(groupReplicas([], R)).toEqual([]);
    const input = [series({ m: 'x' }, [[1, 1]]), series({ m: 'x' }, [[2, 2]])];
    expect(groupReplicas(input, new Set()).map((g) => g.replicas.map((r) => r.samples.timestamps[0]))).toEqual([[1, 2]]);
  });

  it('Thanos "Single dedup label": 4 replicas merge into one series (V7)', () => {
    const input = [
      series({ a: '1', c: '3', replica: 'r0' }, [[10000, 1], [20000, 2]]),
      series({ a: '1', c: '3', replica: 'r1' }, [[60000, 3], [70000, 4]]),
      series({ a: '1', c: '3', replica: 'r2' }, [[200000, 5], [210000, 6]]),
      series({ a: '1', c: '3', replica: 'r3' }, [[10000, 1], [20000, 2]]),
      series({ a: '1', c: '3', d: '4', replica: 'r0' }, [[10000, 1], [20000, 2]]),
      series({ a: '1', c: '4', replica: 'r0' }, [[10000, 1], [20000, 2]]),
      series({ a: '2', c: '3', replica: 'r0' }, [[10000, 1], [20000, 2]]),
      series({ a: '2', c: '3', replica: 'r1' }, [[60000, 3], [70000, 4]]),
    ];
    const out = groupReplicas(input, R).map((g) => [rec(g.labels), pairs(mergePenalty(g.replicas.map((r) => r.samples), false))]);
    expect(out).toEqual([
      [{ a: '1', c: '3' }, [[10000, 1], [20000, 2], [60000, 3], [70000, 4], [200000, 5], [210000, 6]]],
      [{ a: '1', c: '3', d: '4' }, [[10000, 1], [20000, 2]]],
      [{ a: '1', c: '4' }, [[10000, 1], [20000, 2]]],
      [{ a: '2', c: '3' }, [[10000, 1], [20000, 2], [60000, 3], [70000, 4]]],
    ]);
  });

  it('V8 "Multi dedup label": we sort ourselves, so the non-adjacent replica joins its group', () => {
    // Thanos returns {a=1,c=3} twice here because it only groups adjacent series; grouping by the
    // remaining labels wherever they are gives the V7 result instead.
    const input = [
      series({ a: '1', c: '3', replica: 'r0', cluster: 'x' }, [[10000, 1], [20000, 2]]),
      series({ a: '1', c: '3', replica: 'r1', cluster: 'x' }, [[60000, 3], [70000, 4]]),
      series({ a: '1', c: '3', replica: 'r2', cluster: 'x' }, [[200000, 5], [210000, 6]]),
      series({ a: '1', c: '3', d: '4', replica: 'r0', cluster: 'x' }, [[10000, 1], [20000, 2]]),
      series({ a: '1', c: '3', replica: 'r3' }, [[10000, 1], [20000, 2]]),
      series({ a: '1', c: '4', replica: 'r0', cluster: 'x' }, [[10000, 1], [20000, 2]]),
      series({ a: '2', c: '3', replica: 'r0', cluster: 'x' }, [[10000, 1], [20000, 2]]),
      series({ a: '2', c: '3', replica: 'r1', cluster: 'x' }, [[60000, 3], [70000, 4]]),
    ];
    const groups = groupReplicas(input, new Set(['replica', 'cluster']));
    expect(groups.map((g) => rec(g.labels))).toEqual([{ a: '1', c: '3' }, { a: '1', c: '3', d: '4' }, { a: '1', c: '4' }, { a: '2', c: '3' }]);
    expect(groups[0]!.replicas.map((r) => rec(r.labels)['replica'])).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(pairs(mergePenalty(groups[0]!.replicas.map((r) => r.samples), false))).toEqual([
      [10000, 1], [20000, 2], [60000, 3], [70000, 4], [200000, 5], [210000, 6],
    ]);
  });

  it('Thanos chain "Multi dedup label - gaps in two series" (V10)', () => {
    const input = [
      series({ a: '1', c: '3', replica: 'r0' }, [[20000, 2], [30000, 3]]),
      series({ a: '1', c: '3', replica: 'r1' }, [[10000, 1], [20000, 2]]),
      series({ a: '2', c: '3', replica: 'r0' }, [[10000, 101], [20000, 102]]),
      series({ a: '2', c: '3', replica: 'r1' }, [[10000, 101], [30000, 103]]),
    ];
    const out = groupReplicas(input, R).map((g) => [rec(g.labels), pairs(mergeChain(g.replicas.map((r) => r.samples)))]);
    expect(out).toEqual([
      [{ a: '1', c: '3' }, [[10000, 1], [20000, 2], [30000, 3]]],
      [{ a: '2', c: '3' }, [[10000, 101], [20000, 102], [30000, 103]]],
    ]);
  });
});
