/**
 * limit_ratio(r, v) (experimental): keeps each series whose label hash falls in the sampled part of
 * [0, 1), so the choice is stable across steps and queries (Prometheus AddRatioSample). r > 0
 * keeps offsets below r, r < 0 the complement-style tail at or above 1 + r.
 */
import type { AggregateExpr } from '../ast.js';
import type { Labels } from '../../model/labels.js';
import { PromQLError } from '../errors.js';
import { xxhash64 } from '../functions/xxhash64.js';
import { newStepSeries, type StepSeries } from '../value.js';
import { annotationText } from './annotations.js';
import type { EvalContext } from './context.js';

const encoder = new TextEncoder();
const TWO_64 = 18446744073709551616; // float64(math.MaxUint64) rounds to 2^64

/** Prometheus labels.Hash: XXH64 of name 0xff value 0xff … over the sorted labels. */
function labelsHash(ls: Labels): bigint {
  const parts: Uint8Array[] = [];
  let len = 0;
  const sep = Uint8Array.of(0xff);
  for (const l of ls) {
    for (const p of [encoder.encode(l.name), sep, encoder.encode(l.value), sep]) {
      parts.push(p);
      len += p.length;
    }
  }
  const buf = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    buf.set(p, off);
    off += p.length;
  }
  return xxhash64(buf);
}

/** The series' position in [0, 1]: float64(hash) / float64(MaxUint64), rounded as Go does. */
export function sampleOffset(ls: Labels): number {
  return Number(labelsHash(ls)) / TWO_64;
}

export function ratioIncludes(ratio: number, offset: number): boolean {
  return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1 + ratio);
}

export function limitRatio(ctx: EvalContext, e: AggregateExpr, input: StepSeries[], param: Float64Array, n: number): StepSeries[] {
  // Prometheus checks the parameter over all steps before looking at the input: all-zero means
  // no output, any NaN fails even when the input is empty.
  if (param.every((r) => r === 0)) return [];
  if (param.some((r) => r !== r)) throw new PromQLError('execution', 'Ratio value is NaN');
  // One warning for the largest ratio above 1 and one for the smallest below −1 (not one per step).
  let max = -Infinity;
  let min = Infinity;
  for (const r of param) {
    if (r > max) max = r;
    if (r < min) min = r;
  }
  if (max > 1) ctx.annotations.warn(annotationText.invalidRatio(max, 1), e.param!.pos);
  if (min < -1) ctx.annotations.warn(annotationText.invalidRatio(min, -1), e.param!.pos);
  const ratios = param.map((r) => (r < -1 ? -1 : r > 1 ? 1 : r));
  const out: StepSeries[] = [];
  for (const s of input) {
    const offset = sampleOffset(s.labels);
    let r: StepSeries | null = null;
    for (let i = 0; i < n; i++) {
      if (s.present[i] === 0 || ratios[i] === 0 || !ratioIncludes(ratios[i]!, offset)) continue;
      r ??= newStepSeries(s.labels, n, s.dropName);
      r.values[i] = s.values[i]!;
      r.present[i] = 1;
    }
    if (r !== null) out.push(r);
  }
  return out;
}
