/** The downstream Prometheus-compatible API, over kept-alive undici connections. */
import { Agent, request, type Dispatcher } from 'undici';

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
  private readonly agent = new Agent({ keepAliveTimeout: 90_000, connections: 128, pipelining: 1 });
  readonly base: URL;

  constructor(url: string) {
    this.base = new URL(url.endsWith('/') ? url.slice(0, -1) : url);
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
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    return { statusCode: res.statusCode, headers: forwardableHeaders(res.headers), body: res.body };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
