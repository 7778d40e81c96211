import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chainMerge, ListIterator, penaltyMerge, type RefSample } from '../support/reference-dedup.js';
import { DEDUP_VECTORS_PATH } from '../support/shared.js';

interface Vector {
  name: string;
  func?: string;
  replicas: [number, number][][];
  expected: [number, number][];
}
interface VectorFile {
  penalty: Vector[];
  chain: Vector[];
}

const VECTORS = JSON.parse(readFileSync(DEDUP_VECTORS_PATH, 'utf8')) as VectorFile;
const COUNTER_FUNCS = new Set(['rate', 'irate', 'increase', 'resets']);

describe('reference penalty dedup against the shared dedup vectors', () => {
  it('has vectors to check', () => {
    expect(VECTORS.penalty.length).toBeGreaterThan(5);
  });
  for (const v of VECTORS.penalty) {
    it(v.name, () => {
      const out = penaltyMerge(v.replicas, { counter: COUNTER_FUNCS.has(v.func ?? '') });
      expect(out).toEqual(v.expected);
    });
  }
  for (const v of VECTORS.chain) {
    it(v.name, () => {
      expect(chainMerge(v.replicas)).toEqual(v.expected);
    });
  }
});

describe('reference penalty dedup, derived cases from thanos-querier.md §1.3', () => {
  it('a stale-like NaN is an ordinary sample that keeps its replica alive', () => {
    const a: RefSample[] = [[10000, 1], [20000, NaN], [60000, 1]];
    const b: RefSample[] = [10000, 20000, 30000, 40000, 50000, 60000].map((t) => [t, 2] as const);
    expect(penaltyMerge([a, b])).toEqual([[10000, 1], [20000, NaN], [50000, 2], [60000, 2]]);
  });

  it('identical replicas merge to the first one', () => {
    const a: RefSample[] = [[1000, 1], [16000, 2], [31000, 3]];
    expect(penaltyMerge([a, a.map(([t, v]) => [t, v + 10] as const)])).toEqual(a);
  });

  it('one replica passes through; no replicas give nothing', () => {
    const a: RefSample[] = [[1, 1], [2, 2]];
    expect(penaltyMerge([a])).toEqual(a);
    expect(penaltyMerge([])).toEqual([]);
    expect(penaltyMerge([[], a])).toEqual(a);
    expect(penaltyMerge([a, []])).toEqual(a);
  });

  it('three missing scrapes on the replica in use switch and lose two samples on the other', () => {
    const grid = Array.from({ length: 10 }, (_, i) => i * 15000);
    const a: RefSample[] = grid.filter((t) => t < 30000 || t > 60000).map((t) => [t, t]);
    const b: RefSample[] = grid.map((t) => [t, t]);
    // a misses 30000, 45000, 60000: b (penalised by 30 s) comes back at 60000 only.
    expect(penaltyMerge([a, b]).map(([t]) => t)).toEqual([0, 15000, 60000, 75000, 90000, 105000, 120000, 135000]);
  });

  it('ListIterator.seek never moves backwards', () => {
    const it = new ListIterator([[1, 1], [5, 5], [9, 9]]);
    expect(it.seek(6)).toBe(true);
    expect(it.at()[0]).toBe(9);
    expect(it.seek(0)).toBe(true);
    expect(it.at()[0]).toBe(9);
    expect(it.seek(10)).toBe(false);
  });
});
