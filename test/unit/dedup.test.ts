import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeChain } from '../../src/dedup/chain.js';
import { isCounterFunc } from '../../src/dedup/counter.js';
import { mergeGroups } from '../support/dedup-groups.js';
import { mergePenalty } from '../../src/dedup/penalty.js';
import type { DedupFunc } from '../../src/dedup/types.js';
import type { Samples } from '../../src/model/samples.js';
import { DEDUP_VECTORS_PATH } from '../support/shared.js';

/** Shared dedup vectors (Thanos querier semantics, forward-only iterators). */
const VECTORS_PATH = process.env['PROMDEDUP_DEDUP_VECTORS'] ?? DEDUP_VECTORS_PATH;

type Pair = [number, number];
interface Vector {
  name: string;
  func?: string;
  replicas: Pair[][];
  expected: Pair[];
}
const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as { penalty: Vector[]; chain: Vector[] };

const STALE = -1; // marker in test pairs: value NaN with the stale flag set

function s(pairs: readonly Pair[]): Samples {
  const stale = pairs.map(([, v]) => (v === STALE ? 1 : 0));
  return {
    timestamps: Float64Array.from(pairs.map(([t]) => t)),
    values: Float64Array.from(pairs.map(([, v]) => (v === STALE ? NaN : v))),
    stale: stale.includes(1) ? Uint8Array.from(stale) : null,
  };
}

function pairs(x: Samples): Pair[] {
  return Array.from(x.timestamps, (t, i) => [t, x.stale !== null && x.stale[i] === 1 ? STALE : x.values[i]!] as Pair);
}

/** Merges through dedupSeries, the path queries take. */
function viaDedupSeries(replicas: readonly Samples[], func: DedupFunc, counter: boolean): Samples {
  return mergeGroups([replicas], { func, counter })[0]!;
}

function penalty(replicas: Pair[][], counter = false): Pair[] {
  const r = replicas.map(s);
  const direct = pairs(mergePenalty(r, counter));
  expect(pairs(viaDedupSeries(r, 'penalty', counter))).toEqual(direct);
  return direct;
}

function chain(replicas: Pair[][], counter = false): Pair[] {
  const r = replicas.map(s);
  const direct = pairs(mergeChain(r, counter));
  expect(pairs(viaDedupSeries(r, 'chain', counter))).toEqual(direct);
  return direct;
}

describe('shared vectors (dedup.json)', () => {
  it('has vectors', () => {
    expect(vectors.penalty.length).toBeGreaterThan(0);
    expect(vectors.chain.length).toBeGreaterThan(0);
  });
  for (const v of vectors.penalty) {
    it(`penalty: ${v.name}`, () => {
      expect(penalty(v.replicas, isCounterFunc(v.func ?? ''))).toEqual(v.expected);
    });
  }
  for (const v of vectors.chain) {
    it(`chain: ${v.name}`, () => {
      expect(chain(v.replicas, isCounterFunc(v.func ?? ''))).toEqual(v.expected);
    });
  }
});

describe('isCounterFunc', () => {
  it('is true for rate, irate, increase and resets only', () => {
    for (const f of ['rate', 'irate', 'increase', 'resets']) expect(isCounterFunc(f)).toBe(true);
    for (const f of ['', 'delta', 'sum', 'xrate', 'xincrease', 'deriv', 'max_over_time']) expect(isCounterFunc(f)).toBe(false);
  });
});

