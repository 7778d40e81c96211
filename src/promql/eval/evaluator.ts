/**
 * The node-at-a-time evaluator: each AST node is evaluated once over its whole time grid and hands
 * columnar step series to its parent (Prometheus' rangeEval, without per-step re-walks).
 */
import { exprType, type AggregateExpr, type BinaryExpr, type Call, type Expr, type SubqueryExpr } from '../ast.js';
import { PromQLError } from '../errors.js';
import { gridTime, newStepSeries, type EvalValue, type Grid, type RangeInput, type RangeSeries, type StepSeries } from '../value.js';
import { evalAggregation } from './aggregate.js';
import { isComparison, scalarBinop, setBinop, vectorBinop, vectorScalarBinop } from './binary.js';
import { tooManySamples, checkAbort, holdSamples, releaseSamples, resolveAt, type EvalContext } from './context.js';
import { FUNCTION_IMPLS } from './functions.js';
import { validLabelName } from '../functions/labels.js';
import { subqueryGrid } from './grid.js';
import { evalVectorSelector, rangeInputFromSelector } from './selector.js';
import { dropName, mergeSameLabelsMatrix, presentTotal } from './series.js';
import { isStepInvariant, markMovingSelectors } from './step-invariant.js';
import { unwrapParens, type NodeEvaluator } from './types.js';
import type { EvalProfile } from '../explain.js';

export class Evaluator implements NodeEvaluator {
  /** analyze=true: inclusive time and output samples per node. */
  constructor(
    readonly ctx: EvalContext,
    private readonly profile: EvalProfile | null = null,
  ) {}

  eval(e: Expr, grid: Grid): EvalValue {
    if (this.profile === null) return this.evalNode(e, grid);
    const started = performance.now();
    const v = this.evalNode(e, grid);
    const ms = performance.now() - started;
    const prev = this.profile.get(e);
    const samples = outputSamples(v);
    // A node evaluated more than once (it cannot be today) would add up.
    this.profile.set(e, prev === undefined ? { ms, samples } : { ms: prev.ms + ms, samples: prev.samples + samples });
    return v;
  }

  private evalNode(e: Expr, grid: Grid): EvalValue {
    checkAbort(this.ctx);
    switch (e.kind) {
      case 'NumberLiteral':
        return { kind: 'scalar', values: new Float64Array(grid.n).fill(e.value) };
      case 'StringLiteral':
        return { kind: 'string', value: e.value };
      case 'ParenExpr':
        return this.eval(e.expr, grid);
      case 'VectorSelector':
        return { kind: 'vector', series: evalVectorSelector(this.ctx, e, grid) };
      case 'MatrixSelector':
      case 'SubqueryExpr':
        throw new PromQLError('execution', `unexpected range vector ${e.kind} outside a function`);
      case 'UnaryExpr':
        return this.unary(e.op, e.expr, grid);
      case 'BinaryExpr':
        return this.binary(e, grid);
      case 'AggregateExpr':
        return { kind: 'vector', series: this.aggregate(e, grid) };
      case 'Call':
        return this.call(e, grid);
    }
  }

  vector(e: Expr, grid: Grid): StepSeries[] {
    const v = this.eval(e, grid);
    if (v.kind !== 'vector') throw new PromQLError('execution', `expected instant vector, got ${v.kind}`);
    return v.series;
  }

  scalar(e: Expr, grid: Grid): Float64Array {
    const v = this.eval(e, grid);
    if (v.kind !== 'scalar') throw new PromQLError('execution', `expected scalar, got ${v.kind}`);
    return v.values;
  }

  string(e: Expr): string {
    const s = unwrapParens(e);
    if (s.kind !== 'StringLiteral') throw new PromQLError('execution', 'expected string literal');
    return s.value;
  }

  range(e: Expr, grid: Grid): RangeInput {
    const r = unwrapParens(e);
    if (r.kind === 'MatrixSelector') return rangeInputFromSelector(this.ctx, r);
    if (r.kind === 'SubqueryExpr') return this.subquery(r, grid);
    throw new PromQLError('execution', `expected range vector, got ${exprType(r)}`);
  }

  /** Evaluates the inner expression once on the subquery's aligned grid covering all outer steps. */
  subquery(sq: SubqueryExpr, grid: Grid): RangeInput {
    const at = resolveAt(sq.at, this.ctx);
    const inner = subqueryGrid(sq, grid, at, this.ctx.defaultEvalInterval, this.ctx.compat);
    // Every inner step holds at least one sample per series: refuse grids that can't fit at all.
    if (inner.n > this.ctx.maxSamples) throw tooManySamples();
    const v = inner.n === 0 ? ({ kind: 'vector', series: [] } as EvalValue) : this.eval(sq.expr, inner);
    let stepSeries: StepSeries[];
    if (v.kind === 'scalar') {
      const s = newStepSeries([], inner.n);
      s.values.set(v.values);
      s.present.fill(1);
      stepSeries = [s];
    } else if (v.kind === 'vector') stepSeries = v.series;
    else throw new PromQLError('execution', 'subquery of a string');
    const series: RangeSeries[] = stepSeries.map((s) => {
      let n = 0;
      for (let i = 0; i < inner.n; i++) n += s.present[i]!;
      const t = new Float64Array(n);
      const vals = new Float64Array(n);
      for (let i = 0, k = 0; i < inner.n; i++) {
        if (s.present[i] === 0) continue;
        t[k] = gridTime(inner, i);
        vals[k++] = s.values[i]!;
      }
      return { labels: s.labels, t, v: vals, dropName: s.dropName };
    });
    return { series, range: sq.range, offset: sq.offset, at };
  }

