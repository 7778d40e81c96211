import { describe, expect, it } from 'vitest';
import { mergePenalty } from '../../src/dedup/index.js';
import { traceProvenance } from '../../src/dedup/provenance.js';
import type { Samples } from '../../src/model/samples.js';

const samples = (ts: number[]): Samples => ({ timestamps: Float64Array.from(ts), values: Float64Array.from(ts.map((t) => t / 1000)), stale: null });
const A = [{ name: 'replica', value: 'a' }];
const B = [{ name: 'replica', value: 'b' }];

describe('traceProvenance', () => {
  it('follows the penalty merge: spans, switches with the gap and the penalty in force', () => {
    // a: every 10 s with a gap 40–100 s and ending at 150 s; b: every 10 s from 5 s to 195 s.
    const a = [0, 10, 20, 30, 40, 100, 110, 120, 130, 140, 150].map((s) => s * 1000);
    const b = Array.from({ length: 20 }, (_, i) => (5 + 10 * i) * 1000);
    const merged = mergePenalty([samples(a), samples(b)], false);
    const p = traceProvenance([], [A, B], [Float64Array.from(a), Float64Array.from(b)], merged.timestamps, 'penalty');
    expect(p.spans.map((s) => [s.replica, s.start / 1000, s.end / 1000])).toEqual([
      [0, 0, 40],
      [1, 65, 195],
    ]);
    expect(p.switches).toEqual([{ at: 65_000, from: 0, to: 1, lastFrom: 40_000, nextFrom: 100_000, penaltyMs: 20_000 }]);
    expect(p.replicas.map((r) => [r.samplesIn, r.samplesUsed])).toEqual([
      [11, 5],
      [20, 14],
    ]);
    expect(p.spans.reduce((n, s) => n + s.samples, 0)).toBe(merged.timestamps.length);
  });

  it('prefers the current replica on equal timestamps, else the earlier one; no penalty for chain', () => {
    const t = Float64Array.from([0, 1000, 2000]);
    const p = traceProvenance([], [A, B], [t, t], t, 'chain');
    expect(p.spans).toEqual([{ replica: 0, start: 0, end: 2000, samples: 3 }]);
    const q = traceProvenance([], [A, B], [Float64Array.from([0]), Float64Array.from([0, 1000, 2000])], t, 'chain');
    expect(q.switches).toEqual([{ at: 1000, from: 0, to: 1, lastFrom: 0, nextFrom: null, penaltyMs: null }]);
  });

  it('reports the initial 5 s penalty for a switch right after the first sample', () => {
    const merged = Float64Array.from([0, 9000]);
    const p = traceProvenance([], [A, B], [Float64Array.from([0]), Float64Array.from([9000])], merged, 'penalty');
    expect(p.switches[0]!.penaltyMs).toBe(5000);
  });

  it('traces only from the asked window on (the stable merge reads further back)', () => {
    const a = [0, 10, 20, 30, 40, 100, 110, 120, 130, 140, 150].map((s) => s * 1000);
    const b = Array.from({ length: 20 }, (_, i) => (5 + 10 * i) * 1000);
    const merged = mergePenalty([samples(a), samples(b)], false);
    const p = traceProvenance([], [A, B], [Float64Array.from(a), Float64Array.from(b)], merged.timestamps, 'penalty', 100_000);
    // Nothing before 100 s: not the span of a, not the switch at 65 s.
    expect(p.spans.map((s) => [s.replica, s.start / 1000, s.end / 1000])).toEqual([[1, 105, 195]]);
    expect(p.switches).toEqual([]);
    expect(p.replicas.map((r) => [r.samplesIn, r.samplesUsed])).toEqual([
      [6, 0],
      [10, 10],
    ]);
  });
});
