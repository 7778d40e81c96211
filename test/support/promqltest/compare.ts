/** Result comparison of the reference runner: labels exact, values within relative tolerance. */
import { compareLabels, formatLabels, labelsKey } from '../../../src/model/labels.js';
import type { QueryValue } from '../../../src/promql/types.js';
import type { EvalCmd, ExpectedSeries, SeqValue } from './types.js';

const EPSILON = 1e-6;
const MIN_NORMAL = 2.2250738585072014e-308;

/** The reference's `almost.Equal`: NaN equals NaN; zero needs a (near-)exact match. */
export function almostEqual(a: number, b: number, epsilon = EPSILON): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** A staleness marker in an expectation never equals a float result (results carry no markers). */
function expectedEquals(e: SeqValue, actual: number): boolean {
  return e.kind === 'value' && almostEqual(e.v, actual);
}

function fmtSeq(e: SeqValue | undefined): string {
  if (!e) return '<none>';
  return e.kind === 'value' ? String(e.v) : e.kind;
}

function fmtPoints(ts: ArrayLike<number>, vs: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < ts.length && i < 12; i++) parts.push(`${vs[i]} @${ts[i]}`);
  if (ts.length > 12) parts.push('…');
  return `[${parts.join(', ')}]`;
}

/** Compares a query value with the eval's expectations; returns a diff message or null. */
export function compareResult(cmd: EvalCmd, value: QueryValue, ordered: boolean): string | null {
  const byKey = new Map<string, ExpectedSeries>();
  for (const e of cmd.expected) byKey.set(labelsKey(e.labels), e);
  const expectScalar = cmd.expectedScalar !== null;
  switch (value.type) {
    case 'matrix': {
      if (ordered) return 'expected ordered result, but query returned a matrix';
      if (expectScalar) return 'expected scalar result, but got matrix';
      for (let i = 1; i < value.series.length; i++) {
        if (compareLabels(value.series[i - 1]!.labels, value.series[i]!.labels) > 0) {
          return `matrix not sorted: ${formatLabels(value.series[i]!.labels)} after ${formatLabels(value.series[i - 1]!.labels)}`;
        }
      }
      const seen = new Set<string>();
      for (const s of value.series) {
        const key = labelsKey(s.labels);
        const exp = byKey.get(key);
        const name = formatLabels(s.labels);
        if (!exp) return `unexpected metric ${name} in result, has ${fmtPoints(s.timestamps, s.values)}`;
        seen.add(key);
        const expT: number[] = [];
        const expV: SeqValue[] = [];
        for (let i = 0; i < exp.values.length; i++) {
          const t = cmd.start + i * cmd.step;
          if (t > cmd.end) return `expected ${exp.values.length} points for ${name}, but query time range cannot return this many points`;
          if (exp.values[i]!.kind !== 'omitted') {
            expT.push(t);
            expV.push(exp.values[i]!);
          }
        }
        if (expT.length !== s.timestamps.length) {
          return `expected ${expT.length} points for ${name}, but got ${s.timestamps.length}: ${fmtPoints(s.timestamps, s.values)}`;
        }
        for (let i = 0; i < expT.length; i++) {
          if (expT[i] !== s.timestamps[i]) {
            return `point ${i} of ${name}: expected timestamp ${expT[i]}, got ${s.timestamps[i]} (result has ${fmtPoints(s.timestamps, s.values)})`;
          }
          if (!expectedEquals(expV[i]!, s.values[i]!)) {
            return `point ${i} (t=${expT[i]}) of ${name}: expected ${fmtSeq(expV[i])}, got ${s.values[i]} (result has ${fmtPoints(s.timestamps, s.values)})`;
          }
        }
      }
      for (const [key, e] of byKey) if (!seen.has(key)) return `expected metric ${formatLabels(e.labels)} not found`;
      return null;
    }
    case 'vector': {
      if (expectScalar) return `expected scalar result, but got vector of ${value.samples.length}`;
      const seen = new Set<string>();
      for (let pos = 0; pos < value.samples.length; pos++) {
        const s = value.samples[pos]!;
        const key = labelsKey(s.labels);
        const exp = byKey.get(key);
        if (!exp) return `unexpected metric ${formatLabels(s.labels)} in result, has value ${s.v}`;
        if (ordered && exp.pos !== pos + 1) {
          return `expected metric ${formatLabels(s.labels)} at position ${exp.pos} but was at ${pos + 1}`;
        }
        const e0 = exp.values[0];
        if (!e0 || !expectedEquals(e0, s.v)) return `expected ${fmtSeq(e0)} for ${formatLabels(s.labels)} but got ${s.v}`;
        seen.add(key);
      }
      for (const [key, e] of byKey) {
        if (!seen.has(key)) return `expected metric ${formatLabels(e.labels)} with ${fmtSeq(e.values[0])} not found`;
      }
      return null;
    }
    case 'scalar':
      if (!expectScalar) return `expected vector or matrix result, but got scalar ${value.v}`;
      return almostEqual(cmd.expectedScalar!, value.v) ? null : `expected scalar ${cmd.expectedScalar} but got ${value.v}`;
    case 'string': {
      const want = cmd.expectedString ?? '';
      return want === value.v ? null : `expected string ${JSON.stringify(want)} but got ${JSON.stringify(value.v)}`;
    }
  }
}