  private unary(op: '+' | '-', inner: Expr, grid: Grid): EvalValue {
    const v = this.eval(inner, grid);
    if (op === '+') return v;
    if (v.kind === 'scalar') return { kind: 'scalar', values: v.values.map((x) => -x) };
    if (v.kind !== 'vector') throw new PromQLError('execution', 'unary minus on a string');
    const out = v.series.map((s) => {
      const r = newStepSeries(s.labels, grid.n, s.dropName);
      r.present.set(s.present);
      for (let i = 0; i < grid.n; i++) r.values[i] = -s.values[i]!;
      dropName(this.ctx, r);
      return r;
    });
    return { kind: 'vector', series: this.ctx.delayedNameRemoval ? out : mergeSameLabelsMatrix(this.ctx, out) };
  }

  private binary(e: BinaryExpr, grid: Grid): EvalValue {
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    const lhs = this.eval(e.lhs, grid);
    const rhs = this.eval(e.rhs, grid);
    if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
      if (isComparison(e.op) && !e.returnBool) throw new PromQLError('bad_data', 'comparisons between scalars must use BOOL modifier');
      return { kind: 'scalar', values: scalarBinop(e.op, lhs.values, rhs.values) };
    }
    let out: StepSeries[];
    if (lhs.kind === 'vector' && rhs.kind === 'vector') {
      if (e.matching === null) throw new PromQLError('execution', 'vector matching missing');
      out =
        e.op === 'and' || e.op === 'or' || e.op === 'unless'
          ? setBinop(e, lhs.series, rhs.series, grid.n)
          : vectorBinop(this.ctx, e, lhs.series, rhs.series, grid.n);
      releaseSamples(this.ctx, presentTotal(lhs.series) + presentTotal(rhs.series));
    } else if (lhs.kind === 'vector' && rhs.kind === 'scalar') {
      out = vectorScalarBinop(this.ctx, e, lhs.series, rhs.values, false);
      releaseSamples(this.ctx, presentTotal(lhs.series));
    } else if (lhs.kind === 'scalar' && rhs.kind === 'vector') {
      out = vectorScalarBinop(this.ctx, e, rhs.series, lhs.values, true);
      releaseSamples(this.ctx, presentTotal(rhs.series));
    } else throw new PromQLError('execution', `invalid operand types ${lt} ${e.op} ${rt}`);
    holdSamples(this.ctx, presentTotal(out));
    return { kind: 'vector', series: out };
  }

  private aggregate(e: AggregateExpr, grid: Grid): StepSeries[] {
    let param: Float64Array | null = null;
    let label = '';
    if (e.param !== null) {
      if (e.op === 'count_values') label = this.string(e.param);
      else {
        markMovingSelectors(e.param);
        param = this.scalar(e.param, grid);
        // Prometheus takes an aggregation over a step-invariant input as invariant whatever its
        // parameter, and evaluates it at the first step only (step-invariant.ts).
        if (param.length > 1 && isStepInvariant(e.expr, this.ctx.compat)) param = new Float64Array(param.length).fill(param[0]!);
      }
    }
    if (e.op === 'count_values' && !validLabelNameFor(this, label)) {
      throw new PromQLError('execution', `invalid label name ${JSON.stringify(label)}`);
    }
    const input = this.vector(e.expr, grid);
    const out = evalAggregation(this.ctx, e, input, param, label, grid.n);
    releaseSamples(this.ctx, presentTotal(input));
    holdSamples(this.ctx, presentTotal(out));
    return out;
  }

  private call(e: Call, grid: Grid): EvalValue {
    const impl = FUNCTION_IMPLS.get(e.func.name);
    if (impl === undefined) throw new PromQLError('bad_data', `function "${e.func.name}" is not supported`);
    return impl(this, e, grid);
  }
}

function validLabelNameFor(ev: Evaluator, name: string): boolean {
  return validLabelName(name, ev.ctx.compat);
}

/** Samples a node's value holds: present points of a vector, steps of a scalar. */
function outputSamples(v: EvalValue): number {
  if (v.kind === 'scalar') return v.values.length;
  if (v.kind !== 'vector') return 0;
  let n = 0;
  for (const s of v.series) for (let i = 0; i < s.present.length; i++) n += s.present[i] !== 0 ? 1 : 0;
  return n;
}
