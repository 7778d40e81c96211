/** Time grids of subqueries and the time references of selectors, shared by planning and evaluation. */
import type { SubqueryExpr } from '../ast.js';
import type { PromQLCompat } from '../types.js';
import { makeGrid, type Grid } from '../value.js';

/**
 * The inner grid of a subquery evaluated for all steps of `outer`: absolute multiples of the step,
 * first point > (3.x) or >= (2.x) outer start - offset - range, last point <= outer end - offset.
 */
export function subqueryGrid(
  sq: SubqueryExpr,
  outer: Grid,
  at: number | null,
  defaultStep: number,
  compat: PromQLCompat,
): Grid {
  const step = sq.step > 0 ? sq.step : defaultStep;
  const from = (at ?? outer.start) - sq.offset - sq.range;
  const end = (at ?? outer.end) - sq.offset;
  const start = compat === '2' ? Math.ceil(from / step) * step : Math.floor(from / step) * step + step;
  return makeGrid(start, end, step);
}

/** Earliest and latest reference time (`T - offset`, or the pinned `@` time) over a grid. */
export function refRange(grid: Grid, offset: number, at: number | null): [number, number] {
  if (at !== null) return [at - offset, at - offset];
  return [grid.start - offset, grid.end - offset];
}