describe('penalty merge', () => {
  it('handles empty inputs', () => {
    expect(penalty([])).toEqual([]);
    expect(penalty([[]])).toEqual([]);
    expect(penalty([[], []])).toEqual([]);
    expect(penalty([[], [], []])).toEqual([]);
    expect(penalty([[], [[1000, 1], [2000, 2]]])).toEqual([[1000, 1], [2000, 2]]);
    expect(penalty([[[1000, 1], [2000, 2]], []])).toEqual([[1000, 1], [2000, 2]]);
    expect(penalty([[], [], [[1000, 3]]])).toEqual([[1000, 3]]);
  });

  it('passes one replica through', () => {
    const r = [[10000, 1], [20000, 2], [30000, STALE]] as Pair[];
    expect(penalty([r])).toEqual(r);
  });

  it('prefers the first replica when timestamps are identical', () => {
    const a: Pair[] = [[1000, 1], [2000, 2], [3000, 3]];
    const b: Pair[] = [[1000, 9], [2000, 9], [3000, 9]];
    expect(penalty([a, b])).toEqual(a);
    expect(penalty([a, b, b])).toEqual(a);
    expect(penalty([b, a, a, a])).toEqual(b);
  });

  it('carries staleness markers as ordinary samples (reference derived example)', () => {
    const a: Pair[] = [[10000, 1], [20000, STALE], [60000, 1]];
    const b: Pair[] = [10000, 20000, 30000, 40000, 50000, 60000].map((t) => [t, 2]);
    expect(penalty([a, b])).toEqual([[10000, 1], [20000, STALE], [50000, 2], [60000, 2]]);
    // The flags come from whichever replica is picked, also on side B.
    expect(penalty([b, a])).toEqual([[10000, 2], [20000, 2], [30000, 2], [40000, 2], [50000, 2], [60000, 2]]);
    expect(penalty([[[10000, 1]], [[10000, 2], [25000, STALE], [40000, 3]]])).toEqual([[10000, 1], [25000, STALE], [40000, 3]]);
  });

  it('never uses a replica again once a penalty seek ran past its end', () => {
    // B is dropped at 20000 (seek to 40001 finds nothing) although A dies right after.
    const a: Pair[] = [[10000, 1], [20000, 1]];
    const b: Pair[] = [[10000, 2], [20000, 2], [30000, 2], [40000, 2]];
    expect(penalty([a, b])).toEqual([[10000, 1], [20000, 1]]);
  });

  it('folds 3 replicas left, the inner merge keeping its penalty state', () => {
    // Reference derived vector: A ends early, C is never needed.
    const a: Pair[] = [10000, 20000, 30000].map((t) => [t, 1]);
    const b: Pair[] = [10000, 20000, 30000, 40000, 50000, 60000, 70000].map((t) => [t, 2]);
    const c: Pair[] = [10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000].map((t) => [t, 3]);
    expect(penalty([a, b, c])).toEqual([[10000, 1], [20000, 1], [30000, 1], [60000, 2], [70000, 2]]);
  });

  it('merges 4 replicas (Thanos "Single dedup label" group)', () => {
    const r: Pair[][] = [
      [[10000, 1], [20000, 2]],
      [[60000, 3], [70000, 4]],
      [[200000, 5], [210000, 6]],
      [[10000, 1], [20000, 2]],
    ];
    expect(penalty(r)).toEqual([[10000, 1], [20000, 2], [60000, 3], [70000, 4], [200000, 5], [210000, 6]]);
  });

  it('lets a third replica fill a gap both others have', () => {
    const a: Pair[] = [[0, 1], [15000, 1], [90000, 1]];
    const b: Pair[] = [[100, 2], [15100, 2], [90100, 2]];
    const c: Pair[] = [0, 15000, 30000, 45000, 60000, 75000, 90000].map((t) => [t + 200, 3]);
    expect(penalty([a, b, c])).toEqual([[0, 1], [15000, 1], [45200, 3], [60200, 3], [75200, 3], [90200, 3]]);
  });
});

