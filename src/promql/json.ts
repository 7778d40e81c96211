import type { Labels } from '../model/labels.js';
import { formatSampleValue, formatScalarValue, formatTimestampSeconds } from './format.js';
import type { QueryValue } from './types.js';

/**
 * JSON bodies byte for byte as Prometheus writes them. Built as strings directly: the matrix of a
 * range query is the largest thing we send, and a generic serializer over per-point arrays would
 * allocate twice per sample.
 */

/** Go's encoding/json escapes <, > and & in strings; Prometheus' label maps show that. */
export function jsonString(s: string): string {
  return escapeGo(JSON.stringify(s));
}

/** JSON.stringify with Go's escaping of <, >, & and U+2028/9 (which occur only inside strings). */
export function goJsonStringify(value: unknown): string {
  return escapeGo(JSON.stringify(value));
}

function escapeGo(json: string): string {
  return /[<>&\u2028\u2029]/.test(json) ? json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : json;
}

export function encodeLabels(ls: Labels): string {
  let out = '{';
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (i > 0) out += ',';
    out += jsonString(l.name) + ':' + jsonString(l.value);
  }
  return out + '}';
}

export function encodeQueryData(value: QueryValue): string {
  let out = '';
  for (const piece of queryDataPieces(value)) out += piece;
  return out;
}

/**
 * The `data` object in pieces (one per series or sample), so a large answer can be encoded and
 * sent a part at a time instead of as one string.
 */
export function* queryDataPieces(value: QueryValue): Generator<string, void, undefined> {
  switch (value.type) {
    case 'scalar':
      yield `{"resultType":"scalar","result":[${scalarTime(value.t)},"${formatScalarValue(value.v)}"]}`;
      return;
    case 'string':
      yield `{"resultType":"string","result":[${scalarTime(value.t)},${jsonString(value.v)}]}`;
      return;
    case 'vector': {
      yield '{"resultType":"vector","result":[';
      const samples = value.samples;
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i]!;
        yield `${i > 0 ? ',' : ''}{"metric":${encodeLabels(s.labels)},"value":[${formatTimestampSeconds(s.t)},"${formatSampleValue(s.v)}"]}`;
      }
      yield ']}';
      return;
    }
    case 'matrix': {
      // Series of a range query usually share one timestamps array (the step grid): format each
      // timestamp once per response, not once per point.
      const prefixes = new Map<Float64Array, string[]>();
      yield '{"resultType":"matrix","result":[';
      const series = value.series;
      for (let i = 0; i < series.length; i++) {
        const s = series[i]!;
        const ts = s.timestamps;
        let pre = prefixes.get(ts);
        if (pre === undefined) {
          pre = new Array<string>(ts.length);
          for (let j = 0; j < ts.length; j++) pre[j] = '[' + formatTimestampSeconds(ts[j]!) + ',"';
          prefixes.set(ts, pre);
        }
        const vs = s.values;
        const points = new Array<string>(vs.length);
        // With a step shorter than the scrape interval one sample shows at several steps in a row;
        // formatting a double costs far more than this check (-0 must not reuse "0").
        let prev = Number.NaN;
        let prevText = '';
        for (let j = 0; j < vs.length; j++) {
          const v = vs[j]!;
          if (v !== prev || (v === 0 && 1 / v !== 1 / prev)) {
            prev = v;
            prevText = formatSampleValue(v);
          }
          points[j] = pre[j] + prevText + '"]';
        }
        yield (i === 0 ? '' : ',') + '{"metric":' + encodeLabels(s.labels) + ',"values":[' + points.join(',') + ']}';
      }
      yield ']}';
      return;
    }
  }
}

/**
 * The data pieces with more fields before the data object's closing brace (`fields` are
 * `"name":value` strings): analyze's `analysis`, dedup=explain's `provenance`.
 */
export function* withDataFields(data: Iterable<string>, fields: readonly string[]): Generator<string, void, undefined> {
  if (fields.length === 0) return yield* data;
  let last: string | null = null;
  for (const piece of data) {
    if (last !== null) yield last;
    last = piece;
  }
  if (last === null || !last.endsWith('}')) throw new Error('query data does not end with an object');
  yield last.slice(0, -1) + ',' + fields.join(',') + '}';
}

/** A success envelope around `data` pieces: `{"status":"success","data":…,"warnings":…}`. */
export function* successBodyPieces(
  data: Iterable<string>,
  warnings: readonly string[],
  infos: readonly string[] = [],
): Generator<string, void, undefined> {
  yield '{"status":"success","data":';
  yield* data;
  let tail = '';
  if (warnings.length > 0) tail += `,"warnings":[${warnings.map(jsonString).join(',')}]`;
  if (infos.length > 0) tail += `,"infos":[${infos.map(jsonString).join(',')}]`;
  yield tail + '}';
}

/** Scalar and string results carry the time as a JSON float, unlike vector samples. */
function scalarTime(ms: number): string {
  return String(ms / 1000);
}

export function successBody(data: string, warnings: readonly string[], infos: readonly string[] = []): string {
  let out = '';
  for (const piece of successBodyPieces([data], warnings, infos)) out += piece;
  return out;
}

export function errorBody(errorType: string, error: string, warnings: readonly string[] = []): string {
  let out = `{"status":"error","errorType":${jsonString(errorType)},"error":${jsonString(error)}`;
  if (warnings.length > 0) out += `,"warnings":[${warnings.map(jsonString).join(',')}]`;
  return out + '}';
}
