/**
 * Binary operators over whole grids. Label matching is resolved once per series (join signatures
 * as ordinals); only the per-step pairing runs inside the step loop.
 */
import type { BinaryExpr, VectorMatching } from '../ast.js';
import { formatLabels, getLabel, labelsKey, setLabel, METRIC_NAME, type Labels } from '../../model/labels.js';
import { PromQLError } from '../errors.js';
import { arith, compare, type ArithOp, type CompareOp } from '../functions/math.js';
import { newStepSeries, type StepSeries } from '../value.js';
import type { EvalContext } from './context.js';
import { dropMetadataLabels, dropName, mergeSameLabels, nonEmpty, SAME_LABELSET } from './series.js';

const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);

export function isComparison(op: string): op is CompareOp {
  return COMPARISONS.has(op);
}

/** scalar ∘ scalar; comparisons (always `bool` here) yield 0/1. */
export function scalarBinop(op: BinaryExpr['op'], a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  if (isComparison(op)) for (let i = 0; i < a.length; i++) out[i] = compare(op, a[i]!, b[i]!) ? 1 : 0;
  else for (let i = 0; i < a.length; i++) out[i] = arith(op as ArithOp, a[i]!, b[i]!);
  return out;
}

/** vector ∘ scalar (or scalar ∘ vector when `scalarLeft`). */
export function vectorScalarBinop(
  ctx: EvalContext,
  e: BinaryExpr,
  vec: readonly StepSeries[],
  sc: Float64Array,
  scalarLeft: boolean,
): StepSeries[] {
  const op = e.op;
  const cmp = isComparison(op);
  const out: StepSeries[] = [];
  let renamed = false;
  for (const s of vec) {
    const r = newStepSeries(s.labels, s.values.length, s.dropName);
    let any = false;
    for (let i = 0; i < s.values.length; i++) {
      if (s.present[i] === 0) continue;
      const v = s.values[i]!;
      const x = sc[i]!;
      const a = scalarLeft ? x : v;
      const b = scalarLeft ? v : x;
      if (cmp) {
        const keep = compare(op, a, b);
        if (e.returnBool) r.values[i] = keep ? 1 : 0;
        else if (keep) r.values[i] = v;
        else continue;
      } else r.values[i] = arith(op as ArithOp, a, b);
      r.present[i] = 1;
      any = true;
    }
    if (!any) continue;
    if (e.returnBool || changesName(ctx, op)) {
      dropName(ctx, r);
      renamed = true;
    }
    out.push(r);
  }
  return renamed && !ctx.delayedNameRemoval ? mergeSameLabels(out) : out;
}

/** Join signature of a series: the `on` labels, or all labels except `ignoring` ones and the name. */
function signatureFn(m: VectorMatching): (ls: Labels) => string {
  if (m.on) {
    const names = new Set(m.matchingLabels);
    return (ls) => {
      let k = '';
      for (const l of ls) if (names.has(l.name)) k += l.name + '\xff' + l.value + '\xfe';
      return k;
    };
  }
  const names = new Set([...m.matchingLabels, METRIC_NAME]);
  return (ls) => {
    let k = '';
    for (const l of ls) if (!names.has(l.name)) k += l.name + '\xff' + l.value + '\xfe';
    return k;
  };
}

function ordinals(lhs: readonly StepSeries[], rhs: readonly StepSeries[], m: VectorMatching) {
  const sig = signatureFn(m);
  const map = new Map<string, number>();
  const ord = (s: StepSeries) => {
    const k = sig(s.labels);
    let o = map.get(k);
    if (o === undefined) map.set(k, (o = map.size));
    return o;
  };
  const l = Int32Array.from(lhs, ord);
  const r = Int32Array.from(rhs, ord);
  return { l, r, count: map.size };
}

