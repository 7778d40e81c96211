/**
 * Range-query splitting and merging, as Thanos' query-frontend (a modified copy of Cortex'
 * queryrange): sub-ranges end at the last step before each split-interval boundary and the next
 * one starts one step later, so every sub-range evaluates the same points the whole range would.
 * Pure: no I/O.
 */
import { goJsonStringify } from '../promql/json.js';
import { parseSuccess, union } from './envelope.js';

/** The last step before the next interval boundary, a whole number of steps after t (Thanos' nextIntervalBoundary). */
export function nextIntervalBoundary(t: number, step: number, interval: number): number {
  const startOfNext = (Math.floor(t / interval) + 1) * interval;
  let target = startOfNext - ((startOfNext - t) % step);
  if (target === startOfNext) target -= step;
  return target;
}

/** [start, end] in ms split at interval boundaries, each sub-range on the same step grid as the whole. */
export function splitRange(start: number, end: number, step: number, interval: number): [number, number][] {
  if (interval <= 0 || start === end) return [[start, end]];
  const out: [number, number][] = [];
  for (let s = start; s < end; s = nextIntervalBoundary(s, step, interval) + step) {
    let e = nextIntervalBoundary(s, step, interval);
    if (e + step >= end) e = end;
    out.push([s, e]);
  }
  return out;
}

/** Milliseconds of a JSON timestamp (float seconds). */
export const tsMs = (t: number): number => Math.round(t * 1000);

/** Prometheus' labels.Compare over the (sorted) label pairs of two series. */
export function compareMetric(a: Record<string, string>, b: Record<string, string>): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const na = ka[i]!;
    const nb = kb[i]!;
    if (na !== nb) return na < nb ? -1 : 1;
    const va = a[na]!;
    const vb = b[nb]!;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}

/**
 * A run of points kept as the JSON bytes the answer will contain (`[t,"v"],[t,"v"]`), with each
 * point's time and where its bytes end, so cutting a run at a time is a binary search and a
 * subarray, and merging runs is copying bytes: a cached answer is never encoded again.
 * The points are [from, to) of the shared arrays.
 */
export interface PointRun {
  readonly text: Buffer; // ASCII
  readonly ts: Float64Array; // ms
  readonly ends: Uint32Array; // ends[i]: offset in text just after point i
  readonly from: number;
  readonly to: number;
}

/** One series of a range answer: its metric as JSON text and its runs of points in time order. */
export interface EncodedSeries {
  readonly labels: Record<string, string>;
  readonly metric: string;
  readonly values: readonly PointRun[];
  readonly histograms: readonly PointRun[];
}

