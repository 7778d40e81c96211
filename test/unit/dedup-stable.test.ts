/**
 * The `stable` dedup function: window stability (the defining property), no doubled timestamps,
 * output ⊆ inputs, one replica passes through, counters never drop at a switch; and the measured
 * share of split answers that differ from the unsplit one, penalty vs stable, on hadata's HA data.
 */
import { describe, expect, it } from 'vitest';
import { mergePenalty } from '../../src/dedup/penalty.js';
import { CLAMP_MS, mergeStable, STABLE_NEIGHBOURHOOD_MS } from '../../src/dedup/stable.js';
import type { Samples } from '../../src/model/samples.js';
import { mergeGroups } from '../support/dedup-groups.js';
import { generateHaData, HOUR_MS, MINUTE_MS } from '../support/hadata.js';
import { prng } from '../support/prng.js';

type Pair = [number, number];

function s(pairs: readonly Pair[]): Samples {
  return { timestamps: Float64Array.from(pairs.map(([t]) => t)), values: Float64Array.from(pairs.map(([, v]) => v)), stale: null };
}
function pairs(x: Samples): Pair[] {
  return Array.from(x.timestamps, (t, i) => [t, x.values[i]!] as Pair);
}
/** The samples at or after `from`. */
function from(x: Samples, t0: number): Samples {
  let i = 0;
  while (i < x.timestamps.length && x.timestamps[i]! < t0) i++;
  return { timestamps: x.timestamps.slice(i), values: x.values.slice(i), stale: x.stale === null ? null : x.stale.slice(i) };
}

/** Random HA replicas: a shared scrape interval, per-replica offsets, outages, jitter, counter resets. */
function randomReplicas(rand: () => number, n: number, durationMs: number, counter: boolean): Samples[] {
  const interval = [10_000, 15_000, 30_000, 60_000][Math.floor(rand() * 4)]!;
  // The true counter: a step function of time with genuine resets.
  const resets: number[] = [];
  for (let k = 0; k < 3; k++) if (rand() < 0.5) resets.push(Math.floor(rand() * durationMs));
  const truth = (t: number): number => {
    const last = Math.max(0, ...resets.filter((r) => r <= t));
    return Math.floor((t - last) / 1000) * 3;
  };
  const out: Samples[] = [];
  for (let r = 0; r < n; r++) {
    const offset = Math.floor(rand() * interval);
    const outages: [number, number][] = [];
    const k = Math.floor(rand() * 6);
    for (let i = 0; i < k; i++) {
      const a = Math.floor(rand() * durationMs);
      const len = [interval, 2 * interval, 3 * MINUTE_MS, 8 * MINUTE_MS, 25 * MINUTE_MS][Math.floor(rand() * 5)]!;
      outages.push([a, a + len]);
    }
    const p: Pair[] = [];
    for (let t = offset; t < durationMs; t += interval) {
      if (outages.some(([a, b]) => t >= a && t < b)) continue;
      const ts = t + Math.floor(rand() * 50); // scrape jitter
      p.push([ts, counter ? truth(ts) : Math.floor(rand() * 100)]);
    }
    out.push(s(p));
  }
  return out;
}

