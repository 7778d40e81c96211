import { afterAll, describe, expect, it, vi } from 'vitest';
import { Deduplicator, INLINE_MAX_SAMPLES, splitTasks } from '../../src/dedup/index.js';
import { mergePacked } from '../../src/dedup/merge-packed.js';
import { packGroups, unpackOutput } from '../../src/dedup/packing.js';
import { mergePenalty } from '../../src/dedup/penalty.js';
import { mergeChain } from '../../src/dedup/chain.js';
import { DedupPool } from '../../src/dedup/pool.js';
import { compareLabels, labelsFromRecord, formatLabels } from '../../src/model/labels.js';
import type { Samples, Series } from '../../src/model/samples.js';

function replica(offset: number, n: number, seed: number, withStale = false): Samples {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  const st = withStale ? new Uint8Array(n) : null;
  let x = seed;
  for (let i = 0; i < n; i++) {
    // 15 s scrapes with a replica offset, an outage of 10 scrapes in the middle of every other series.
    t[i] = offset + i * 15000 + (seed % 2 === 0 && i > n / 2 ? 150000 : 0);
    x += (i * 7 + seed) % 13;
    v[i] = x;
    if (st !== null && i % 50 === 49) {
      v[i] = NaN;
      st[i] = 1;
    }
  }
  return { timestamps: t, values: v, stale: st };
}

/** `groups` series × `replicas` replicas, replica label "replica", shuffled. */
function dataset(groups: number, replicas: number, perReplica: number): Series[] {
  const out: Series[] = [];
  for (let g = 0; g < groups; g++) {
    for (let r = 0; r < replicas; r++) {
      out.push({
        labels: labelsFromRecord({ __name__: 'm', instance: `i${g}`, replica: `r${r}` }),
        samples: replica(r * 700 + (g % 3) * 100, perReplica, g + r, g % 5 === 0),
      });
    }
  }
  // Deterministic shuffle: grouping must not depend on the input order.
  return out.map((s, i) => [((i * 7919) % 104729), s] as const).sort((a, b) => a[0] - b[0]).map(([, s]) => s);
}

function view(series: readonly Series[]): Array<[string, number[], string[], number[]]> {
  return series.map((s) => [
    formatLabels(s.labels),
    Array.from(s.samples.timestamps),
    Array.from(s.samples.values, String),
    s.samples.stale ? Array.from(s.samples.stale) : [],
  ]);
}

const dedups: Deduplicator[] = [];
afterAll(async () => {
  await Promise.all(dedups.map((d) => d.close()));
});

describe('DedupPool (real worker threads)', () => {
  it('transfers the packed input (detached afterwards) and returns the merged groups', async () => {
    const pool = new DedupPool(1);
    try {
      const groups = [[replica(0, 100, 1), replica(500, 100, 2, true)], [replica(0, 10, 3), replica(1, 10, 4), replica(2, 10, 5)]];
      const expected = unpackOutput(mergePacked(packGroups(groups), { func: 'penalty', counter: false }));
      const input = packGroups(groups);
      const pending = pool.run({ opts: { func: 'penalty', counter: false }, input });
      const out = await pending;
      for (const a of [input.timestamps, input.values, input.stale!, input.replicaOffsets, input.groupOffsets]) {
        expect(a.buffer.byteLength).toBe(0); // detached: moved, not copied
      }
      const got = unpackOutput(out);
      expect(got.map((s) => Array.from(s.timestamps))).toEqual(expected.map((s) => Array.from(s.timestamps)));
      expect(got.map((s) => Array.from(s.values, String))).toEqual(expected.map((s) => Array.from(s.values, String)));
      expect(got[0]!.stale).not.toBeNull();
      // The output columns own fresh buffers that arrived by transfer.
      expect(out.timestamps.buffer.byteLength).toBe(out.timestamps.byteLength);
    } finally {
      await pool.close();
    }
  });

  it('rejects bad thread counts', () => {
    expect(() => new DedupPool(0)).toThrow(RangeError);
  });
});

