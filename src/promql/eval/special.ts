/**
 * Functions that do not fit the table shapes: they read labels, matchers or raw sample times, or
 * reorder series.
 */
import { RE2 } from 're2-wasm';
import type { Call, Expr } from '../ast.js';
import { compareLabels, getLabel, setLabel, METRIC_NAME, type Labels } from '../../model/labels.js';
import { PromQLError } from '../errors.js';
import { labelJoin, labelReplace, validLabelName } from '../functions/labels.js';
import { gridTime, newStepSeries, type EvalValue, type Grid, type StepSeries } from '../value.js';
import { dropMetadataLabels, mergeSameLabels } from './series.js';
import { evalVectorSelector } from './selector.js';
import { windowBounds } from './selector.js';
import { unwrapParens, type FunctionImpl, type NodeEvaluator } from './types.js';

const vector = (series: StepSeries[]): EvalValue => ({ kind: 'vector', series });

/** Labels of absent()'s output: the equality matchers of a plain selector argument. */
function absentLabels(arg: Expr): Labels {
  const e = unwrapParens(arg);
  const vs = e.kind === 'VectorSelector' ? e : e.kind === 'MatrixSelector' ? e.vector : null;
  if (vs === null) return [];
  let ls: Labels = [];
  const has = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      ls = setLabel(ls, m.name, m.value);
      has.add(m.name);
    } else ls = setLabel(ls, m.name, '');
  }
  return ls;
}

const absent: FunctionImpl = (ev, call, grid) => {
  const input = ev.vector(call.args[0]!, grid);
  const out = newStepSeries(absentLabels(call.args[0]!), grid.n);
  for (let i = 0; i < grid.n; i++) {
    if (input.some((s) => s.present[i] !== 0)) continue;
    out.values[i] = 1;
    out.present[i] = 1;
  }
  return vector(out.present.indexOf(1) === -1 ? [] : [out]);
};

const absentOverTime: FunctionImpl = (ev, call, grid) => {
  const input = ev.range(call.args[0]!, grid);
  const closed = ev.ctx.compat === '2';
  const covered = new Uint8Array(grid.n);
  for (const s of input.series) {
    let from = 0;
    let to = 0;
    for (let i = 0; i < grid.n; i++) {
      const ref = (input.at ?? gridTime(grid, i)) - input.offset;
      [from, to] = windowBounds(s.t, ref, input.range, closed, from, to);
      if (to > from) covered[i] = 1;
    }
  }
  const out = newStepSeries(absentLabels(call.args[0]!), grid.n);
  for (let i = 0; i < grid.n; i++) {
    if (covered[i] !== 0) continue;
    out.values[i] = 1;
    out.present[i] = 1;
  }
  return vector(out.present.indexOf(1) === -1 ? [] : [out]);
};

const scalar: FunctionImpl = (ev, call, grid) => {
  const input = ev.vector(call.args[0]!, grid);
  const values = new Float64Array(grid.n);
  for (let i = 0; i < grid.n; i++) {
    let found = -1;
    let count = 0;
    for (let k = 0; k < input.length && count < 2; k++) {
      if (input[k]!.present[i] !== 0) {
        found = k;
        count++;
      }
    }
    values[i] = count === 1 ? input[found]!.values[i]! : NaN;
  }
  return { kind: 'scalar', values };
};

const vectorFn: FunctionImpl = (ev, call, grid) => {
  const values = ev.scalar(call.args[0]!, grid);
  const s = newStepSeries([], grid.n);
  s.values.set(values);
  s.present.fill(1);
  return vector([s]);
};

/** timestamp(): the sample's own time for a plain selector, else the step time. */
const timestamp: FunctionImpl = (ev, call, grid) => {
  const arg = unwrapParens(call.args[0]!);
  let series: StepSeries[];
  if (arg.kind === 'VectorSelector') series = evalVectorSelector(ev.ctx, arg, grid, true);
  else {
    series = ev.vector(arg, grid).map((s) => {
      const r = newStepSeries(s.labels, grid.n, s.dropName);
      r.present.set(s.present);
      for (let i = 0; i < grid.n; i++) if (s.present[i] !== 0) r.values[i] = gridTime(grid, i) / 1000;
      return r;
    });
  }
  for (const s of series) {
    if (ev.ctx.delayedNameRemoval) s.dropName = true;
    else s.labels = dropMetadataLabels(s.labels);
  }
  return vector(ev.ctx.delayedNameRemoval ? series : mergeSameLabels(series));
};

const SORT_INEFFECTIVE = 'sort is ineffective for range queries since results are always ordered by labels';