/** and / or / unless: many-to-many; series pass through unchanged. */
export function setBinop(e: BinaryExpr, lhs: StepSeries[], rhs: StepSeries[], n: number): StepSeries[] {
  const m = e.matching!;
  const { l, r, count } = ordinals(lhs, rhs, m);
  const stamp = new Int32Array(count).fill(-1);
  const out: StepSeries[] = [];
  const copy = (s: StepSeries) => newStepSeries(s.labels, n, s.dropName);
  if (e.op === 'or') {
    const lo = lhs.map(copy);
    const ro = rhs.map(copy);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < lhs.length; k++) {
        const s = lhs[k]!;
        if (s.present[i] === 0) continue;
        stamp[l[k]!] = i;
        lo[k]!.present[i] = 1;
        lo[k]!.values[i] = s.values[i]!;
      }
      for (let k = 0; k < rhs.length; k++) {
        const s = rhs[k]!;
        if (s.present[i] === 0 || stamp[r[k]!] === i) continue;
        ro[k]!.present[i] = 1;
        ro[k]!.values[i] = s.values[i]!;
      }
    }
    out.push(...lo, ...ro);
    return mergeSameLabels(nonEmpty(out));
  }
  const wantMatch = e.op === 'and';
  const lo = lhs.map(copy);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < rhs.length; k++) if (rhs[k]!.present[i] !== 0) stamp[r[k]!] = i;
    for (let k = 0; k < lhs.length; k++) {
      const s = lhs[k]!;
      if (s.present[i] === 0) continue;
      if ((stamp[l[k]!] === i) !== wantMatch) continue;
      lo[k]!.present[i] = 1;
      lo[k]!.values[i] = s.values[i]!;
    }
  }
  return nonEmpty(lo);
}

const CHANGES_SCHEMA = new Set(['+', '-', '*', '/', '%', '^', 'atan2']);

/** Arithmetic drops `__name__`; 2.x kept it for atan2. */
function changesName(ctx: EvalContext, op: string): boolean {
  return CHANGES_SCHEMA.has(op) && !(op === 'atan2' && ctx.compat === '2');
}