describe('Deduplicator', () => {
  it('merges a big request in workers: same result as the pure merges, sorted, replica labels gone, inputs intact', async () => {
    const d = new Deduplicator({ threads: 2 });
    dedups.push(d);
    const input = dataset(600, 2, 120);
    const copies = input.map((s) => ({ t: s.samples.timestamps.slice(), v: s.samples.values.slice() }));
    const spy = vi.spyOn(DedupPool.prototype, 'run');
    const out = await d.dedup(input, new Set(['replica']), { func: 'penalty', counter: false });
    expect(spy.mock.calls.length).toBe(2); // one task per thread
    spy.mockRestore();
    expect(out.length).toBe(600);
    for (let i = 1; i < out.length; i++) expect(compareLabels(out[i - 1]!.labels, out[i]!.labels)).toBeLessThan(0);
    for (const s of out) expect(s.labels.some((l) => l.name === 'replica')).toBe(false);
    // Reference: the pure merge per group.
    const byInstance = new Map<string, Series[]>();
    for (const s of input) {
      const inst = s.labels.find((l) => l.name === 'instance')!.value;
      byInstance.set(inst, [...(byInstance.get(inst) ?? []), s]);
    }
    const want = out.map((s) => {
      const inst = s.labels.find((l) => l.name === 'instance')!.value;
      const reps = byInstance.get(inst)!.sort((a, b) => compareLabels(a.labels, b.labels)).map((r) => r.samples);
      return { labels: s.labels, samples: mergePenalty(reps, false) };
    });
    expect(view(out)).toEqual(view(want));
    // The caller's arrays were neither detached nor modified.
    input.forEach((s, i) => {
      expect(Array.from(s.samples.timestamps)).toEqual(Array.from(copies[i]!.t));
      expect(Array.from(s.samples.values, String)).toEqual(Array.from(copies[i]!.v, String));
    });
    expect(d.stats.samplesIn).toBe(600 * 2 * 120);
    expect(d.stats.samplesOut).toBe(out.reduce((n, s) => n + s.samples.timestamps.length, 0));
  });

  it('gives the same answers inline (small request) and in workers, for penalty, chain and counter mode', async () => {
    const d = new Deduplicator({ threads: 2 });
    dedups.push(d);
    for (const func of ['penalty', 'chain'] as const) {
      for (const counter of [false, true]) {
        const small = dataset(20, 3, 40);
        expect(20 * 3 * 40).toBeLessThanOrEqual(INLINE_MAX_SAMPLES);
        const big = dataset(400, 3, 100);
        const spy = vi.spyOn(DedupPool.prototype, 'run');
        const outSmall = await d.dedup(small, new Set(['replica']), { func, counter });
        expect(spy).not.toHaveBeenCalled();
        const outBig = await d.dedup(big, new Set(['replica']), { func, counter });
        expect(spy).toHaveBeenCalled();
        spy.mockRestore();
        const merge = func === 'penalty' ? (r: Samples[]) => mergePenalty(r, counter) : (r: Samples[]) => mergeChain(r, counter);
        for (const [input, out] of [[small, outSmall], [big, outBig]] as const) {
          const groups = new Map<string, Series[]>();
          for (const s of input) {
            const key = formatLabels(s.labels.filter((l) => l.name !== 'replica'));
            groups.set(key, [...(groups.get(key) ?? []), s]);
          }
          const want = [...groups.values()]
            .map((reps) => {
              reps.sort((a, b) => compareLabels(a.labels, b.labels));
              return { labels: reps[0]!.labels.filter((l) => l.name !== 'replica'), samples: merge(reps.map((r) => r.samples)) };
            })
            .sort((a, b) => compareLabels(a.labels, b.labels));
          expect(view(out)).toEqual(view(want));
        }
      }
    }
  });

  it('passes single-replica groups through with the same arrays (NaNs dropped in counter mode)', async () => {
    const d = new Deduplicator({ threads: 1 });
    dedups.push(d);
    const one: Series = { labels: labelsFromRecord({ a: '1', replica: 'x' }), samples: replica(0, 10, 1) };
    const withNaN: Series = { labels: labelsFromRecord({ a: '2' }), samples: replica(0, 100, 3, true) };
    const [a, b] = await d.dedup([withNaN, one], new Set(['replica']), { func: 'penalty', counter: false });
    expect(formatLabels(a!.labels)).toBe('{a="1"}');
    expect(a!.samples).toBe(one.samples);
    expect(b!.samples).toBe(withNaN.samples);
    const [, c] = await d.dedup([withNaN, one], new Set(['replica']), { func: 'penalty', counter: true });
    expect(c!.samples.timestamps.length).toBe(98);
    expect(c!.samples.stale).toBeNull();
  });

  it('merges exactly equal label sets by union when no replica label is given (dedup off)', async () => {
    const d = new Deduplicator({ threads: 1 });
    dedups.push(d);
    const a: Series = { labels: labelsFromRecord({ a: '1' }), samples: { timestamps: Float64Array.of(1, 3), values: Float64Array.of(1, 3), stale: null } };
    const b: Series = { labels: labelsFromRecord({ a: '1' }), samples: { timestamps: Float64Array.of(2, 3), values: Float64Array.of(2, 9), stale: null } };
    const out = await d.dedup([a, b], new Set(), { func: 'chain', counter: false });
    expect(out.length).toBe(1);
    expect(Array.from(out[0]!.samples.values)).toEqual([1, 2, 3]);
  });

  it('honours an aborted signal and an empty request', async () => {
    const d = new Deduplicator({ threads: 1 });
    dedups.push(d);
    expect(await d.dedup([], new Set(['replica']), { func: 'penalty', counter: false })).toEqual([]);
    const ac = new AbortController();
    ac.abort();
    await expect(d.dedup(dataset(400, 2, 100), new Set(['replica']), { func: 'penalty', counter: false }, ac.signal)).rejects.toThrow();
  });
});

describe('splitTasks', () => {
  it('makes about one task per thread, none tiny', () => {
    expect(splitTasks([10, 10], 20, 4)).toEqual([[0, 2]]);
    const sizes = Array.from({ length: 1000 }, () => 480);
    const parts = splitTasks(sizes, 480_000, 2);
    expect(parts.length).toBe(2);
    expect(parts[0]![0]).toBe(0);
    expect(parts[1]![1]).toBe(1000);
    expect(parts[0]![1]).toBe(parts[1]![0]);
    expect(Math.abs(parts[0]![1] - 500)).toBeLessThanOrEqual(1);
    const four = splitTasks(sizes, 480_000, 4);
    expect(four.length).toBe(4);
    expect(four.map(([a, b]) => b - a).reduce((x, y) => x + y)).toBe(1000);
  });
});
