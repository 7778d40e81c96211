/**
 * The evaluator's working values. Every node is evaluated once over a whole time grid (Prometheus'
 * rangeEval), so an instant vector is held as series of per-step columns, not as one vector per step.
 */
import type { Labels } from '../model/labels.js';

/** Evaluation timestamps start, start+step, … ≤ end (ms); n points. An instant query has n = 1. */
export interface Grid {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly n: number;
}

export function makeGrid(start: number, end: number, step: number): Grid {
  const n = end < start ? 0 : Math.floor((end - start) / step) + 1;
  return { start, end, step: step > 0 ? step : 1, n };
}

export function gridTime(g: Grid, i: number): number {
  return g.start + i * g.step;
}

/**
 * One output series of an instant-vector node over all steps: `present[i]` says whether the series
 * has a sample at step i (NaN is a legal value, so absence needs its own flag).
 * `dropName` is Prometheus' delayed name removal: `__name__` is still in `labels` but goes at the end.
 */
export interface StepSeries {
  labels: Labels;
  readonly values: Float64Array;
  readonly present: Uint8Array;
  dropName: boolean;
}

/**
 * Step columns are carved out of shared slabs: one small typed-array allocation per series costs
 * more than the evaluation itself at thousands of series.
 */
const SLAB = 1 << 16;
let valueSlab = new Float64Array(SLAB);
let valueUsed = 0;
let presentSlab = new Uint8Array(SLAB);
let presentUsed = 0;

function takeValues(n: number): Float64Array {
  if (n > SLAB / 8) return new Float64Array(n);
  if (valueUsed + n > SLAB) {
    valueSlab = new Float64Array(SLAB);
    valueUsed = 0;
  }
  const a = valueSlab.subarray(valueUsed, valueUsed + n);
  valueUsed += n;
  return a;
}

function takePresent(n: number): Uint8Array {
  if (n > SLAB / 8) return new Uint8Array(n);
  if (presentUsed + n > SLAB) {
    presentSlab = new Uint8Array(SLAB);
    presentUsed = 0;
  }
  const a = presentSlab.subarray(presentUsed, presentUsed + n);
  presentUsed += n;
  return a;
}

export function newStepSeries(labels: Labels, n: number, dropName = false): StepSeries {
  return { labels, values: takeValues(n), present: takePresent(n), dropName };
}

/** Samples of one series as a range function sees them: staleness markers already removed. */
export interface RangeSeries {
  readonly labels: Labels;
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly dropName: boolean;
}

/**
 * A range vector ready for windowing: for step time T the window ends at `(at ?? T) - offset` and
 * spans `range` ms before that.
 */
export interface RangeInput {
  readonly series: RangeSeries[];
  readonly range: number;
  readonly offset: number;
  readonly at: number | null;
}

export type EvalValue =
  | { readonly kind: 'scalar'; readonly values: Float64Array }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'vector'; readonly series: StepSeries[] };