describe('penalty merge, counter mode', () => {
  it('drops NaN samples and staleness markers before merging', () => {
    const a: Pair[] = [[10000, 1], [20000, STALE], [30000, NaN], [40000, 4]];
    expect(penalty([a], true)).toEqual([[10000, 1], [40000, 4]]);
    // Without the marker A has a gap of 30 s, so B (whose values are not below A's) takes over.
    const b: Pair[] = [10000, 20000, 30000, 40000, 50000].map((t, i) => [t + 500, i + 1]);
    expect(penalty([a, b], true)).toEqual([[10000, 1], [20500, 2], [30500, 3], [40500, 4], [50500, 5]]);
  });

  it('keeps genuine counter resets inside one replica (no ApplyCounterResets)', () => {
    const a: Pair[] = [[10000, 5], [20000, 7], [30000, 1], [40000, 2]];
    const b: Pair[] = [[10100, 5], [20100, 7], [30100, 1], [40100, 2]];
    expect(penalty([a, b], true)).toEqual(a);
  });

  it('raises a lower replica at a switch and keeps the adjustment', () => {
    const a: Pair[] = [[10000, 100], [20000, 110]];
    const b: Pair[] = [[10500, 70], [20500, 80], [30500, 90], [40500, 100], [50500, 5]];
    // A ends; B (10 behind at the switch) continues +10, and its own reset stays a reset.
    expect(penalty([a, b], true)).toEqual([[10000, 100], [20000, 110], [40500, 110], [50500, 15]]);
    expect(penalty([a, b], false)).toEqual([[10000, 100], [20000, 110], [40500, 100], [50500, 5]]);
  });

  it('switches to a lagging replica after an outage and stays on it, raised (real-data-like 2401 case)', () => {
    // 15 s scrapes, B 1348 ms behind A and 30 below it. A misses 4 scrapes after its 10th sample.
    const a: Pair[] = [];
    for (let i = 0; i < 20; i++) if (i < 10 || i >= 14) a.push([5791 + 15000 * i, 1000 + 10 * i]);
    const b: Pair[] = Array.from({ length: 20 }, (_, i) => [7139 + 15000 * i, 970 + 10 * i] as Pair);
    const expected: Pair[] = [...a.slice(0, 10), ...b.slice(11).map(([t, v]) => [t, v + 10] as Pair)];
    expect(penalty([a, b], true)).toEqual(expected);
    expect(penalty([a, b], false)).toEqual([...a.slice(0, 10), ...b.slice(11)]);
  });

  it('does not adjust at the first pick: nothing was emitted before it (unlike Thanos)', () => {
    const a: Pair[] = [[10000, 100]];
    const b: Pair[] = [[5000, 50], [15000, 60]];
    expect(penalty([a, b], true)).toEqual([[5000, 50], [15000, 60]]);
    expect(penalty([a, b], false)).toEqual([[5000, 50], [15000, 60]]);
  });

  it('adjusts replicas inside the inner merge when the outer one switches (3 replicas)', () => {
    // Inner merge = A (B is empty). The outer merge switches to C at 50000 and back to A at 120000:
    // both switches raise A, which the inner merge reports from then on.
    const a: Pair[] = [[0, 100], [10000, 110], [20000, 120], [80000, 50], [120000, 60], [130000, 70]];
    const c: Pair[] = [[30000, 200], [40000, 210], [50000, 220], [200000, 300]];
    expect(penalty([a, [], c], true)).toEqual([[0, 100], [10000, 110], [20000, 120], [50000, 220], [120000, 220], [130000, 230]]);
    expect(penalty([a, [], c], false)).toEqual([[0, 100], [10000, 110], [20000, 120], [50000, 220], [120000, 60], [130000, 70]]);
  });
});