describe('stable dedup', () => {
  it('one replica passes through unchanged (and so does any group of one through dedupSeries)', () => {
    const rand = prng(7);
    for (let i = 0; i < 20; i++) {
      const [r] = randomReplicas(rand, 1, 2 * HOUR_MS, i % 2 === 0);
      expect(pairs(mergeStable([r!], i % 2 === 0))).toEqual(pairs(r!));
      expect(pairs(mergeGroups([[r!]], { func: 'stable', counter: false })[0]!)).toEqual(pairs(r!));
    }
  });

  it('never emits a timestamp twice; output ⊆ union of inputs (values exact outside counter mode)', () => {
    const rand = prng(11);
    for (let i = 0; i < 200; i++) {
      const n = 2 + Math.floor(rand() * 3);
      const reps = randomReplicas(rand, n, 3 * HOUR_MS, false);
      const m = mergeStable(reps, false);
      const union = new Map<number, Set<number>>();
      for (const r of reps) r.timestamps.forEach((t, k) => union.set(t, (union.get(t) ?? new Set()).add(r.values[k]!)));
      for (let k = 0; k < m.timestamps.length; k++) {
        if (k > 0) expect(m.timestamps[k]).toBeGreaterThan(m.timestamps[k - 1]!);
        expect(union.get(m.timestamps[k]!)?.has(m.values[k]!)).toBe(true);
      }
      // dedupSeries (the query path) gives the same.
      expect(pairs(mergeGroups([reps], { func: 'stable', counter: false })[0]!)).toEqual(pairs(m));
      // And in counter mode (NaN samples dropped, the hold applied) through both paths alike.
      const withNaN = reps.map((r) => ({ ...r, values: r.values.map((x, k) => (k % 17 === 5 ? NaN : x)) }));
      expect(pairs(mergeGroups([withNaN], { func: 'stable', counter: true })[0]!)).toEqual(pairs(mergeStable(withNaN, true)));
      expect(mergeStable(withNaN, true).values.every((x) => !Number.isNaN(x))).toBe(true);
    }
  });

  it('sticks to the first replica while it scrapes; hands over after 2 intervals of silence; takes it back at once', () => {
    const a: Pair[] = [];
    const b: Pair[] = [];
    for (let t = 0; t < 600_000; t += 15_000) {
      if (t < 120_000 || t >= 300_000) a.push([t, 1]);
      b.push([t + 5_000, 2]);
    }
    const m = pairs(mergeStable([s(a), s(b)]));
    // a's last sample before its outage is 105 s: b takes over at its first sample ≥ 105 + 30 s.
    expect(m.filter(([, v]) => v === 2).map(([t]) => t)).toEqual([140_000, 155_000, 170_000, 185_000, 200_000, 215_000, 230_000, 245_000, 260_000, 275_000, 290_000]);
    expect(m.filter(([t]) => t >= 300_000).every(([, v]) => v === 1)).toBe(true);
  });

  for (const counter of [false, true]) {
    it(`window stability${counter ? ' (counters)' : ''}: windows opening at s1 < s2 read from s − neighbourhood, agree on [s2, end]`, () => {
      const rand = prng(counter ? 23 : 19);
      let checked = 0;
      for (let i = 0; i < 300; i++) {
        const n = 2 + Math.floor(rand() * 2);
        const duration = 4 * HOUR_MS;
        const reps = randomReplicas(rand, n, duration, counter);
        const s1 = Math.floor(rand() * duration * 0.5);
        const s2 = s1 + Math.floor(rand() * duration * 0.4);
        // A window opening at s reads the replicas from s − neighbourhood (what the querier selects).
        const w1 = mergeStable(reps.map((r) => from(r, s1 - STABLE_NEIGHBOURHOOD_MS)), counter);
        const w2 = mergeStable(reps.map((r) => from(r, s2 - STABLE_NEIGHBOURHOOD_MS)), counter);
        const full = mergeStable(reps, counter);
        expect(pairs(from(w1, s2))).toEqual(pairs(from(w2, s2)));
        expect(pairs(from(full, s2))).toEqual(pairs(from(w2, s2)));
        checked += from(w2, s2).timestamps.length;
      }
      expect(checked).toBeGreaterThan(10_000);
    });
  }

  it('penalty is not window stable on the same data (the property is not vacuous)', () => {
    const rand = prng(19);
    let differ = 0;
    for (let i = 0; i < 300; i++) {
      const n = 2 + Math.floor(rand() * 2);
      const duration = 4 * HOUR_MS;
      const reps = randomReplicas(rand, n, duration, false);
      const s1 = Math.floor(rand() * duration * 0.5);
      const s2 = s1 + Math.floor(rand() * duration * 0.4);
      const w1 = mergePenalty(reps.map((r) => from(r, s1 - STABLE_NEIGHBOURHOOD_MS)), false);
      const w2 = mergePenalty(reps.map((r) => from(r, s2 - STABLE_NEIGHBOURHOOD_MS)), false);
      if (JSON.stringify(pairs(from(w1, s2))) !== JSON.stringify(pairs(from(w2, s2)))) differ++;
    }
    expect(differ).toBeGreaterThan(0);
  });

  it('counters: a switch never lowers the value unless the counter really reset; genuine resets get through', () => {
    const rand = prng(31);
    for (let i = 0; i < 200; i++) {
      const reps = randomReplicas(rand, 2 + Math.floor(rand() * 2), 3 * HOUR_MS, true);
      const m = pairs(mergeStable(reps, true));
      for (let k = 1; k < m.length; k++) {
        if (m[k]![1] >= m[k - 1]![1]) continue;
        // A drop: only where the replica emitting it really had a lower value (a genuine reset) and
        // the hold after the switch has run out or was never needed.
        const [t, v] = m[k]!;
        expect(reps.some((r) => r.timestamps.some((x, j) => x === t && r.values[j] === v))).toBe(true);
      }
    }
    // A hand-made switch with a value below the last emitted one: held, then released.
    const a = s([[0, 100], [15_000, 110], [30_000, 120]]);
    const b = s([[5_000, 101], [20_000, 108], [35_000, 100], [80_000, 119], [95_000, 125], [35_000 + CLAMP_MS + 1, 5]]);
    expect(pairs(mergeStable([a, b], true))).toEqual([[0, 100], [15_000, 110], [30_000, 120], [80_000, 120], [95_000, 125], [35_000 + CLAMP_MS + 1, 5]]);
  });

  it('measured: split answers vs the unsplit one on hadata HA data (penalty differs, stable never)', () => {
    const figures: string[] = [];
    for (const [label, split] of [['30 min', 30 * MINUTE_MS], ['1 h', HOUR_MS], ['10 min', 10 * MINUTE_MS]] as const) {
      const res: Record<string, { windows: number; differ: number; samples: number; samplesDiffer: number }> = {};
      for (const func of ['penalty', 'stable'] as const) {
        const merge = func === 'penalty' ? mergePenalty : mergeStable;
        const r = { windows: 0, differ: 0, samples: 0, samplesDiffer: 0 };
        for (const seed of [1, 2, 3]) {
          const ha = generateHaData({ seed });
          const byKey = new Map<string, Samples[]>();
          for (const rep of ['a', 'b'] as const) {
            for (const f of ha.replica[rep]) {
              for (const x of f.series) {
                const key = `${f.name}${JSON.stringify(x.labels)}`;
                const list = byKey.get(key) ?? [];
                list.push(s(x.samples as Pair[]));
                byKey.set(key, list);
              }
            }
          }
          const lookback = 5 * MINUTE_MS;
          for (const reps of byKey.values()) {
            if (reps.length < 2) continue;
            for (const counter of [false, true]) {
              const unsplit = pairs(merge(reps, counter));
              for (let d = ha.startMs + split; d < ha.endMs; d += split) {
                // The split query's select opens one lookback before the boundary; stable reads its
                // neighbourhood further back (as the querier does for it).
                const open = d - lookback - (func === 'stable' ? STABLE_NEIGHBOURHOOD_MS : 0);
                const part = pairs(merge(reps.map((x) => from(x, open)), counter));
                const lo = d - lookback;
                const hi = d + split;
                const a = unsplit.filter(([t]) => t >= lo && t < hi);
                const b = part.filter(([t]) => t >= lo && t < hi);
                r.windows++;
                r.samples += a.length;
                if (JSON.stringify(a) !== JSON.stringify(b)) {
                  r.differ++;
                  const set = new Set(b.map((p) => `${p[0]}:${p[1]}`));
                  r.samplesDiffer += a.filter((p) => !set.has(`${p[0]}:${p[1]}`)).length + Math.max(0, b.length - a.length);
                }
              }
            }
          }
        }
        res[func] = r;
      }
      const p = res['penalty']!;
      const st = res['stable']!;
      figures.push(
        `split ${label}: penalty ${p.differ}/${p.windows} split windows differ (${((100 * p.differ) / p.windows).toFixed(1)} %, ` +
          `${p.samplesDiffer}/${p.samples} samples); stable ${st.differ}/${st.windows}`,
      );
      expect(st.differ).toBe(0);
      expect(p.differ).toBeGreaterThan(0);
    }
    console.log(`[dedup-stable] ${figures.join('\n[dedup-stable] ')}`);
  });
});
