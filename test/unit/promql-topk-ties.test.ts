/**
 * topk/bottomk tie-breaking: which of several equal values survives depends on Prometheus' heap
 * moves. 3.x replaces the heap top and runs heap.Fix; 2.x pops the top and pushes the newcomer
 * (k = 1 replaces in situ) and also evicts a NaN top for a NaN newcomer. Cases checked against
 * Prometheus 2.42 (test/integration/go-math.test.ts compares 10000 random tie patterns).
 */
import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../src/model/labels.js';
import { samplesFromArrays, type Series } from '../../src/model/samples.js';
import { MemoryQuerier } from '../support/memory-querier.js';
import { parseExpr } from '../../src/promql/parser.js';
import { runQuery } from '../../src/promql/eval/run.js';
import type { EngineOptions, PromQLCompat } from '../../src/promql/types.js';
import { kHeapPop, kHeapPush, type KItem } from '../../src/promql/eval/kheap.js';

const ENGINE: EngineOptions = { lookbackDelta: 300_000, defaultEvaluationInterval: 60_000, maxSamples: 50_000_000, enableExperimentalFunctions: true };

/** Series s="0".."n-1" (label order = input order) with one sample each at t = 0. */
function data(values: number[]): Series[] {
  return values.map((v, i) => ({ labels: labelsFromRecord({ __name__: 'm', s: String(i) }), samples: samplesFromArrays([0], [v], [0]) }));
}

async function kept(query: string, values: number[], compat: PromQLCompat): Promise<string[]> {
  const r = await runQuery({
    expr: parseExpr(query),
    query,
    start: 0,
    end: 0,
    step: 0,
    querier: new MemoryQuerier(data(values)),
    engine: ENGINE,
    options: { compat, lookbackDelta: 0, signal: new AbortController().signal },
    delayedNameRemoval: true,
  });
  if (r.value.type !== 'vector') throw new Error('expected a vector');
  return r.value.samples.map((s) => s.labels.find((l) => l.name === 's')!.value).sort();
}

describe('topk/bottomk ties per dialect', () => {
  it('topk(2) over 2,1,2,3: 2.x keeps the later 2, 3.x the first', async () => {
    expect(await kept('topk(2, m)', [2, 1, 2, 3], '2')).toEqual(['2', '3']);
    expect(await kept('topk(2, m)', [2, 1, 2, 3], '3')).toEqual(['0', '3']);
  });
  it('topk(2) over 1,2,2,3', async () => {
    expect(await kept('topk(2, m)', [1, 2, 2, 3], '2')).toEqual(['2', '3']);
    expect(await kept('topk(2, m)', [1, 2, 2, 3], '3')).toEqual(['1', '3']);
  });
  it('bottomk(2) over 2,3,2,1', async () => {
    expect(await kept('bottomk(2, m)', [2, 3, 2, 1], '2')).toEqual(['2', '3']);
    expect(await kept('bottomk(2, m)', [2, 3, 2, 1], '3')).toEqual(['0', '3']);
  });
  it('ties that both dialects resolve alike', async () => {
    for (const c of ['2', '3'] as const) {
      expect(await kept('topk(1, m)', [2, 2, 1], c)).toEqual(['0']);
      expect(await kept('topk(3, m)', [1, 1, 1], c)).toEqual(['0', '1', '2']);
    }
  });
  it('kHeapPop is container/heap.Pop', () => {
    const h: KItem[] = [];
    for (const [si, f] of [5, 1, 4, 2, 3].entries()) kHeapPush(h, { si, f }, false);
    const order: number[] = [];
    while (h.length > 0) {
      order.push(h[0]!.f);
      kHeapPop(h, false);
    }
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
