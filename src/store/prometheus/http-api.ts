/**
 * Prometheus HTTP API calls a store needs besides remote read: the config (for external labels),
 * label names/values, series and metadata. JSON in, typed values out; errors carry the HTTP status
 * and the start of the body.
 */
import { request, type Dispatcher } from 'undici';
import { parse as parseYaml } from 'yaml';
import { labelsFromRecord, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../model/matcher.js';
import { bodySnippet, describeError, RemoteReadError } from './remote-read.js';

export interface ApiContext {
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  readonly headers?: Record<string, string>;
}

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
  let env: ApiEnvelope<T>;
  try {
    env = (await res.body.json()) as ApiEnvelope<T>;
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw new RemoteReadError(`${ctx.baseUrl + path}: invalid JSON response: ${describeError(err)}`);
  }
  if (env.status !== 'success' || env.data === undefined) {
    throw new RemoteReadError(`${ctx.baseUrl + path}: ${env.errorType ?? 'error'}: ${env.error ?? 'no data'}`);
  }
  return env.data;
}

/** Reads `global.external_labels` from /api/v1/status/config. */
export async function fetchExternalLabels(ctx: ApiContext, signal?: AbortSignal): Promise<Labels> {
  const data = await apiCall<{ yaml: string }>(ctx, '/api/v1/status/config', [], signal);
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
