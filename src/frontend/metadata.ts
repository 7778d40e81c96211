/**
 * Labels and series requests (`/api/v1/labels`, `/api/v1/label/<name>/values`, `/api/v1/series`)
 * split by time, as Thanos' frontend splits them (--labels.split-interval), and their answers
 * merged: label names and values united and sorted, series united by label set and sorted. A
 * label or series present in the whole range is present in some sub-range and the other way
 * round, so the union is the unsplit answer. Pure: no I/O.
 */
import { goJsonStringify } from '../promql/json.js';
import { parseSuccess, union } from './envelope.js';
import { compareMetric } from './range.js';

/** [start, end] in ms cut at multiples of `interval` (UTC): [s, b1-1], [b1, b2-1], …, [bk, e]. */
export function splitByInterval(start: number, end: number, interval: number): [number, number][] {
  if (interval <= 0) return [[start, end]];
  const out: [number, number][] = [];
  let s = start;
  for (;;) {
    const boundary = (Math.floor(s / interval) + 1) * interval;
    if (boundary > end) {
      out.push([s, end]);
      return out;
    }
    out.push([s, boundary - 1]);
    s = boundary;
  }
}

/** A success answer of a labels or series request, decoded. */
export interface MetadataAnswer {
  readonly data: readonly (string | Record<string, string>)[];
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

export function decodeMetadata(text: string): MetadataAnswer | null {
  const env = parseSuccess(text);
  // Prometheus answers `"data": null` for no label names in some versions.
  const data = env?.data === null ? [] : env?.data;
  if (env === null || !Array.isArray(data)) return null;
  return { data: data as MetadataAnswer['data'], warnings: env.warnings, infos: env.infos };
}

/** Answers of sub-ranges merged: strings (label names or values) or series (label sets), united and sorted. */
export function mergeMetadata(parts: readonly MetadataAnswer[]): MetadataAnswer {
  const strings = new Set<string>();
  const series = new Map<string, Record<string, string>>();
  for (const p of parts) {
    for (const x of p.data) {
      if (typeof x === 'string') strings.add(x);
      else series.set(JSON.stringify(x), x);
    }
  }
  const data: (string | Record<string, string>)[] =
    series.size > 0 ? [...series.values()].sort(compareMetric) : [...strings].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { data, warnings: union(parts.map((p) => p.warnings)), infos: union(parts.map((p) => p.infos)) };
}

/** Prometheus' success envelope (key order as Prometheus writes it). */
export function encodeMetadata(a: MetadataAnswer): string {
  const body: Record<string, unknown> = { status: 'success', data: a.data };
  if (a.warnings.length > 0) body.warnings = a.warnings;
  if (a.infos.length > 0) body.infos = a.infos;
  return goJsonStringify(body);
}
