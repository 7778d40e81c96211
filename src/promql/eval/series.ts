/** Label bookkeeping on step series shared by operators and functions. */
import { labelsKey, METRIC_NAME, type Labels } from '../../model/labels.js';
import { PromQLError } from '../errors.js';
import type { StepSeries } from '../value.js';
import type { EvalContext } from './context.js';

export const SAME_LABELSET = 'vector cannot contain metrics with the same labelset';

/**
 * Prometheus DropReserved(schema.IsMetadataLabel): wherever `__name__` goes, the type-and-unit
 * metadata labels `__type__` and `__unit__` go with it (they describe the metric, not the series).
 * Returns `ls` itself when there is nothing to drop.
 */
export function dropMetadataLabels(ls: Labels): Labels {
  let i = 0;
  while (i < ls.length && !isMetadataLabel(ls[i]!.name)) i++;
  if (i === ls.length) return ls;
  return ls.filter((l) => !isMetadataLabel(l.name));
}

function isMetadataLabel(name: string): boolean {
  return name.charCodeAt(0) === 95 && (name === METRIC_NAME || name === '__type__' || name === '__unit__');
}

/** Marks `__name__` for removal: at the end with delayed name removal, otherwise right away. */
export function dropName(ctx: EvalContext, s: StepSeries): void {
  if (ctx.delayedNameRemoval) s.dropName = true;
  else s.labels = dropMetadataLabels(s.labels);
}

/**
 * Merges series whose label sets became equal (after name removal or relabelling). They may share
 * a label set as long as they never have a sample at the same step; otherwise Prometheus fails.
 */
export function mergeSameLabels(series: StepSeries[]): StepSeries[] {
  if (series.length < 2) return series;
  const byKey = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  let merged = false;
  for (const s of series) {
    const key = labelsKey(s.labels);
    const prev = byKey.get(key);
    if (prev === undefined) {
      byKey.set(key, s);
      out.push(s);
      continue;
    }
    merged = true;
    const p = s.present;
    for (let i = 0; i < p.length; i++) {
      if (p[i] === 0) continue;
      if (prev.present[i] !== 0) throw new PromQLError('execution', SAME_LABELSET);
      prev.present[i] = 1;
      prev.values[i] = s.values[i]!;
    }
    prev.dropName = prev.dropName || s.dropName;
  }
  return merged ? out : series;
}

/**
 * Where Prometheus 2.x checked a whole matrix rather than each step (range-vector functions and
 * unary minus: `ContainsSameLabelset` on the result), two series with equal labels fail even when
 * they never share a step. 3.x merges them as mergeSameLabels does.
 */
export function mergeSameLabelsMatrix(ctx: EvalContext, series: StepSeries[]): StepSeries[] {
  if (ctx.compat !== '2') return mergeSameLabels(series);
  if (series.length < 2) return series;
  const seen = new Set<string>();
  for (const s of series) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) throw new PromQLError('execution', SAME_LABELSET);
    seen.add(key);
  }
  return series;
}

/** Drops series that ended up with no sample at any step. */
export function nonEmpty(series: StepSeries[]): StepSeries[] {
  return series.filter((s) => s.present.indexOf(1) !== -1);
}

export function presentTotal(series: readonly StepSeries[]): number {
  let n = 0;
  for (const s of series) {
    const p = s.present;
    for (let i = 0; i < p.length; i++) n += p[i]!;
  }
  return n;
}
