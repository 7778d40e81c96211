/**
 * Functions over classic histograms (series with an `le` label): histogram_quantile,
 * histogram_quantiles and histogram_fraction. Buckets are grouped by all labels but `le` once per
 * call, since membership depends only on labels; the per-step work only gathers bucket counts.
 */
import type { PosRange } from '../ast.js';
import { getLabel, labelsKey, setLabel, METRIC_NAME, type Labels } from '../../model/labels.js';
import { bucketFraction, bucketQuantile, type Bucket } from '../functions/aggregate.js';
import { PromQLError } from '../errors.js';
import { newStepSeries, type EvalValue, type StepSeries } from '../value.js';
import { annotationText } from './annotations.js';
import { goFloatG } from './goformat.js';
import { dropMetadataLabels, mergeSameLabels, SAME_LABELSET } from './series.js';
import type { FunctionImpl, NodeEvaluator } from './types.js';

interface BucketGroup {
  /** Output labels: the members' labels without `le` and `__name__`. */
  readonly labels: Labels;
  /** Metric name, for annotations. */
  readonly name: string;
  readonly members: number[];
  readonly bounds: number[];
}

/** Groups the input's buckets; warns (at `argPos`) about series whose `le` does not parse. */
function bucketGroups(ev: NodeEvaluator, input: readonly StepSeries[], argPos: PosRange | null): BucketGroup[] {
  const groupIndex = new Map<string, number>();
  const groups: BucketGroup[] = [];
  input.forEach((s, si) => {
    const le = getLabel(s.labels, 'le');
    const bound = parseGoFloat(le);
    if (bound === null) {
      // Prometheus only sees series with a sample at the step, so empty ones never warn.
      if (s.present.indexOf(1) !== -1) {
        ev.ctx.annotations.warn(annotationText.badBucketLabel(le, getLabel(s.labels, METRIC_NAME)), argPos);
      }
      return;
    }
    const key = labelsKey(s.labels.filter((l) => l.name !== 'le'));
    let g = groupIndex.get(key);
    if (g === undefined) {
      groupIndex.set(key, (g = groups.length));
      groups.push({
        labels: dropMetadataLabels(s.labels.filter((l) => l.name !== 'le')),
        name: getLabel(s.labels, METRIC_NAME),
        members: [],
        bounds: [],
      });
    }
    groups[g]!.members.push(si);
    groups[g]!.bounds.push(bound);
  });
  return groups;
}

/** Fills `out` with the group's buckets that have a sample at step i (fresh objects: callers sort and rewrite). */
function gather(g: BucketGroup, input: readonly StepSeries[], i: number, out: Bucket[]): void {
  out.length = 0;
  for (let k = 0; k < g.members.length; k++) {
    const s = input[g.members[k]!]!;
    if (s.present[i] !== 0) out.push({ upperBound: g.bounds[k]!, count: s.values[i]! });
  }
}

function warnQuantiles(ev: NodeEvaluator, q: Float64Array, pos: PosRange | null): void {
  for (const qi of q) if (!(qi >= 0 && qi <= 1)) ev.ctx.annotations.warn(annotationText.invalidQuantile(qi), pos);
}

/** One group's quantile at one step, with the 3.x forced-monotonicity info. */
function quantileAt(ev: NodeEvaluator, g: BucketGroup, q: number, buckets: Bucket[], infoPos: PosRange | null): number {
  const res = bucketQuantile(q, buckets, ev.ctx.compat);
  if (res.forcedMonotonic && ev.ctx.compat !== '2') ev.ctx.annotations.info(annotationText.forcedMonotonicity(g.name), infoPos);
  return res.value;
}

const vector = (series: StepSeries[]): EvalValue => ({ kind: 'vector', series });

const nonEmpty = (series: StepSeries[]): StepSeries[] => series.filter((s) => s.present.indexOf(1) !== -1);