/** Arithmetic and comparison between two vectors: one-to-one, many-to-one, one-to-many. */
export function vectorBinop(ctx: EvalContext, e: BinaryExpr, lhsIn: StepSeries[], rhsIn: StepSeries[], n: number): StepSeries[] {
  const m = e.matching!;
  const op = e.op;
  const cmp = isComparison(op);
  // One-to-many is evaluated as many-to-one with the sides swapped, as Prometheus does.
  const swapped = m.card === 'one-to-many';
  const many = swapped ? rhsIn : lhsIn;
  const one = swapped ? lhsIn : rhsIn;
  const ords = ordinals(many, one, m);
  const manySig = ords.l;
  const oneSig = ords.r;
  const oneAt = new Int32Array(ords.count);
  const oneStamp = new Int32Array(ords.count).fill(-1);
  const matchedStamp = new Int32Array(ords.count).fill(-1);
  const dropsName = changesName(ctx, op);

  const out: StepSeries[] = [];
  const outStamp: number[] = [];
  const outSig: number[] = [];
  const byPair = new Map<number, number>();
  const byLabels = new Map<string, number>();
  const pairStride = one.length + 1;

  const resultIndex = (mi: number, oi: number): number => {
    const pk = mi * pairStride + oi;
    let idx = byPair.get(pk);
    if (idx !== undefined) return idx;
    const s = many[mi]!;
    let ls = resultLabels(s.labels, one[oi]!.labels, m, dropsName);
    // `bool` drops the name right away (without delayed removal): results of differently named
    // inputs are one series then, at different steps (at the same step Prometheus fails below).
    if (e.returnBool && !ctx.delayedNameRemoval) ls = dropMetadataLabels(ls);
    const key = labelsKey(ls);
    idx = byLabels.get(key);
    if (idx === undefined) {
      idx = out.length;
      byLabels.set(key, idx);
      // Prometheus clears a pending name removal here unless `bool` asks for one.
      const r = newStepSeries(ls, n, e.returnBool && ctx.delayedNameRemoval);
      out.push(r);
      outStamp.push(-1);
      outSig.push(-1);
    }
    byPair.set(pk, idx);
    return idx;
  };

  // 2.x filters a comparison's dropped samples before the match-group checks; since 3.8
  // Prometheus checks cardinality first, so a filter cannot hide a many-to-many match.
  const filterFirst = ctx.compat === '2';
  for (let i = 0; i < n; i++) {
    // Prometheus returns early when either side has no sample at this step, before any check.
    if (!anyPresent(many, i) || !anyPresent(one, i)) continue;
    for (let k = 0; k < one.length; k++) {
      const s = one[k]!;
      if (s.present[i] === 0) continue;
      const sig = oneSig[k]!;
      if (oneStamp[sig] === i) {
        const other = one[oneAt[sig]!]!;
        throw new PromQLError(
          'execution',
          `found duplicate series for the match group ${formatLabels(matchLabels(s.labels, m))} on the ${swapped ? 'left' : 'right'} hand-side of the operation: [${formatLabels(s.labels)}, ${formatLabels(other.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      oneStamp[sig] = i;
      oneAt[sig] = k;
    }
    for (let k = 0; k < many.length; k++) {
      const s = many[k]!;
      if (s.present[i] === 0) continue;
      const sig = manySig[k]!;
      if (oneStamp[sig] !== i) continue;
      const oi = oneAt[sig]!;
      const o = one[oi]!;
      const lv = swapped ? o.values[i]! : s.values[i]!;
      const rv = swapped ? s.values[i]! : o.values[i]!;
      let value: number;
      let keep = true;
      if (cmp) {
        keep = compare(op, lv, rv);
        value = e.returnBool ? (keep ? 1 : 0) : lv;
      } else value = arith(op as ArithOp, lv, rv);
      if (filterFirst && !keep && !e.returnBool) continue;
      const idx = resultIndex(k, oi);
      if (m.card === 'one-to-one') {
        if (matchedStamp[sig] === i) {
          throw new PromQLError('execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        }
        matchedStamp[sig] = i;
      } else if (outStamp[idx] === i && outSig[idx] === sig) {
        throw new PromQLError('execution', 'multiple matches for labels: grouping labels must ensure unique matches');
      }
      const r = out[idx]!;
      if (outStamp[idx] === i && r.present[i] !== 0 && (keep || e.returnBool)) throw new PromQLError('execution', SAME_LABELSET);
      outStamp[idx] = i;
      outSig[idx] = sig;
      if (!keep && !e.returnBool) continue;
      r.values[i] = value;
      r.present[i] = 1;
    }
  }
  return nonEmpty(out);
}

function anyPresent(series: readonly StepSeries[], i: number): boolean {
  for (const s of series) if (s.present[i] !== 0) return true;
  return false;
}

function matchLabels(ls: Labels, m: VectorMatching): Labels {
  const names = new Set(m.matchingLabels);
  if (m.on) return ls.filter((l) => names.has(l.name));
  return ls.filter((l) => !names.has(l.name) && l.name !== METRIC_NAME);
}

/** Prometheus resultMetric: the "many" side's labels, reduced for one-to-one, plus group_x labels. */
function resultLabels(manyLs: Labels, oneLs: Labels, m: VectorMatching, dropsName: boolean): Labels {
  let ls: Labels = dropsName ? dropMetadataLabels(manyLs) : manyLs;
  if (m.card === 'one-to-one') {
    const names = new Set(m.matchingLabels);
    ls = m.on ? ls.filter((l) => names.has(l.name)) : ls.filter((l) => !names.has(l.name));
  }
  for (const name of m.include) ls = setLabel(ls, name, getLabel(oneLs, name));
  return ls;
}
