import { describe, expect, it } from 'vitest';
import { dedupSeries } from '../../src/dedup/index.js';
import { mergePenalty } from '../../src/dedup/penalty.js';
import { mergeChain } from '../../src/dedup/chain.js';
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

describe('dedupSeries', () => {
  it('merges every replica group: same result as the pure merges, sorted, replica labels gone, inputs intact', () => {
    const input = dataset(600, 2, 120);
    const copies = input.map((s) => ({ t: s.samples.timestamps.slice(), v: s.samples.values.slice() }));
    const out = dedupSeries(input.slice(), new Set(['replica']), { func: 'penalty', counter: false });
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
    // The caller's arrays were not modified.
    input.forEach((s, i) => {
      expect(Array.from(s.samples.timestamps)).toEqual(Array.from(copies[i]!.t));
      expect(Array.from(s.samples.values, String)).toEqual(Array.from(copies[i]!.v, String));
    });
  });

  it('equals the pure merges for penalty, chain and counter mode over 3 replicas', () => {
    for (const func of ['penalty', 'chain'] as const) {
      for (const counter of [false, true]) {
        const input = dataset(200, 3, 60);
        const out = dedupSeries(input.slice(), new Set(['replica']), { func, counter });
        const merge = func === 'penalty' ? (r: Samples[]) => mergePenalty(r, counter) : (r: Samples[]) => mergeChain(r, counter);
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
  });

  it('passes single-replica groups through with the same arrays (NaNs dropped in counter mode)', () => {
    const one: Series = { labels: labelsFromRecord({ a: '1', replica: 'x' }), samples: replica(0, 10, 1) };
    const withNaN: Series = { labels: labelsFromRecord({ a: '2' }), samples: replica(0, 100, 3, true) };
    const [a, b] = dedupSeries([withNaN, one], new Set(['replica']), { func: 'penalty', counter: false });
    expect(formatLabels(a!.labels)).toBe('{a="1"}');
    expect(a!.samples).toBe(one.samples);
    expect(b!.samples).toBe(withNaN.samples);
    const [, c] = dedupSeries([withNaN, one], new Set(['replica']), { func: 'penalty', counter: true });
    expect(c!.samples.timestamps.length).toBe(98);
    expect(c!.samples.stale).toBeNull();
  });

  it('merges exactly equal label sets by union when no replica label is given (dedup off)', () => {
    const a: Series = { labels: labelsFromRecord({ a: '1' }), samples: { timestamps: Float64Array.of(1, 3), values: Float64Array.of(1, 3), stale: null } };
    const b: Series = { labels: labelsFromRecord({ a: '1' }), samples: { timestamps: Float64Array.of(2, 3), values: Float64Array.of(2, 9), stale: null } };
    const out = dedupSeries([a, b], new Set(), { func: 'chain', counter: false });
    expect(out.length).toBe(1);
    expect(Array.from(out[0]!.samples.values)).toEqual([1, 2, 3]);
    expect(dedupSeries([], new Set(['replica']), { func: 'penalty', counter: false })).toEqual([]);
  });
});
