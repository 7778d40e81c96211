/**
 * HTTP helpers and exact comparison of Prometheus API answers (promql.md §1.14–1.15, §5).
 *
 * What "equal" means here:
 * - status, errorType, HTTP status code and warnings must match; error message texts are not compared.
 * - resultType, every series' labels, timestamps (as JSON numbers) and value strings must be identical.
 * - Matrices are compared after sorting by labels — Prometheus sorts range results, so both sides do
 *   it anyway, and this makes the diff readable.
 * - Instant vectors: Prometheus does not define their order except for sort()/sort_desc()/topk/
 *   bottomk (§1.14), so they are compared as label-sorted sets unless `ordered` is set. With
 *   `ordered`, the order must match, except that elements with equal values may swap (ties are
 *   unspecified in Prometheus: Go's sort is not stable and topk uses a heap).
 */

export interface ApiBody {
  status: 'success' | 'error';
  data?: unknown;
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
}

export interface ApiAnswer {
  httpStatus: number;
  body: ApiBody;
}

export type Params = Record<string, string | number | readonly string[] | undefined>;

export function encodeParams(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, String(x));
    else q.append(k, String(v));
  }
  return q.toString();
}

/** GET baseUrl + path with params; the body must be JSON in the Prometheus envelope. */
export async function apiGet(baseUrl: string, path: string, params: Params = {}, timeoutMs = 60_000): Promise<ApiAnswer> {
  const qs = encodeParams(params);
  const res = await fetch(`${baseUrl}${path}${qs ? `?${qs}` : ''}`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: ApiBody;
  try {
    body = JSON.parse(text) as ApiBody;
  } catch {
    throw new Error(`${path}?${qs}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  return { httpStatus: res.status, body };
}

type Metric = Record<string, string>;
interface VectorEl {
  metric: Metric;
  value: [number, string];
}
interface MatrixEl {
  metric: Metric;
  values: [number, string][];
}
interface QueryData {
  resultType: string;
  result: unknown;
}

export function labelsKey(m: Metric): string {
  const keys = Object.keys(m).sort();
  return `{${keys.map((k) => `${k}=${JSON.stringify(m[k])}`).join(', ')}}`;
}

const byLabels = <T extends { metric: Metric }>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => {
    const ka = labelsKey(a.metric);
    const kb = labelsKey(b.metric);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });

export interface CompareOptions {
  /** Instant-vector order matters (sort, sort_desc, topk, bottomk). */
  ordered?: boolean;
  /** Stop after this many differences, default 5. */
  maxDiffs?: number;
}

/** Differences between two API answers, as readable lines; empty when they are equal. */
export function diffAnswers(actual: ApiAnswer, expected: ApiAnswer, opts: CompareOptions = {}): string[] {
  const diffs: string[] = [];
  if (actual.body.status !== expected.body.status) {
    diffs.push(
      `status ${actual.body.status} (HTTP ${actual.httpStatus}${actual.body.error ? `: ${actual.body.error}` : ''}) ` +
        `!= expected ${expected.body.status} (HTTP ${expected.httpStatus}${expected.body.error ? `: ${expected.body.error}` : ''})`,
    );
    return diffs;
  }
  if (actual.httpStatus !== expected.httpStatus) diffs.push(`HTTP ${actual.httpStatus} != expected ${expected.httpStatus}`);
  if (expected.body.status === 'error') {
    if (actual.body.errorType !== expected.body.errorType)
      diffs.push(`errorType ${actual.body.errorType} != expected ${expected.body.errorType} (${actual.body.error} vs ${expected.body.error})`);
    return diffs;
  }
  const aw = JSON.stringify(actual.body.warnings ?? []);
  const ew = JSON.stringify(expected.body.warnings ?? []);
  if (aw !== ew) diffs.push(`warnings ${aw} != expected ${ew}`);
  diffs.push(...diffData(actual.body.data, expected.body.data, opts));
  return diffs;
}

export function diffData(actualData: unknown, expectedData: unknown, opts: CompareOptions = {}): string[] {
  const max = opts.maxDiffs ?? 5;
  const diffs: string[] = [];
  const push = (s: string) => {
    if (diffs.length < max) diffs.push(s);
    else if (diffs.length === max) diffs.push('…more differences');
  };
  const a = actualData as QueryData | undefined;
  const e = expectedData as QueryData | undefined;
  if (a?.resultType !== e?.resultType) {
    push(`resultType ${a?.resultType} != expected ${e?.resultType}`);
    return diffs;
  }
  switch (e!.resultType) {
    case 'matrix':
      diffSeriesLists(byLabels(a!.result as MatrixEl[]), byLabels(e!.result as MatrixEl[]), push, (x, y, key) => {
        const n = Math.max(x.values.length, y.values.length);
        let shown = 0;
        if (x.values.length !== y.values.length) push(`${key}: ${x.values.length} points != expected ${y.values.length}`);
        for (let i = 0; i < n && shown < 2; i++) {
          const p = x.values[i];
          const q = y.values[i];
          if (p?.[0] !== q?.[0] || p?.[1] !== q?.[1]) {
            push(`${key}: point ${i} ${JSON.stringify(p)} != expected ${JSON.stringify(q)}`);
            shown++;
          }
        }
      });
      break;
    case 'vector': {
      const av = a!.result as VectorEl[];
      const ev = e!.result as VectorEl[];
      const cmp = (x: VectorEl, y: VectorEl, key: string) => {
        if (x.value[0] !== y.value[0] || x.value[1] !== y.value[1])
          push(`${key}: ${JSON.stringify(x.value)} != expected ${JSON.stringify(y.value)}`);
      };
      if (opts.ordered) {
        diffOrdered(av, ev, push);
        diffSeriesLists(byLabels(av), byLabels(ev), push, cmp);
      } else diffSeriesLists(byLabels(av), byLabels(ev), push, cmp);
      break;
    }
    default: {
      const x = JSON.stringify(a!.result);
      const y = JSON.stringify(e!.result);
      if (x !== y) push(`${e!.resultType} ${x} != expected ${y}`);
    }
  }
  return diffs;
}

function diffSeriesLists<T extends { metric: Metric }>(
  actual: readonly T[],
  expected: readonly T[],
  push: (s: string) => void,
  each: (a: T, e: T, key: string) => void,
): void {
  const am = new Map(actual.map((x) => [labelsKey(x.metric), x]));
  const em = new Map(expected.map((x) => [labelsKey(x.metric), x]));
  if (am.size !== actual.length) push(`duplicate label sets in the answer (${actual.length} series, ${am.size} distinct)`);
  for (const [key, x] of em) {
    const y = am.get(key);
    if (y === undefined) push(`missing series ${key}`);
    else each(y, x, key);
  }
  for (const key of am.keys()) if (!em.has(key)) push(`unexpected series ${key}`);
}

/** Same order, except runs of equal values, which may be permuted. */
function diffOrdered(actual: readonly VectorEl[], expected: readonly VectorEl[], push: (s: string) => void): void {
  const runs = (xs: readonly VectorEl[]) => {
    const out: { value: string; keys: string[] }[] = [];
    for (const x of xs) {
      const last = out[out.length - 1];
      if (last && last.value === x.value[1]) last.keys.push(labelsKey(x.metric));
      else out.push({ value: x.value[1], keys: [labelsKey(x.metric)] });
    }
    return out.map((r) => `${r.value}:${r.keys.sort().join('|')}`);
  };
  const a = runs(actual);
  const e = runs(expected);
  if (a.join('\n') !== e.join('\n')) push(`order differs: ${actual.map((x) => x.value[1]).join(',')} vs expected ${expected.map((x) => x.value[1]).join(',')}`);
}

/** Label sets (from /api/v1/series) as sorted canonical keys. */
export function diffLabelSets(actual: readonly Metric[], expected: readonly Metric[]): string[] {
  const a = actual.map(labelsKey).sort();
  const e = expected.map(labelsKey).sort();
  const diffs: string[] = [];
  const as = new Set(a);
  const es = new Set(e);
  if (as.size !== a.length) diffs.push(`duplicate series in the answer (${a.length} entries, ${as.size} distinct)`);
  for (const k of es) if (!as.has(k)) diffs.push(`missing ${k}`);
  for (const k of as) if (!es.has(k)) diffs.push(`unexpected ${k}`);
  return diffs.slice(0, 6);
}
