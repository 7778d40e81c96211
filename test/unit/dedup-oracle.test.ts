/**
 * Randomised comparison of the column kernels with a slow model written the way Thanos structures
 * the merge: one iterator object per replica and per dedup node, Seek implemented as repeated Next on
 * dedup nodes, adjustAtValue recursing down the emitted side to a leaf. Forward-only child iterators.
 */
import { describe, expect, it } from 'vitest';
import { mergeChain } from '../../src/dedup/chain.js';
import { dropNaN } from '../../src/dedup/counter.js';
import { penaltyNested } from '../../src/dedup/nested.js';
import { mergeGroups } from '../support/dedup-groups.js';
import { mergePenalty } from '../../src/dedup/penalty.js';
import type { Samples } from '../../src/model/samples.js';
import { prng as rng } from '../support/prng.js';

interface ModelIt {
  next(): boolean;
  seek(t: number): boolean;
  atT(): number;
  at(): number;
  atStale(): number;
  adjust(last: number): void;
}

class LeafModel implements ModelIt {
  private i = -1;
  private adj = 0;
  constructor(private readonly s: Samples, private readonly counter: boolean) {}
  next(): boolean {
    this.i++;
    return this.i < this.s.timestamps.length;
  }
  seek(t: number): boolean {
    while (this.i < this.s.timestamps.length && this.s.timestamps[this.i]! < t) this.i++;
    return this.i < this.s.timestamps.length;
  }
  atT(): number {
    return this.s.timestamps[this.i]!;
  }
  at(): number {
    return this.counter ? this.s.values[this.i]! + this.adj : this.s.values[this.i]!;
  }
  atStale(): number {
    return this.s.stale ? this.s.stale[this.i]! : 0;
  }
  adjust(last: number): void {
    if (!this.counter) return;
    const v = this.at();
    if (last > v) this.adj += last - v;
  }
}

class DedupModel implements ModelIt {
  private aok: boolean;
  private bok: boolean;
  private lastT: number | null = null;
  private last: ModelIt;
  private penA = 0;
  private penB = 0;
  private useA = true;
  constructor(private readonly a: ModelIt, private readonly b: ModelIt) {
    this.last = a;
    this.aok = a.next();
    this.bok = b.next();
  }
  next(): boolean {
    const wasA = this.useA;
    const hasLast = this.lastT !== null && (this.useA ? this.aok : this.bok);
    const lastV = hasLast ? this.last.at() : 0;
    const base = this.lastT === null ? -Infinity : this.lastT + 1;
    if (this.aok) this.aok = this.a.seek(base + this.penA);
    if (this.bok) this.bok = this.b.seek(base + this.penB);
    let ok: boolean;
    if (!this.aok) {
      this.useA = false;
      if (this.bok) {
        this.lastT = this.b.atT();
        this.last = this.b;
        this.penB = 0;
      }
      ok = this.bok;
    } else if (!this.bok) {
      this.useA = true;
      this.lastT = this.a.atT();
      this.last = this.a;
      this.penA = 0;
      ok = true;
    } else {
      const ta = this.a.atT();
      const tb = this.b.atT();
      this.useA = ta <= tb;
      const t = this.useA ? ta : tb;
      const pen = this.lastT === null ? 5000 : 2 * (t - this.lastT);
      if (this.useA) {
        this.penB = pen;
        this.penA = 0;
        this.last = this.a;
      } else {
        this.penA = pen;
        this.penB = 0;
        this.last = this.b;
      }
      this.lastT = t;
      ok = true;
    }
    if (this.useA !== wasA && hasLast) this.adjust(lastV);
    return ok;
  }
  seek(t: number): boolean {
    for (;;) {
      if (this.atT() >= t) return true;
      if (!this.next()) return false;
    }
  }
  atT(): number {
    return this.useA ? this.a.atT() : this.b.atT();
  }
  at(): number {
    return this.last.at();
  }
  atStale(): number {
    return this.last.atStale();
  }
  adjust(last: number): void {
    // The side currently emitted only (promdedup's rule; Thanos adjusts both live sides, see
    // src/dedup/penalty.ts).
    if (this.useA ? this.aok : this.bok) (this.useA ? this.a : this.b).adjust(last);
  }
}

function modelPenalty(replicas: readonly Samples[], counter: boolean): Samples {
  const reps = counter ? replicas.map(dropNaN) : replicas;
  const t: number[] = [];
  const v: number[] = [];
  const st: number[] = [];
  if (reps.length === 1) return reps[0]!;
  if (reps.length > 0) {
    let it: ModelIt = new LeafModel(reps[0]!, counter);
    for (const r of reps.slice(1)) it = new DedupModel(it, new LeafModel(r, counter));
    while (it.next()) {
      t.push(it.atT());
      v.push(it.at());
      st.push(it.atStale());
    }
  }
  return { timestamps: Float64Array.from(t), values: Float64Array.from(v), stale: st.includes(1) ? Uint8Array.from(st) : null };
}

function modelChain(replicas: readonly Samples[], counter: boolean): Samples {
  const reps = counter ? replicas.map(dropNaN) : replicas;
  const byT = new Map<number, [number, number]>();
  for (const r of reps) {
    r.timestamps.forEach((t, i) => {
      if (!byT.has(t)) byT.set(t, [r.values[i]!, r.stale ? r.stale[i]! : 0]);
    });
  }
  const ts = [...byT.keys()].sort((x, y) => x - y);
  const st = ts.map((t) => byT.get(t)![1]);
  return {
    timestamps: Float64Array.from(ts),
    values: Float64Array.from(ts.map((t) => byT.get(t)![0])),
    stale: st.includes(1) ? Uint8Array.from(st) : null,
  };
}


