import { ApiError } from './errors.js';
import { parseDuration } from '../promql/parser.js';

/**
 * Request parameters from the URL query string and a form body, merged as Go's `r.Form` does:
 * body values first (so they win for single-valued parameters), then URL values. Grafana puts
 * custom parameters such as `dedup=false` in the URL of a POST whose body holds the query.
 */
export class Params {
  private readonly values = new Map<string, string[]>();

  constructor(...sources: URLSearchParams[]) {
    for (const source of sources) {
      for (const [k, v] of source) {
        const list = this.values.get(k);
        if (list) list.push(v);
        else this.values.set(k, [v]);
      }
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  getAll(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

/** Smallest and largest times Prometheus accepts, used as defaults for metadata endpoints. */
export const MIN_TIME_MS = -9_223_372_036_854; // ~ math.MinInt64 / 1e6, as Prometheus' minTime
export const MAX_TIME_MS = 9_223_372_036_854;
/** How Prometheus formats its minimum and maximum times (RFC 3339 with 9-digit years). */
const MIN_TIME_TEXT = '-292273086-05-16T16:47:06Z';
const MAX_TIME_TEXT = '292277025-08-18T07:12:54.999999999Z';

/**
 * Prometheus' parseTime: float Unix seconds (fraction rounded to ms) or RFC 3339. Returns ms.
 */
export function parseTime(name: string, text: string): number {
  // Go's time parser only takes 4-digit years; Prometheus special-cases its own boundary times,
  // which Go clients (client_golang) send for "no bound".
  if (text === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (text === MAX_TIME_TEXT) return MAX_TIME_MS;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const seconds = Number(text);
    const whole = Math.trunc(seconds);
    const ms = Math.round((seconds - whole) * 1000);
    const result = whole * 1000 + ms;
    // Prometheus' times are int64 nanoseconds: beyond ±292 years around 1970 they wrap. Refuse.
    if (Number.isFinite(result) && result >= MIN_TIME_MS && result <= MAX_TIME_MS) return result;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ApiError(
    'bad_data',
    `invalid parameter "${name}": Invalid time value for '${name}': cannot parse "${text}" to a valid timestamp`,
  );
}

/**
 * Prometheus' parseDuration for API parameters: float seconds or a duration string. Returns ns, as
 * Go's time.Duration: float seconds are truncated toward zero to whole nanoseconds.
 */
export function parseDurationParamNs(name: string, text: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const ns = Math.trunc(Number(text) * 1e9);
    if (Number.isFinite(ns) && Math.abs(ns) < 2 ** 63) return ns;
    throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse "${text}" to a valid duration. It overflows int64`);
  }
  try {
    return parseDuration(text) * 1e6;
  } catch {
    throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse "${text}" to a valid duration`);
  }
}

/** ns to ms as Prometheus' engine does (integer division, truncating toward zero). */
export function nsToMs(ns: number): number {
  return Number.isSafeInteger(ns) ? Math.trunc(ns / 1e6) : Number(BigInt(ns) / 1_000_000n);
}

/** parseDurationParamNs in ms (truncated): `step=1.0005` is a 1000 ms step, as in Prometheus. */
export function parseDurationParam(name: string, text: string): number {
  return nsToMs(parseDurationParamNs(name, text));
}

/** Go's strconv.ParseBool, as Thanos reads `dedup` and `partial_response`. */
export function parseBoolParam(name: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined || text === '') return fallback;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse "${text}" as a boolean`);
}

export function parseLimitParam(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    throw new ApiError('bad_data', `invalid parameter "limit": limit must be a non-negative integer`);
  }
  return n;
}
