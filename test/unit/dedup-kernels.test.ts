/**
 * The specialised penalty kernels (penalty2, plain3 / counter3 through penaltyRuns) against the generic
 * nested model (nested.ts), which dedup-oracle.test.ts ties to the Thanos-structured iterator model.
 * Runs lie in one shared column set at non-zero offsets, as in packed worker tasks. Many rounds of
 * small groups whose replicas tie, overlap, pause and run out at every possible moment.
 */
import { describe, expect, it } from 'vitest';
import { penaltyNested } from '../../src/dedup/nested.js';
import { penalty2, penaltyRuns } from '../../src/dedup/penalty.js';
import { prng as rng } from '../support/prng.js';


interface Packed {
  t: Float64Array;
  v: Float64Array;
  s: Uint8Array | null;
  start: number[];
  end: number[];
}

/**
 * `n` replicas packed after a few padding samples. Intervals, jitter, outages, exact ties with
 * replica 0, counter resets; NaN-free (counter mode's input) unless `stale`, which adds markers.
 * In half the rounds ("grid") every timestamp is a multiple of the interval plus 0, 1 or 2 ms, so
 * samples often fall exactly on a seek target (lastT + 1 + penalty), or 1 ms either side of it or
 * of another replica's sample: the boundaries where `<` against `<=` or an off-by-one penalty shows.
 */
function randomPacked(rand: () => number, n: number, stale: boolean): Packed {
  const interval = [1000, 5000, 15000][Math.floor(rand() * 3)]!;
  const grid = rand() < 0.5;
  const t: number[] = [1, 2, 3];
  const v: number[] = [0, 0, 0];
  const s: number[] = [0, 0, 0];
  const start: number[] = [];
  const end: number[] = [];
  let first: number[] = [];
  for (let r = 0; r < n; r++) {
    const len = rand() < 0.15 ? Math.floor(rand() * 3) : Math.floor(rand() * 80);
    start.push(t.length);
    const mine: number[] = [];
    let time = grid ? interval * Math.floor(rand() * 3) : Math.floor(rand() * interval * 3);
    let value = Math.floor(rand() * 1000);
    for (let i = 0; i < len; i++) {
      const x = rand();
      if (x < 0.04) time += interval * (2 + Math.floor(rand() * 10)); // outage
      else if (x < 0.12 && first.length > 0 && !grid) {
        const tie = first[Math.floor(rand() * first.length)]!;
        if (tie > time) time = tie; // exact tie with replica 0
      }
      const k = rand();
      if (stale && k < 0.05) {
        v.push(NaN);
        s.push(1);
      } else {
        value = k < 0.08 ? Math.floor(rand() * 10) : value + Math.floor(rand() * 20);
        v.push(value);
        s.push(0);
      }
      const at = grid ? time + Math.floor(rand() * 3) : time;
      t.push(at);
      mine.push(at);
      time += grid
        ? interval * (rand() < 0.15 ? 2 : 1)
        : Math.max(1, interval + Math.floor((rand() - 0.5) * interval * (rand() < 0.2 ? 1.6 : 0.4)));
    }
    end.push(t.length);
    if (r === 0) first = mine;
  }
  t.push(1e15);
  v.push(0);
  s.push(0);
  return { t: Float64Array.from(t), v: Float64Array.from(v), s: stale && s.includes(1) ? Uint8Array.from(s) : null, start, end };
}

interface Out {
  t: number[];
  v: number[];
  s: number[];
}

function run(p: Packed, n: number, counter: boolean, kernel: 'runs' | 'nested' | 'pair'): Out {
  const total = p.t.length;
  const oT = new Float64Array(total + 5).fill(-1);
  const oV = new Float64Array(total + 5).fill(-1);
  const oS = p.s !== null ? new Uint8Array(total + 5).fill(7) : null;
  const o0 = 2;
  const arr = <T>(x: T): T[] => Array.from({ length: n }, () => x);
  let end: number;
  if (kernel === 'nested') {
    end = penaltyNested(arr(p.t), arr(p.v), arr(p.s), p.start, p.end, n, counter, oT, oV, oS, o0);
  } else if (kernel === 'pair') {
    end = penalty2(p.t, p.v, p.s, p.start[0]!, p.end[0]!, p.t, p.v, p.s, p.start[1]!, p.end[1]!, counter, oT, oV, oS, o0);
  } else {
    end = penaltyRuns(arr(p.t), arr(p.v), arr(p.s), p.start, p.end, n, counter, oT, oV, oS, o0);
  }
  // Nothing written outside [o0, end).
  expect(oT[o0 - 1]).toBe(-1);
  expect(oT[end]).toBe(-1);
  return {
    t: Array.from(oT.subarray(o0, end)),
    v: Array.from(oV.subarray(o0, end)),
    s: oS !== null ? Array.from(oS.subarray(o0, end)) : [],
  };
}

const ROUNDS = 4000;

describe('specialised penalty kernels equal the nested model', () => {
  for (const n of [2, 3]) {
    for (const counter of [false, true]) {
      it(`${n} replicas, ${counter ? 'counter mode' : 'plain (with staleness markers)'}`, () => {
        const rand = rng(1000 * n + (counter ? 1 : 0));
        let emitted = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const p = randomPacked(rand, n, !counter);
          const want = run(p, n, counter, 'nested');
          expect(run(p, n, counter, 'runs'), `round ${round}`).toEqual(want);
          if (n === 2) expect(run(p, n, counter, 'pair'), `round ${round}`).toEqual(want);
          emitted += want.t.length;
        }
        expect(emitted).toBeGreaterThan(ROUNDS * 40);
      });
    }
  }
});
