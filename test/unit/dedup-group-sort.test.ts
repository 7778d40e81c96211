/**
 * groupReplicas (sort-based grouping) against a straightforward reference: a map keyed by the
 * labels without replica labels, stable replica order, groups sorted by labels.
 */
import { describe, expect, it } from 'vitest';
import { groupReplicas } from '../../src/dedup/group.js';
import { compareLabels, compareStrings, getLabel, labelsFromRecord, labelsKey, type Labels } from '../../src/model/labels.js';
import type { Series } from '../../src/model/samples.js';

function reference(series: readonly Series[], replicaLabels: ReadonlySet<string>): { labels: Labels; replicas: Series[] }[] {
  const byKey = new Map<string, { labels: Labels; replicas: Series[] }>();
  for (const s of series) {
    const labels = s.labels.filter((l) => !replicaLabels.has(l.name));
    const key = labelsKey(labels);
    const g = byKey.get(key);
    if (g) g.replicas.push(s);
    else byKey.set(key, { labels, replicas: [s] });
  }
  const names = [...replicaLabels];
  const groups = [...byKey.values()];
  for (const g of groups) {
    g.replicas.sort((a, b) => {
      for (const n of names) {
        const c = compareStrings(getLabel(a.labels, n), getLabel(b.labels, n));
        if (c !== 0) return c;
      }
      return 0;
    });
  }
  return groups.sort((a, b) => compareLabels(a.labels, b.labels));
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('groupReplicas (sort-based)', () => {
  it('matches the reference on store-ordered and shuffled inputs with partial and repeated replica labels', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const replicaLabels = new Set(r() < 0.3 ? ['replica', 'az'] : r() < 0.9 ? ['replica'] : []);
      const stores = 1 + Math.floor(r() * 3);
      const input: Series[] = [];
      let id = 0;
      for (let st = 0; st < stores; st++) {
        const run: Series[] = [];
        const n = Math.floor(r() * 30);
        for (let i = 0; i < n; i++) {
          const rec: Record<string, string> = { __name__: r() < 0.8 ? 'm' : 'n', instance: `h${Math.floor(r() * 8)}` };
          if (r() < 0.9) rec.replica = r() < 0.2 ? 'a' : `r${st}`;
          if (r() < 0.3) rec.az = `z${Math.floor(r() * 2)}`;
          if (r() < 0.2) rec.zone = 'x';
          const samples = { timestamps: new Float64Array([id]), values: new Float64Array([id]), stale: null };
          id++;
          run.push({ labels: labelsFromRecord(rec), samples });
        }
        if (r() < 0.7) run.sort((a, b) => compareLabels(a.labels, b.labels)); // usual: each store sorted
        input.push(...run);
      }
      const got = groupReplicas(input, replicaLabels);
      const want = reference(input, replicaLabels);
      const ids = (g: { labels: Labels; replicas: readonly Series[] }) => [labelsKey(g.labels), g.replicas.map((s) => s.samples.timestamps[0])];
      expect(got.map(ids)).toEqual(want.map(ids));
    }
  });
});