/** A success answer of /api/v1/query_range, held for merging and re-encoding. */
export interface RangeAnswer {
  readonly resultType: string;
  /** Sorted as Prometheus sorts a matrix. */
  readonly series: readonly EncodedSeries[];
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

const COMMA = Buffer.from(',');
const ASCII = /^[\x00-\x7f]*$/;

export const runStart = (r: PointRun, i: number): number => (i === 0 ? 0 : r.ends[i - 1]! + 1);
export const runText = (r: PointRun): Buffer => r.text.subarray(runStart(r, r.from), r.ends[r.to - 1]);
const runFirst = (r: PointRun): number => r.ts[r.from]!;
const runLast = (r: PointRun): number => r.ts[r.to - 1]!;

/** First index in [from, to) whose time is >= t. */
function lowerBound(ts: Float64Array, from: number, to: number, t: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The points of a run in [start, end] (ms); null when none. */
function cutRun(r: PointRun, start: number, end: number): PointRun | null {
  const from = start <= runFirst(r) ? r.from : lowerBound(r.ts, r.from, r.to, start);
  const to = end >= runLast(r) ? r.to : lowerBound(r.ts, from, r.to, end + 1);
  if (from >= to) return null;
  return from === r.from && to === r.to ? r : { text: r.text, ts: r.ts, ends: r.ends, from, to };
}

/** Runs concatenated in time order, each cut to start after the points before it (overlaps keep the earlier answer's point). */
function joinRuns(lists: readonly (readonly PointRun[])[]): PointRun[] {
  const all = lists.flat().sort((a, b) => runFirst(a) - runFirst(b));
  const out: PointRun[] = [];
  let last = -Infinity;
  for (const r of all) {
    const cut = runFirst(r) > last ? r : cutRun(r, last + 1, Infinity);
    if (cut === null) continue;
    out.push(cut);
    last = runLast(cut);
  }
  return out;
}

/**
 * Runs copied into one when a cached extent would otherwise keep many small runs (one per
 * refresh) or mostly text it no longer uses.
 */
function compactRuns(runs: readonly PointRun[]): readonly PointRun[] {
  if (runs.length === 0) return runs;
  let used = 0;
  let held = 0;
  for (const r of runs) {
    used += r.ends[r.to - 1]! - runStart(r, r.from);
    held += r.text.length;
  }
  if (runs.length <= 16 && held <= 2 * used + 1024) return runs;
  const n = runs.reduce((k, r) => k + r.to - r.from, 0);
  const ts = new Float64Array(n);
  const ends = new Uint32Array(n);
  const texts: Buffer[] = [];
  let i = 0;
  let offset = 0;
  for (const r of runs) {
    const base = runStart(r, r.from);
    for (let j = r.from; j < r.to; j++, i++) {
      ts[i] = r.ts[j]!;
      ends[i] = offset + r.ends[j]! - base;
    }
    const t = runText(r);
    if (texts.length > 0) texts.push(COMMA);
    texts.push(t);
    offset += t.length + 1;
  }
  return [{ text: Buffer.concat(texts), ts, ends, from: 0, to: n }];
}

function buildRun(points: readonly [number, unknown][], encodeValue: (v: unknown) => string): PointRun[] {
  const n = points.length;
  if (n === 0) return [];
  const ts = new Float64Array(n);
  const ends = new Uint32Array(n);
  const parts: string[] = new Array<string>(n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    const t = p[0];
    // String() of a finite number is its JSON text.
    const part = '[' + (Number.isFinite(t) ? String(t) : goJsonStringify(t)) + ',' + encodeValue(p[1]) + ']';
    parts[i] = part;
    offset += (i > 0 ? 1 : 0) + part.length;
    ts[i] = tsMs(t);
    ends[i] = offset;
  }
  const joined = parts.join(',');
  // Timestamps and sample values are ASCII (one byte per character), checked: else offsets would be wrong.
  if (!ASCII.test(joined)) throw new Error('range answer: non-ASCII sample or histogram');
  return [{ text: Buffer.from(joined, 'latin1'), ts, ends, from: 0, to: n }];
}

/** Sample values are numeric strings ("1.5", "NaN", "+Inf"): nothing to escape. */
const SAMPLE_VALUE = /^[-+0-9.eEaINnf]*$/;
const encodeSampleValue = (v: unknown): string => (typeof v === 'string' && SAMPLE_VALUE.test(v) ? '"' + v + '"' : goJsonStringify(v));

interface ParsedSeries {
  metric?: unknown;
  values?: unknown;
  histograms?: unknown;
}

/** A matrix as JSON.parse gives it, in the encoded form. */
export function fromParsed(resultType: string, result: readonly ParsedSeries[], warnings: readonly string[], infos: readonly string[]): RangeAnswer {
  const series: EncodedSeries[] = [];
  for (const s of result) {
    const labels = (typeof s.metric === 'object' && s.metric !== null ? s.metric : {}) as Record<string, string>;
    series.push({
      labels,
      metric: goJsonStringify(labels),
      values: Array.isArray(s.values) ? buildRun(s.values as [number, unknown][], encodeSampleValue) : [],
      histograms: Array.isArray(s.histograms) ? buildRun(s.histograms as [number, unknown][], goJsonStringify) : [],
    });
  }
  return { resultType, series, warnings, infos };
}

/**
 * Answers of consecutive sub-ranges merged into one: series by labels, their points concatenated
 * in time order (a point at or before one already merged is dropped), sorted as Prometheus sorts a
 * matrix, warnings and infos united.
 */
export function mergeAnswers(parts: readonly RangeAnswer[]): RangeAnswer {
  if (parts.length === 1) return parts[0]!;
  const byMetric = new Map<string, { labels: Record<string, string>; values: PointRun[][]; histograms: PointRun[][] }>();
  for (const part of parts) {
    for (const s of part.series) {
      let into = byMetric.get(s.metric);
      if (into === undefined) {
        into = { labels: s.labels, values: [], histograms: [] };
        byMetric.set(s.metric, into);
      }
      if (s.values.length > 0) into.values.push(s.values as PointRun[]);
      if (s.histograms.length > 0) into.histograms.push(s.histograms as PointRun[]);
    }
  }
  const series: EncodedSeries[] = [];
  for (const [metric, m] of byMetric) series.push({ labels: m.labels, metric, values: m.values.length === 1 ? m.values[0]! : joinRuns(m.values), histograms: m.histograms.length === 1 ? m.histograms[0]! : joinRuns(m.histograms) });
  series.sort((a, b) => compareMetric(a.labels, b.labels));
  return {
    resultType: parts[0]?.resultType ?? 'matrix',
    series,
    warnings: union(parts.map((p) => p.warnings)),
    infos: union(parts.map((p) => p.infos)),
  };
}

/** The points of an answer in [start, end] (ms); series left without points are dropped (Cortex' extractMatrix). */
export function extractRange(a: RangeAnswer, start: number, end: number): RangeAnswer {
  const series: EncodedSeries[] = [];
  const cut = (runs: readonly PointRun[]): PointRun[] => {
    const out: PointRun[] = [];
    for (const r of runs) {
      if (runLast(r) < start || runFirst(r) > end) continue;
      const c = cutRun(r, start, end);
      if (c !== null) out.push(c);
    }
    return out;
  };
  for (const s of a.series) {
    const values = cut(s.values);
    const histograms = cut(s.histograms);
    if (values.length + histograms.length > 0) series.push({ labels: s.labels, metric: s.metric, values, histograms });
  }
  return { resultType: a.resultType, series, warnings: a.warnings, infos: a.infos };
}

/** The answer with each series' runs copied into one, for keeping in a cache. */
export function compactAnswer(a: RangeAnswer): RangeAnswer {
  return { ...a, series: a.series.map((s) => ({ ...s, values: compactRuns(s.values), histograms: compactRuns(s.histograms) })) };
}

/** Number of points and bytes held (for cache sizing). */
export function answerSize(a: RangeAnswer): { points: number; chars: number } {
  let points = 0;
  let chars = 0;
  for (const s of a.series) {
    chars += s.metric.length;
    for (const r of [...s.values, ...s.histograms]) {
      points += r.to - r.from;
      chars += r.text.length;
    }
  }
  return { points, chars };
}

/** The `result` array of the answer, as Prometheus writes it, into `out`: cached runs are copied as they are. */
function encodeResult(a: RangeAnswer, out: Buffer[]): void {
  let text = '[';
  const flush = (): void => {
    out.push(Buffer.from(text));
    text = '';
  };
  for (let i = 0; i < a.series.length; i++) {
    const s = a.series[i]!;
    text += (i === 0 ? '{"metric":' : ',{"metric":') + s.metric;
    for (const [key, list] of [
      [',"values":[', s.values],
      [',"histograms":[', s.histograms],
    ] as const) {
      if (list.length === 0) continue;
      text += key;
      flush();
      for (let j = 0; j < list.length; j++) {
        if (j > 0) out.push(COMMA);
        out.push(runText(list[j]!));
      }
      text = ']';
    }
    text += '}';
  }
  text += ']';
  flush();
}

/** Prometheus' success envelope of a matrix answer (key order as Prometheus writes it). */
export function encodeAnswer(a: RangeAnswer): Buffer {
  const out: Buffer[] = [Buffer.from(`{"status":"success","data":{"resultType":${goJsonStringify(a.resultType)},"result":`)];
  encodeResult(a, out);
  let tail = '}';
  if (a.warnings.length > 0) tail += `,"warnings":${goJsonStringify(a.warnings)}`;
  if (a.infos.length > 0) tail += `,"infos":${goJsonStringify(a.infos)}`;
  out.push(Buffer.from(tail + '}'));
  return Buffer.concat(out);
}

/** The answer as {resultType, result, warnings, infos} JSON (a shared cache's form), into `out`. */
export function answerJson(a: RangeAnswer, out: Buffer[]): void {
  out.push(Buffer.from(`{"resultType":${goJsonStringify(a.resultType)},"result":`));
  encodeResult(a, out);
  out.push(Buffer.from(`,"warnings":${goJsonStringify(a.warnings)},"infos":${goJsonStringify(a.infos)}}`));
}

/** A downstream success body decoded; null when it is not a success envelope. */
export function decodeAnswer(text: string): RangeAnswer | null {
  const env = parseSuccess(text);
  const data = env?.data as { resultType?: unknown; result?: unknown } | null | undefined;
  if (env === null || typeof data !== 'object' || data === null || !Array.isArray(data.result)) return null;
  return fromParsed(typeof data.resultType === 'string' ? data.resultType : 'matrix', data.result as ParsedSeries[], env.warnings, env.infos);
}

/** Go's time.Duration.String() of ms (for Thanos' messages): 48h0m0s, 1m30s, 500ms. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const sec = `${Number.isInteger(s) ? s : String(s)}s`;
  return `${neg ? '-' : ''}${h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m` : ''}${sec}`;
}
