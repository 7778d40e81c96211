/**
 * Range-query splitting and merging, as Thanos' query-frontend (a modified copy of Cortex'
 * queryrange): sub-ranges end at the last step before each split-interval boundary and the next
 * one starts one step later, so every sub-range evaluates the same points the whole range would.
 * Pure: no I/O.
 */
import { goJsonStringify } from '../promql/json.js';

/** One series of a Prometheus matrix answer, as decoded from JSON. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values?: [number, string][];
  histograms?: [number, unknown][];
}

/** A success answer of /api/v1/query_range, decoded. */
export interface RangeAnswer {
  readonly resultType: string;
  readonly result: MatrixSeries[];
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

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

const seriesKey = (m: Record<string, string>): string => JSON.stringify(m);

function appendAfter<T extends [number, unknown]>(into: T[], from: readonly T[]): void {
  let last = into.length > 0 ? tsMs(into[into.length - 1]![0]) : -Infinity;
  for (const p of from) {
    const t = tsMs(p[0]);
    if (t <= last) continue; // overlapping extents: keep the earlier answer's point
    into.push(p);
    last = t;
  }
}

const union = (lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())];

/**
 * Answers of consecutive sub-ranges merged into one: series by labels, their samples concatenated
 * in time order (a sample at or before one already merged is dropped), sorted as Prometheus sorts a
 * matrix, warnings and infos united.
 */
export function mergeAnswers(parts: readonly RangeAnswer[]): RangeAnswer {
  const byKey = new Map<string, MatrixSeries>();
  const sorted = [...parts].sort((a, b) => firstTs(a) - firstTs(b));
  for (const part of sorted) {
    for (const s of part.result) {
      const key = seriesKey(s.metric);
      let into = byKey.get(key);
      if (into === undefined) {
        into = { metric: s.metric };
        byKey.set(key, into);
      }
      if (s.values !== undefined) appendAfter((into.values ??= []), s.values);
      if (s.histograms !== undefined) appendAfter((into.histograms ??= []), s.histograms);
    }
  }
  const result = [...byKey.values()].sort((a, b) => compareMetric(a.metric, b.metric));
  return {
    resultType: parts[0]?.resultType ?? 'matrix',
    result,
    warnings: union(parts.map((p) => p.warnings)),
    infos: union(parts.map((p) => p.infos)),
  };
}

function firstTs(a: RangeAnswer): number {
  let min = Infinity;
  for (const s of a.result) {
    if (s.values?.[0]) min = Math.min(min, tsMs(s.values[0][0]));
    if (s.histograms?.[0]) min = Math.min(min, tsMs(s.histograms[0][0]));
  }
  return min;
}

/** The samples of an answer in [start, end] (ms); series left without samples are dropped (Cortex' extractMatrix). */
export function extractRange(a: RangeAnswer, start: number, end: number): RangeAnswer {
  const result: MatrixSeries[] = [];
  const inRange = (p: [number, unknown]): boolean => {
    const t = tsMs(p[0]);
    return t >= start && t <= end;
  };
  for (const s of a.result) {
    const out: MatrixSeries = { metric: s.metric };
    let n = 0;
    if (s.values !== undefined) {
      const v = s.values.filter(inRange);
      if (v.length > 0) (out.values = v), (n += v.length);
    }
    if (s.histograms !== undefined) {
      const h = s.histograms.filter(inRange);
      if (h.length > 0) (out.histograms = h), (n += h.length);
    }
    if (n > 0) result.push(out);
  }
  return { resultType: a.resultType, result, warnings: a.warnings, infos: a.infos };
}

/** Prometheus' success envelope of a matrix answer (key order as Prometheus writes it). */
export function encodeAnswer(a: RangeAnswer): string {
  const body: Record<string, unknown> = { status: 'success', data: { resultType: a.resultType, result: a.result } };
  if (a.warnings.length > 0) body.warnings = a.warnings;
  if (a.infos.length > 0) body.infos = a.infos;
  return goJsonStringify(body);
}

/** A downstream success body decoded; null when it is not a success envelope. */
export function decodeAnswer(text: string): RangeAnswer | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { status?: unknown; data?: { resultType?: unknown; result?: unknown }; warnings?: unknown; infos?: unknown };
  if (b.status !== 'success' || typeof b.data !== 'object' || b.data === null || !Array.isArray(b.data.result)) return null;
  return {
    resultType: typeof b.data.resultType === 'string' ? b.data.resultType : 'matrix',
    result: b.data.result as MatrixSeries[],
    warnings: Array.isArray(b.warnings) ? (b.warnings as string[]) : [],
    infos: Array.isArray(b.infos) ? (b.infos as string[]) : [],
  };
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
