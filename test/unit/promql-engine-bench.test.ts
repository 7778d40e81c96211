import { expect, it } from 'vitest';
import { labelsFromRecord } from '../../src/model/labels.js';
import type { Series } from '../../src/model/samples.js';
import { MemoryQuerier } from '../support/memory-querier.js';
import { runQuery } from '../../src/promql/eval/run.js';
import type { Expr } from '../../src/promql/ast.js';
import { agg, call, mat, sel } from './promql-engine-ast.js';

/** 1000 counters × 1h of 15s samples, evaluated over that hour at a 15s step. */
function data(): Series[] {
  const n = 241;
  const out: Series[] = [];
  for (let s = 0; s < 1000; s++) {
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = i * 15_000;
      v[i] = i * (s % 7 + 1);
    }
    out.push({ labels: labelsFromRecord({ __name__: 'metric', x: String(s % 10), i: String(s) }), samples: { timestamps: t, values: v, stale: null } });
  }
  return out;
}

it('range query over 1000 series × 1h at 15s step takes a few ms', async () => {
  const q = new MemoryQuerier(data());
  const run = (expr: Expr) =>
    runQuery({
      expr,
      query: '',
      start: 0,
      end: 3_600_000,
      step: 15_000,
      querier: q,
      engine: { lookbackDelta: 300_000, defaultEvaluationInterval: 60_000, maxSamples: 50_000_000, enableExperimentalFunctions: false },
      options: { compat: '3', lookbackDelta: 0, signal: new AbortController().signal },
      delayedNameRemoval: true,
    });
  const cases: [string, Expr][] = [
    ['metric', sel('metric')],
    ['rate(metric[5m])', call('rate', mat(sel('metric'), 300_000))],
    ['sum by (x) (rate(metric[5m]))', agg('sum', call('rate', mat(sel('metric'), 300_000)), ['x'])],
  ];
  for (const [name, e] of cases) {
    for (let w = 0; w < 3; w++) await run(e);
    const reps = 10;
    const t0 = performance.now();
    let r;
    for (let k = 0; k < reps; k++) r = await run(e);
    const ms = (performance.now() - t0) / reps;
    console.log(`${name}: ${ms.toFixed(2)} ms/query`);
    expect(r!.value.type).toBe('matrix');
  }
});
