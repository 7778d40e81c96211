import type { ResetIndex } from './reset-index.js';

/**
 * The samples of one series inside one range-selector window: indices [from, to) of the series'
 * columns, with staleness markers already removed. Range-function kernels read only this.
 */
export interface Window {
  readonly t: Float64Array;
  readonly v: Float64Array;
  readonly from: number;
  readonly to: number;
  /** Window bounds in ms after offset/@: samples lie in (rangeStart, rangeEnd] (3.x). */
  readonly rangeStart: number;
  readonly rangeEnd: number;
  /** The evaluation step's timestamp in ms (predict_linear's intercept time). */
  readonly evalTime: number;
  /** Counter-reset index over this series' `v` (built on first use). */
  readonly resets: ResetIndex;
}
