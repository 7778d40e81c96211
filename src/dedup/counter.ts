/**
 * Counter mode of the deduplication (Thanos `isCounter` + the NaN filtering its counter path does).
 *
 * When a select feeds rate, irate, increase or resets, Thanos reads every replica through
 * `ApplyCounterResetsIterator`, which skips NaN samples (staleness markers included), and wraps each
 * replica in `counterErrAdjustSeriesIterator` so that a replica switch never lowers the counter.
 * We do the NaN filtering and the switch adjustment (in the merge kernels, `counter` flag), but NOT the
 * reset rewriting of ApplyCounterResetsIterator: it makes every counter monotonic and so breaks
 * `resets()` (Thanos issue #3644). Genuine resets inside one replica reach PromQL intact.
 */
import type { Samples } from '../model/samples.js';

const COUNTER_FUNCS: ReadonlySet<string> = new Set(['rate', 'irate', 'increase', 'resets']);

/** True when the PromQL function a select feeds turns on counter adjustment (Thanos `isCounter`). */
export function isCounterFunc(func: string): boolean {
  return COUNTER_FUNCS.has(func);
}

/** The samples without NaN values (staleness markers included); the same object when there is none. */
export function dropNaN(s: Samples): Samples {
  const v = s.values;
  const n = v.length;
  let first = 0;
  while (first < n && v[first] === v[first]) first++;
  if (first === n) return s;
  const t = s.timestamps;
  const ot = new Float64Array(n);
  const ov = new Float64Array(n);
  ot.set(t.subarray(0, first));
  ov.set(v.subarray(0, first));
  let o = first;
  for (let i = first + 1; i < n; i++) {
    const x = v[i]!;
    if (x !== x) continue;
    ot[o] = t[i]!;
    ov[o] = x;
    o++;
  }
  return { timestamps: ot.slice(0, o), values: ov.slice(0, o), stale: null };
}