/** Go sort order of sort()/sort_desc(): NaN last either way. */
function sortFunction(desc: boolean): FunctionImpl {
  return (ev, call, grid) => {
    const input = ev.vector(call.args[0]!, grid);
    // 3.x warns about sort in a range query; 2.x says nothing.
    if (ev.ctx.queryStart !== ev.ctx.queryEnd && ev.ctx.compat === '3') ev.ctx.annotations.warn(SORT_INEFFECTIVE, null);
    if (grid.n !== 1) return vector(input);
    const byValue = (a: StepSeries, b: StepSeries): number => {
      const x = a.values[0]!;
      const y = b.values[0]!;
      if (x !== x) return y !== y ? 0 : 1;
      if (y !== y) return -1;
      return desc ? y - x : x - y;
    };
    return vector(input.slice().sort(byValue));
  };
}

/** Natural ordering of label values as 3.x sort_by_label (digit runs compare as numbers). */
function naturalCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const xa = a.match(re) ?? [];
  const xb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
    const p = xa[i]!;
    const q = xb[i]!;
    if (p === q) continue;
    const pn = /^\d/.test(p);
    const qn = /^\d/.test(q);
    if (pn && qn) {
      const d = Number(p) - Number(q);
      if (d !== 0) return d;
      return p.length - q.length;
    }
    return p < q ? -1 : 1;
  }
  return xa.length - xb.length;
}

function sortByLabel(desc: boolean): FunctionImpl {
  return (ev, call, grid) => {
    const input = ev.vector(call.args[0]!, grid);
    if (ev.ctx.queryStart !== ev.ctx.queryEnd) ev.ctx.annotations.warn(SORT_INEFFECTIVE, null);
    const names = call.args.slice(1).map((a) => ev.string(a));
    const cmp = (a: StepSeries, b: StepSeries): number => {
      for (const n of names) {
        const x = getLabel(a.labels, n);
        const y = getLabel(b.labels, n);
        if (x === y) continue;
        return naturalCompare(x, y) < 0 ? -1 : 1;
      }
      return compareLabels(a.labels, b.labels);
    };
    return vector(input.slice().sort(desc ? (a, b) => cmp(b, a) : cmp));
  };
}

const labelReplaceFn: FunctionImpl = (ev, call, grid) => {
  const [dst, repl, src, regex] = call.args.slice(1).map((a) => ev.string(a)) as [string, string, string, string];
  let re: RE2;
  try {
    re = new RE2(`^(?s:${regex})$`, 'u');
  } catch {
    throw new PromQLError('execution', `invalid regular expression in label_replace(): ${regex}`);
  }
  if (!validLabelName(dst, ev.ctx.compat)) {
    throw new PromQLError('execution', `invalid destination label name in label_replace(): ${dst}`);
  }
  const input = ev.vector(call.args[0]!, grid);
  const out = input.map((s) => {
    const ls = labelReplace(s.labels, dst, repl, src, re);
    const matched = ls !== s.labels || re.test(getLabel(s.labels, src));
    return relabelled(s, ls, dst === METRIC_NAME && matched);
  });
  return vector(mergeSameLabels(out));
};

const labelJoinFn: FunctionImpl = (ev, call, grid) => {
  const [dst, sep, ...srcs] = call.args.slice(1).map((a) => ev.string(a)) as [string, string, ...string[]];
  if (!validLabelName(dst, ev.ctx.compat)) {
    throw new PromQLError('execution', `invalid destination label name in label_join(): ${dst}`);
  }
  for (const src of srcs) {
    if (!validLabelName(src, ev.ctx.compat)) {
      throw new PromQLError('execution', `invalid source label name in label_join(): ${src}`);
    }
  }
  const input = ev.vector(call.args[0]!, grid);
  const out = input.map((s) => relabelled(s, labelJoin(s.labels, dst, sep, srcs), dst === METRIC_NAME));
  return vector(mergeSameLabels(out));
};

/** Same samples under new labels; writing `__name__` cancels a pending name removal. */
function relabelled(s: StepSeries, ls: Labels, namesIt: boolean): StepSeries {
  if (ls === s.labels && !namesIt) return s;
  return { labels: ls, values: s.values, present: s.present, dropName: namesIt ? false : s.dropName };
}

export const SPECIAL_FUNCTIONS: ReadonlyMap<string, FunctionImpl> = new Map<string, FunctionImpl>([
  ['absent', absent],
  ['absent_over_time', absentOverTime],
  ['scalar', scalar],
  ['vector', vectorFn],
  ['timestamp', timestamp],
  ['sort', sortFunction(false)],
  ['sort_desc', sortFunction(true)],
  ['sort_by_label', sortByLabel(false)],
  ['sort_by_label_desc', sortByLabel(true)],
  ['label_replace', labelReplaceFn],
  ['label_join', labelJoinFn],
]);

export type { Call, Grid, NodeEvaluator };