const histogramQuantile: FunctionImpl = (ev, call, grid) => {
  const q = ev.scalar(call.args[0]!, grid);
  const input = ev.vector(call.args[1]!, grid);
  warnQuantiles(ev, q, call.args[0]!.pos);
  const groups = bucketGroups(ev, input, call.args[1]!.pos);
  const out = groups.map((g) => newStepSeries(g.labels, grid.n, true));
  const buckets: Bucket[] = [];
  for (let i = 0; i < grid.n; i++) {
    groups.forEach((g, gi) => {
      gather(g, input, i, buckets);
      if (buckets.length === 0) return;
      out[gi]!.values[i] = quantileAt(ev, g, q[i]!, buckets, call.args[1]!.pos);
      out[gi]!.present[i] = 1;
    });
  }
  return vector(mergeSameLabels(nonEmpty(out)));
};

/**
 * histogram_quantiles(v, "label", q0, q1, …) (experimental, 3.11): one output series per group and
 * quantile, the quantile written to `label` in OpenMetrics float form.
 */
const histogramQuantiles: FunctionImpl = (ev, call, grid) => {
  const input = ev.vector(call.args[0]!, grid);
  const label = ev.string(call.args[1]!);
  const qs = call.args.slice(2).map((a) => ev.scalar(a, grid));
  qs.forEach((q, k) => warnQuantiles(ev, q, call.args[k + 2]!.pos));
  const groups = bucketGroups(ev, input, call.args[0]!.pos);
  // A quantile argument may vary by step, so output series are keyed by group and label value.
  const byKey = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  const buckets: Bucket[] = [];
  for (let i = 0; i < grid.n; i++) {
    for (const q of qs) {
      const qi = q[i]!;
      const qLabel = openMetricsFloat(qi);
      groups.forEach((g, gi) => {
        gather(g, input, i, buckets);
        if (buckets.length === 0) return;
        const key = `${gi}\u0000${qLabel}`;
        let r = byKey.get(key);
        if (r === undefined) {
          r = newStepSeries(setLabel(g.labels, label, qLabel), grid.n, true);
          byKey.set(key, r);
          out.push(r);
        }
        // The same label value twice at one step (a repeated quantile) is a duplicate series,
        // which Prometheus rejects; clashes across groups are caught by mergeSameLabels.
        if (r.present[i] !== 0) throw new PromQLError('execution', SAME_LABELSET);
        r.values[i] = quantileAt(ev, g, qi, buckets, call.args[0]!.pos);
        r.present[i] = 1;
      });
    }
  }
  return vector(mergeSameLabels(out));
};

/** histogram_fraction(lower, upper, v) on classic buckets (3.x BucketFraction). */
const histogramFraction: FunctionImpl = (ev, call, grid) => {
  const lower = ev.scalar(call.args[0]!, grid);
  const upper = ev.scalar(call.args[1]!, grid);
  const input = ev.vector(call.args[2]!, grid);
  const groups = bucketGroups(ev, input, call.args[2]!.pos);
  const out = groups.map((g) => newStepSeries(g.labels, grid.n, true));
  const buckets: Bucket[] = [];
  for (let i = 0; i < grid.n; i++) {
    groups.forEach((g, gi) => {
      gather(g, input, i, buckets);
      if (buckets.length === 0) return;
      out[gi]!.values[i] = bucketFraction(lower[i]!, upper[i]!, buckets);
      out[gi]!.present[i] = 1;
    });
  }
  return vector(mergeSameLabels(nonEmpty(out)));
};

/** Prometheus labels.FormatOpenMetricsFloat: Go 'g' shortest form, integers get a `.0`. */
export function openMetricsFloat(f: number): string {
  if (f === 0) return '0.0';
  const s = goFloatG(f);
  if (f !== f || f === Infinity || f === -Infinity || /[e.]/.test(s)) return s;
  return `${s}.0`;
}

/** Go strconv.ParseFloat for `le` values: decimal, exponent, Inf/NaN spellings, hex floats. */
function parseGoFloat(s: string): number | null {
  const t = s.replace(/_/g, (m, off: number) => (off > 0 && off < s.length - 1 ? '' : m));
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX]/.test(t)) {
    const n = Number(t.replace(/^[+-]/, ''));
    if (Number.isFinite(n)) return t.startsWith('-') ? -n : n;
  }
  return null;
}

export const HISTOGRAM_FUNCTIONS: ReadonlyMap<string, FunctionImpl> = new Map<string, FunctionImpl>([
  ['histogram_quantile', histogramQuantile],
  ['histogram_quantiles', histogramQuantiles],
  ['histogram_fraction', histogramFraction],
]);
