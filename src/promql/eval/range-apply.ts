/**
 * Applies a range-vector kernel at every step: per series, the window indices move forward once
 * across all steps (window ends never go back in time).
 */
import { getLabel, METRIC_NAME } from '../../model/labels.js';
import { ResetIndex } from '../functions/reset-index.js';
import type { Window } from '../functions/window.js';
import { gridTime, newStepSeries, type Grid, type RangeInput, type StepSeries } from '../value.js';
import { checkAbort, holdSamples, type EvalContext } from './context.js';
import { dropMetadataLabels, mergeSameLabelsMatrix } from './series.js';

/** Samples a kernel may read between two deadline checks (a few ms of work). */
const ABORT_CHECK_WORK = 1 << 20;

/** Kernel for one window; `step` indexes per-step scalar arguments. */
export type RangeKernel = (w: Window, step: number) => number | null;

interface MutableWindow {
  t: Float64Array;
  v: Float64Array;
  from: number;
  to: number;
  rangeStart: number;
  rangeEnd: number;
  evalTime: number;
  readonly resets: ResetIndex;
}

export function applyRangeKernel(
  ctx: EvalContext,
  input: RangeInput,
  grid: Grid,
  keepName: boolean,
  kernel: RangeKernel,
  onSeries?: (labels: StepSeries['labels'], produced: boolean) => void,
  movingAt = false,
): StepSeries[] {
  const closed = ctx.compat === '2';
  // Prometheus quirk (2.42 and 3.x, see step-invariant.ts): a call that is not step invariant, over a range
  // with `@ t`, has its window pinned at t only at the first step of the grid; then it moves on with
  // the step (the `@` became an offset relative to the grid start), while the data were only fetched
  // up to t − offset, so later steps see what is left of the window, mostly nothing.
  const moving = movingAt && input.at !== null;
  const dataEnd = moving ? input.at! - input.offset : Infinity;
  const out: StepSeries[] = [];
  let held = 0;
  const resets = new ResetIndex();
  // Kernels cost O(window) per step, so windows × steps is unbounded (think x[1d:1ms] inside
  // another subquery): check the deadline by work done, not only per series.
  let budget = ABORT_CHECK_WORK;
  for (const s of input.series) {
    checkAbort(ctx);
    resets.reset(s.v);
    const w: MutableWindow = { t: s.t, v: s.v, from: 0, to: 0, rangeStart: 0, rangeEnd: 0, evalTime: 0, resets };
    const t = s.t;
    const len = t.length;
    let from = 0;
    let to = 0;
    let r: StepSeries | null = null;
    for (let i = 0; i < grid.n; i++) {
      const T = gridTime(grid, i);
      const ref = moving ? input.at! + (T - grid.start) - input.offset : (input.at ?? T) - input.offset;
      const lo = ref - input.range;
      if (closed) while (from < len && t[from]! < lo) from++;
      else while (from < len && t[from]! <= lo) from++;
      if (to < from) to = from;
      while (to < len && t[to]! <= ref && t[to]! <= dataEnd) to++;
      if (to === from) continue;
      budget -= to - from;
      if (budget < 0) {
        checkAbort(ctx);
        budget = ABORT_CHECK_WORK;
      }
      w.from = from;
      w.to = to;
      w.rangeStart = ref - input.range;
      w.rangeEnd = ref;
      w.evalTime = T;
      const v = kernel(w, i);
      if (v === null) continue;
      if (r === null) {
        r = newStepSeries(s.labels, grid.n, s.dropName);
        if (!keepName) {
          if (ctx.delayedNameRemoval) r.dropName = true;
          else r.labels = dropMetadataLabels(r.labels);
        }
      }
      r.values[i] = v;
      r.present[i] = 1;
      held++;
    }
    if (onSeries) onSeries(s.dropName ? [] : s.labels, r !== null);
    if (r !== null) out.push(r);
  }
  holdSamples(ctx, held);
  return !keepName && !ctx.delayedNameRemoval ? mergeSameLabelsMatrix(ctx, out) : out;
}

const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

/** The name of a series that rate()/increase() should warn about, or ''. */
export function nonCounterName(labels: StepSeries['labels']): string {
  const name = getLabel(labels, METRIC_NAME);
  if (name === '' || COUNTER_SUFFIXES.some((s) => name.endsWith(s))) return '';
  return name;
}
