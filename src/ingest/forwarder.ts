/**
 * Sends accepted remote-write requests to every --remote-write.url on kept-alive connections and
 * folds the answers into one status for the sender: all 2xx → accepted; any 5xx, 429 or network
 * error → 5xx (the sender retries, nothing is lost); another 4xx → passed back with its reason.
 */
import { Agent, request, type Dispatcher } from 'undici';

export interface ForwardTarget {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** TLS to the targets (PEM contents, not paths). */
export interface ForwardTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecureSkipVerify?: boolean;
}

export interface ForwardOutcome {
  /** The status for the sender. */
  readonly status: number;
  /** Why, when not accepted (downstream reasons, one per failed target). */
  readonly message: string;
}

export class Forwarder {
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly targets: readonly ForwardTarget[],
    private readonly timeoutMs = 30_000,
    tls: ForwardTls = {},
  ) {
    this.dispatcher = new Agent({
      keepAliveTimeout: 60_000,
      connections: 64,
      pipelining: 1,
      connect: {
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
        ...(tls.insecureSkipVerify === true ? { rejectUnauthorized: false } : {}),
      },
    });
  }

  /** `body`: the snappy-compressed message; `headers`: Content-Type and version headers to pass on. */
  async forward(body: Uint8Array, headers: Readonly<Record<string, string>>): Promise<ForwardOutcome> {
    const results = await Promise.all(this.targets.map((t) => this.send(t, body, headers)));
    const failed = results.filter((r) => r.status < 200 || r.status >= 300);
    if (failed.length === 0) return { status: 204, message: '' };
    // A retryable failure anywhere wins: the sender must retry (targets that took it see a duplicate, which they ignore).
    const retry = failed.find((r) => r.status >= 500 || r.status === 429);
    const status = retry === undefined ? failed[0]!.status : retry.status >= 500 ? retry.status : 503;
    return { status, message: failed.map((f) => f.message).join('; ') };
  }

  private async send(t: ForwardTarget, body: Uint8Array, headers: Readonly<Record<string, string>>): Promise<{ status: number; message: string }> {
    try {
      const res = await request(t.url, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { ...headers, ...t.headers, 'content-encoding': 'snappy', 'user-agent': 'promdedup-ingest' },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = (await res.body.text()).slice(0, 1024).trim();
      return { status: res.statusCode, message: res.statusCode >= 300 ? `${t.url}: HTTP ${res.statusCode}${text !== '' ? `: ${text}` : ''}` : '' };
    } catch (err) {
      return { status: 503, message: `${t.url}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }
}
