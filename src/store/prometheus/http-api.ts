/**
 * Prometheus HTTP API calls a store needs besides remote read: the config (for external labels),
 * label names/values, series and metadata. JSON in, typed values out; errors carry the HTTP status
 * and the start of the body.
 */
import { request, type Dispatcher } from 'undici';
import { parse as parseYaml } from 'yaml';
import { labelsFromRecord, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../model/matcher.js';
import { describeError } from '../../model/errors.js';
import { bodySnippet, RemoteReadError } from './remote-read.js';

export interface ApiContext {
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  readonly headers?: Record<string, string>;
  /** Largest JSON answer accepted (default 256 MiB). */
  readonly maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** Earliest / latest timestamps worth sending; outside them the parameter is left out. */
const MIN_SENT_MS = -62135596800000; // 0001-01-01
const MAX_SENT_MS = 253402300799000; // 9999-12-31

export function formatTime(ms: number): string | null {
  if (!Number.isFinite(ms) || ms <= MIN_SENT_MS || ms >= MAX_SENT_MS) return null;
  return (ms / 1000).toFixed(3);
}

/** `{a="1",b=~"x.*"}` from matchers (label values JSON-quoted, which PromQL accepts). */
export function formatSelector(matchers: readonly Pick<LabelMatcher, 'type' | 'name' | 'value'>[]): string {
  return '{' + matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(',') + '}';
}

interface ApiEnvelope<T> {
  status: string;
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

/**
 * GET (or POST as a form when the query string is long and `postable`) `path` with `params`;
 * returns `data` of the JSON envelope.
 */
export async function apiCall<T>(
  ctx: ApiContext,
  path: string,
  params: [string, string][],
  signal: AbortSignal | undefined,
  postable = false,
  check?: DataCheck,
): Promise<T> {
  const qs = new URLSearchParams(params).toString();
  const usePost = postable && qs.length > 4096;
  const url = ctx.baseUrl + path + (!usePost && qs ? '?' + qs : '');
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: usePost ? 'POST' : 'GET',
      dispatcher: ctx.dispatcher,
      signal,
      headers: {
        accept: 'application/json',
        'user-agent': 'promdedup',
        ...(usePost ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...ctx.headers,
      },
      ...(usePost ? { body: qs } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw new RemoteReadError(`GET ${ctx.baseUrl + path}: ${describeError(err)}`);
  }
  if (res.statusCode < 200 || res.statusCode > 299) {
    const snippet = await bodySnippet(res.body);
    throw new RemoteReadError(`${ctx.baseUrl + path}: HTTP ${res.statusCode}${snippet ? ': ' + snippet : ''}`, res.statusCode);
  }
  const limit = ctx.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  let env: ApiEnvelope<T> | null;
  try {
    const parts: Buffer[] = [];
    let n = 0;
    for await (const piece of res.body) {
      const b = piece as Buffer;
      n += b.length;
      if (n > limit) {
        res.body.destroy();
        throw new RemoteReadError(`${ctx.baseUrl + path}: response larger than ${limit} bytes`);
      }
      parts.push(b);
    }
    env = JSON.parse(Buffer.concat(parts, n).toString('utf8')) as ApiEnvelope<T> | null;
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    if (err instanceof RemoteReadError) throw err;
    throw new RemoteReadError(`${ctx.baseUrl + path}: invalid JSON response: ${describeError(err)}`);
  }
  if (env === null || typeof env !== 'object' || env.status !== 'success' || env.data === undefined) {
    throw new RemoteReadError(`${ctx.baseUrl + path}: ${env?.errorType ?? 'error'}: ${env?.error ?? 'no data'}`);
  }
  if (check !== undefined && !check(env.data)) {
    throw new RemoteReadError(`${ctx.baseUrl + path}: unexpected response: data is not ${check.expected}`);
  }
  return env.data;
}

/** A shape test for an API answer's `data`, with what it expects for the error message. */
export interface DataCheck {
  (data: unknown): boolean;
  readonly expected: string;
}

function dataCheck(expected: string, test: (data: unknown) => boolean): DataCheck {
  return Object.assign(test, { expected });
}

const isStringRecord = (x: unknown): boolean =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === 'string');

export const STRING_LIST = dataCheck('a list of strings', (d) => Array.isArray(d) && d.every((x) => typeof x === 'string'));
export const LABEL_SETS = dataCheck('a list of label sets', (d) => Array.isArray(d) && d.every(isStringRecord));
export const METADATA = dataCheck(
  'a map of metric metadata lists',
  (d) =>
    typeof d === 'object' &&
    d !== null &&
    !Array.isArray(d) &&
    Object.values(d).every(
      (list) =>
        Array.isArray(list) &&
        list.every(
          (e) =>
            typeof e === 'object' &&
            e !== null &&
            ['type', 'help', 'unit'].every((k) => (e as Record<string, unknown>)[k] === undefined || typeof (e as Record<string, unknown>)[k] === 'string'),
        ),
    ),
);
export const CONFIG = dataCheck('a config', (d) => typeof d === 'object' && d !== null && typeof (d as { yaml?: unknown }).yaml === 'string');

/** Reads `global.external_labels` from /api/v1/status/config. */
export async function fetchExternalLabels(ctx: ApiContext, signal?: AbortSignal): Promise<Labels> {
  const data = await apiCall<{ yaml: string }>(ctx, '/api/v1/status/config', [], signal, false, CONFIG);
  return parseExternalLabels(data.yaml);
}

export function parseExternalLabels(yamlText: string): Labels {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw new RemoteReadError(`cannot parse Prometheus config YAML: ${describeError(err)}`);
  }
  const global = (doc as { global?: { external_labels?: unknown } } | null)?.global;
  const ext = global?.external_labels;
  if (ext === undefined || ext === null) return [];
  if (typeof ext !== 'object' || Array.isArray(ext)) throw new RemoteReadError('global.external_labels is not a map');
  const rec: Record<string, string> = {};
  for (const [k, v] of Object.entries(ext as Record<string, unknown>)) rec[k] = String(v);
  return labelsFromRecord(rec);
}

const BUILD_INFO = dataCheck('build info', (d) => typeof d === 'object' && d !== null && typeof (d as { version?: unknown }).version === 'string');

/** The server's version from /api/v1/status/buildinfo, e.g. "2.42.0". */
export async function fetchVersion(ctx: ApiContext, signal?: AbortSignal): Promise<string> {
  const data = await apiCall<{ version: string }>(ctx, '/api/v1/status/buildinfo', [], signal, false, BUILD_INFO);
  return data.version;
}
