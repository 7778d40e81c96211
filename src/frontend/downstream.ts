/** The downstream Prometheus-compatible API, over kept-alive undici connections. */
import { Agent, request, type Dispatcher } from 'undici';
import { DEFAULT_DOWNSTREAM_OPTIONS, type DownstreamOptions } from './tripper-config.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those a proxy recomputes: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length', 'proxy-authorization']);

export type Headers = Record<string, string | string[]>;

export function forwardableHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Headers {
  const out: Headers = {};
  const listed = new Set(
    String(headers['connection'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = v;
  }
  return out;
}

export interface DownstreamResponse {
  readonly statusCode: number;
  readonly headers: Headers;
  readonly body: Dispatcher.ResponseData['body'];
}

export class Downstream {
  private readonly agent: Agent;
  private readonly headersTimeoutMs: number;
  readonly base: URL;

  constructor(url: string, opts: DownstreamOptions = DEFAULT_DOWNSTREAM_OPTIONS) {
    this.base = new URL(url.endsWith('/') ? url.slice(0, -1) : url);
    this.headersTimeoutMs = opts.responseHeaderTimeoutMs;
    this.agent = new Agent({
      keepAliveTimeout: opts.idleConnTimeoutMs,
      connections: opts.maxConnsPerHost > 0 ? opts.maxConnsPerHost : null,
      pipelining: 1,
      connect: { timeout: opts.connectTimeoutMs, ...opts.tls },
    });
  }

  /** `path` includes the query string; it is appended to the downstream URL's own path. */
  async send(method: string, path: string, headers: Headers, body: Buffer | undefined, signal?: AbortSignal): Promise<DownstreamResponse> {
    const prefix = this.base.pathname === '/' ? '' : this.base.pathname;
    const res = await request(`${this.base.origin}${prefix}${path}`, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body !== undefined && body.length > 0 ? body : null,
      dispatcher: this.agent,
      signal: signal ?? null,
      headersTimeout: this.headersTimeoutMs,
      bodyTimeout: 0,
    });
    return { statusCode: res.statusCode, headers: forwardableHeaders(res.headers), body: res.body };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * The downstream's `/api/v1/status/flags` (a Prometheus or a promdedup querier; a Thanos Querier
 * has none), or null when it cannot be had within `timeoutMs`.
 */
export async function downstreamFlags(downstream: Downstream, timeoutMs: number): Promise<Record<string, string> | null> {
  try {
    const res = await downstream.send('GET', '/api/v1/status/flags', { accept: 'application/json' }, undefined, AbortSignal.timeout(timeoutMs));
    if (res.statusCode !== 200) {
      await res.body.dump();
      return null;
    }
    const doc = (await res.body.json()) as { data?: unknown };
    return typeof doc.data === 'object' && doc.data !== null ? (doc.data as Record<string, string>) : null;
  } catch {
    return null;
  }
}