/** A replica scraping every `interval` with jitter, outages, counter resets, NaNs and stale markers. */
function randomReplica(rand: () => number, interval: number, n: number, shared: readonly number[]): Samples {
  const t: number[] = [];
  const v: number[] = [];
  const st: number[] = [];
  let time = Math.floor(rand() * interval * 2);
  let value = Math.floor(rand() * 1000);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.03) time += interval * (2 + Math.floor(rand() * 8)); // outage
    else if (r < 0.06 && shared.length > 0) time = Math.max(time, shared[Math.floor(rand() * shared.length)]!); // exact tie with a peer
    const k = rand();
    if (k < 0.03) {
      t.push(time);
      v.push(NaN);
      st.push(1); // staleness marker
    } else if (k < 0.04) {
      t.push(time);
      v.push(NaN);
      st.push(0); // a genuine NaN value
    } else {
      value = k < 0.07 ? Math.floor(rand() * 10) : value + Math.floor(rand() * 20); // resets now and then
      t.push(time);
      v.push(value);
      st.push(0);
    }
    time += Math.max(1, interval + Math.floor((rand() - 0.5) * interval * 0.4));
  }
  return { timestamps: Float64Array.from(t), values: Float64Array.from(v), stale: st.includes(1) ? Uint8Array.from(st) : null };
}

function randomGroup(rand: () => number): Samples[] {
  const n = 1 + Math.floor(rand() * 4);
  const interval = [1000, 5000, 15000, 30000][Math.floor(rand() * 4)]!;
  const reps: Samples[] = [];
  for (let i = 0; i < n; i++) {
    const len = rand() < 0.1 ? Math.floor(rand() * 3) : Math.floor(rand() * 60);
    const shared = reps.length > 0 ? Array.from(reps[0]!.timestamps) : [];
    reps.push(randomReplica(rand, interval, len, shared));
  }
  return reps;
}

function plain(s: Samples): { t: number[]; v: string[]; s: number[] } {
  return {
    t: Array.from(s.timestamps),
    v: Array.from(s.values, (x) => (Object.is(x, -0) ? '0' : String(x))),
    s: Array.from(s.timestamps, (_, i) => (s.stale ? s.stale[i]! : 0)),
  };
}

const ROUNDS = 1500;

describe('penalty kernels against the Thanos-structured model', () => {
  it('match on random groups (1–4 replicas, with and without counter mode)', () => {
    const rand = rng(42);
    let merged = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const group = randomGroup(rand);
      for (const counter of [false, true]) {
        const want = plain(modelPenalty(group, counter));
        expect(plain(mergePenalty(group, counter)), `round ${round} counter=${counter}`).toEqual(want);
        merged += want.t.length;
      }
    }
    expect(merged).toBeGreaterThan(ROUNDS * 20);
  });

  it('nested model equals the left fold through scratch columns when not counting', () => {
    const rand = rng(7);
    for (let round = 0; round < ROUNDS; round++) {
      const group = randomGroup(rand);
      if (group.length < 2) continue;
      const total = group.reduce((n, r) => n + r.timestamps.length, 0);
      const oT = new Float64Array(total);
      const oV = new Float64Array(total);
      const oS = new Uint8Array(total);
      const n = penaltyNested(
        group.map((r) => r.timestamps),
        group.map((r) => r.values),
        group.map((r) => r.stale),
        group.map(() => 0),
        group.map((r) => r.timestamps.length),
        group.length,
        false,
        oT,
        oV,
        oS,
        0,
      );
      const got = { timestamps: oT.subarray(0, n), values: oV.subarray(0, n), stale: oS.subarray(0, n).includes(1) ? oS.subarray(0, n) : null };
      expect(plain(got), `round ${round}`).toEqual(plain(mergePenalty(group, false)));
    }
  });

  it('generic nested model equals the Thanos-structured model in counter mode', () => {
    const rand = rng(11);
    for (let round = 0; round < ROUNDS; round++) {
      const group = randomGroup(rand).map(dropNaN);
      if (group.length < 2) continue;
      const total = group.reduce((n, r) => n + r.timestamps.length, 0);
      const oT = new Float64Array(total);
      const oV = new Float64Array(total);
      const n = penaltyNested(
        group.map((r) => r.timestamps),
        group.map((r) => r.values),
        group.map(() => null),
        group.map(() => 0),
        group.map((r) => r.timestamps.length),
        group.length,
        true,
        oT,
        oV,
        null,
        0,
      );
      const got = { timestamps: oT.subarray(0, n), values: oV.subarray(0, n), stale: null };
      expect(plain(got), `round ${round}`).toEqual(plain(modelPenalty(group, true)));
    }
  });

  it('dedupSeries over many groups equals per-group merges', () => {
    const rand = rng(99);
    for (let round = 0; round < 50; round++) {
      const groups = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => randomGroup(rand));
      for (const counter of [false, true]) {
        const want = groups.map((g) => plain(modelPenalty(g, counter)));
        const got = mergeGroups(groups, { func: 'penalty', counter }).map(plain);
        expect(got).toEqual(want);
        const wantChain = groups.map((g) => plain(modelChain(g, counter)));
        const gotChain = mergeGroups(groups, { func: 'chain', counter }).map(plain);
        expect(gotChain).toEqual(wantChain);
      }
    }
  });
});

describe('chain kernel against a map-based union', () => {
  it('matches on random groups', () => {
    const rand = rng(1234);
    for (let round = 0; round < ROUNDS; round++) {
      const group = randomGroup(rand);
      for (const counter of [false, true]) {
        expect(plain(mergeChain(group, counter)), `round ${round}`).toEqual(plain(modelChain(group, counter)));
      }
    }
  });
});