describe('penalty merge, counter mode: genuine reset while the other replica is down', () => {
  // Both replicas scrape the same counter every 5 s. A is down for [40, 90) s, then B for [90, 130) s;
  // the counter resets at 80 s (a process restart) while only B records. The merge goes A -> B at
  // 50 s and back to A at 100 s (identical timestamps and values: nothing to correct). Thanos also
  // raised A at the first switch, comparing the last value (8) with A's look-ahead sample (90 s,
  // after the reset: 3) and so emitted A lifted by 5 from 100 s on: rate() saw 5 extra increments.
  const truth: Pair[] = Array.from({ length: 40 }, (_, k) => [k * 5000, k < 16 ? k + 1 : k - 16] as Pair);
  const a = truth.filter(([t]) => t < 40000 || t >= 90000);
  const b = truth.filter(([t]) => t < 90000 || t >= 130000);

  it('2 replicas: the merged counter is the plain merge (no lift after the reset)', () => {
    const plain = penalty([a, b], false);
    expect(penalty([a, b], true)).toEqual(plain);
    // The switch to B is at 50 s (40 and 45 s fall in the penalty), the reset at 80 s stays, A is back at 100 s.
    expect(plain.map(([t]) => t / 1000)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 50, 55, 60, 65, 70, 75, 80, 85, 100, ...Array.from({ length: 19 }, (_, i) => 105 + 5 * i)]);
  });

  it('3 and 4 replicas (nested kernels) agree', () => {
    const plain = penalty([a, b, a], false);
    expect(penalty([a, b, a], true)).toEqual(plain);
    expect(penalty([a, b, a, b], true)).toEqual(penalty([a, b, a, b], false));
  });

  it('a switch still never lowers the counter (replica behind the other)', () => {
    const behind: Pair[] = [[0, 1], [5000, 2], [45000, 8.5], [55000, 9.5]];
    const ahead: Pair[] = [[0, 1], [5000, 2], [10000, 3], [15000, 9], [50000, 10]];
    const merged = penalty([ahead, behind], true);
    for (let i = 1; i < merged.length; i++) expect(merged[i]![1]).toBeGreaterThanOrEqual(merged[i - 1]![1]);
  });
});

describe('chain merge', () => {
  it('takes the union of timestamps, the earlier replica winning ties', () => {
    expect(chain([[[1000, 1], [3000, 3]], [[1000, 9], [2000, 2], [3000, 9], [4000, 4]]])).toEqual([
      [1000, 1], [2000, 2], [3000, 3], [4000, 4],
    ]);
    expect(chain([[[1000, 9]], [[1000, 8], [2000, 8]], [[2000, 7], [3000, 7]]])).toEqual([[1000, 9], [2000, 8], [3000, 7]]);
  });

  it('handles empty and single replicas', () => {
    expect(chain([])).toEqual([]);
    expect(chain([[], []])).toEqual([]);
    expect(chain([[[5, 1]]])).toEqual([[5, 1]]);
    expect(chain([[], [[5, 1]], []])).toEqual([[5, 1]]);
  });

  it('carries stale flags, and drops NaNs in counter mode', () => {
    const a: Pair[] = [[1000, 1], [2000, STALE]];
    const b: Pair[] = [[1500, 2], [2500, NaN]];
    expect(chain([a, b]).map(([t, v]) => [t, Number.isNaN(v) ? 'NaN' : v])).toEqual([
      [1000, 1], [1500, 2], [2000, STALE], [2500, 'NaN'],
    ]);
    expect(chain([a, b], true)).toEqual([[1000, 1], [1500, 2]]);
  });

  it('merges 4 replicas (Thanos chain "Multi dedup label - gaps in two series" style)', () => {
    expect(chain([[[20000, 2], [30000, 3]], [[10000, 1], [20000, 2]]])).toEqual([[10000, 1], [20000, 2], [30000, 3]]);
    expect(chain([[[10000, 101], [20000, 102]], [[10000, 101], [30000, 103]]])).toEqual([[10000, 101], [20000, 102], [30000, 103]]);
    expect(chain([[[1, 1]], [[2, 2]], [[3, 3]], [[0, 0], [3, 9]]])).toEqual([[0, 0], [1, 1], [2, 2], [3, 3]]);
  });
});

describe('dedupSeries over many groups', () => {
  it('merges groups of different sizes into shared output slabs', () => {
    const groups: Samples[][] = [
      [s([[1000, 1]]), s([[1000, 2], [2000, 2]])],
      [s([[1000, 1], [2000, STALE]]), s([]), s([[500, 3]])],
      [s([]), s([])],
      [s([[0, 1], [15000, 1]]), s([[7000, 2], [22000, 2]]), s([[1, 3]]), s([[2, 4]])],
    ];
    for (const func of ['penalty', 'chain'] as const) {
      for (const counter of [false, true]) {
        const expected = groups.map((g) => pairs(func === 'penalty' ? mergePenalty(g, counter) : mergeChain(g, counter)));
        const got = mergeGroups(groups, { func, counter }).map(pairs);
        expect(got).toEqual(expected);
      }
    }
  });
});
