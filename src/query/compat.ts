import { request } from 'undici';
import type { PromQLCompat } from '../promql/types.js';

/**
 * Follows the endpoints' Prometheus major version, so answers match what users get from their own
 * Prometheus servers: 2.x and 3.x differ at window boundaries and in a few functions.
 * 3.x semantics apply unless every endpoint that answered is a 2.x server.
 */
export class CompatDetector {
  private current: PromQLCompat = '3';
  private withAnnotations = true;
  private known = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly mode: 'auto' | PromQLCompat,
    private readonly endpoints: readonly string[],
    private readonly refreshMs = 30_000,
  ) {
    if (mode !== 'auto') {
      this.current = mode;
      this.known = true;
    }
  }

  compat(): PromQLCompat {
    return this.current;
  }

  /**
   * PromQL annotations (warnings such as "quantile value should be between 0 and 1") arrived in
   * Prometheus 2.48; older servers answer the same queries without them. Auto mode reports them
   * unless every endpoint that answered is older than 2.48.
   */
  annotations(): boolean {
    return this.withAnnotations;
  }

  async start(): Promise<void> {
    if (this.mode !== 'auto') return;
    await this.detect();
    this.timer = setInterval(() => void this.detect(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async detect(): Promise<void> {
    const versions = await Promise.all(this.endpoints.map((url) => fetchVersion(url)));
    const seen = versions.filter((v): v is string => v !== null);
    if (seen.length === 0) return; // keep the last verdict until someone answers
    this.current = seen.every((v) => v.startsWith('2.')) ? '2' : '3';
    this.withAnnotations = !seen.every((v) => hasNoAnnotations(v));
    this.known = true;
  }

  get detected(): boolean {
    return this.known;
  }
}

/** True for a Prometheus version before 2.48.0 (no PromQL annotations); unparsable versions count as new. */
export function hasNoAnnotations(version: string): boolean {
  const m = /^(\d+)\.(\d+)\./.exec(version);
  if (m === null) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major < 2 || (major === 2 && minor < 48);
}

async function fetchVersion(base: string): Promise<string | null> {
  try {
    const res = await request(`${base.replace(/\/+$/, '')}/api/v1/status/buildinfo`, {
      signal: AbortSignal.timeout(5000),
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return null;
    }
    const body = (await res.body.json()) as { data?: { version?: unknown } };
    return typeof body.data?.version === 'string' ? body.data.version : null;
  } catch {
    return null;
  }
}
