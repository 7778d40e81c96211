/**
 * A, AAAA and SRV lookups for endpoint discovery. As Thanos' DNS provider, a lookup that fails
 * (timeout, SERVFAIL, refused) answers with the name's last good records, so that a flaky DNS
 * server does not make endpoints disappear; "no such name" and "no records" are answers, not
 * failures, and empty the result.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface SrvTarget {
  /** The target host, without trailing dot. */
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** A lookup's records; on failure the last good ones (or none), with the error. */
export interface LookupResult<T> {
  readonly records: readonly T[];
  readonly error?: Error;
}

/** What discovery needs of DNS; DnsResolver is the real one. */
export interface NameResolver {
  /** A and AAAA records of `host` (an IP literal is its own answer). */
  addresses(host: string): Promise<LookupResult<string>>;
  srv(name: string): Promise<LookupResult<SrvTarget>>;
  /** Ends the lookups in flight (they answer as failed). */
  cancel(): void;
}

export interface DnsResolverOptions {
  /** DNS servers as `ip` or `ip:port` (`[ip6]:port`); default: the system's. */
  readonly servers?: readonly string[];
  /** Per try; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Default 2. */
  readonly tries?: number;
  /** Last good records of names not looked up for this long are forgotten; default 1 h. */
  readonly forgetAfterMs?: number;
}

type RecordType = 'A' | 'AAAA' | 'SRV';

interface Remembered {
  records: readonly unknown[];
  usedAt: number;
  error: Error | undefined;
}

export interface LookupFailure {
  readonly type: RecordType;
  readonly name: string;
  readonly error: Error;
}

/** Answers that mean the name has no such records (NXDOMAIN, NODATA). */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

export class DnsResolver implements NameResolver {
  private readonly resolver: Resolver;
  private readonly remembered = new Map<string, Remembered>();
  private readonly forgetAfterMs: number;
  private lastSweep = performance.now();

  constructor(options: DnsResolverOptions = {}) {
    this.resolver = new Resolver({ timeout: options.timeoutMs ?? 5000, tries: options.tries ?? 2 });
    if (options.servers) this.resolver.setServers([...options.servers]);
    this.forgetAfterMs = options.forgetAfterMs ?? 3_600_000;
  }

  async addresses(host: string): Promise<LookupResult<string>> {
    if (isIP(host)) return { records: [host] };
    const [v4, v6] = await Promise.all([
      this.lookup('A', host, (n) => this.resolver.resolve4(n)),
      this.lookup('AAAA', host, (n) => this.resolver.resolve6(n)),
    ]);
    const records = [...new Set([...v4.records, ...v6.records])];
    const error = v4.error ?? v6.error;
    return error ? { records, error } : { records };
  }

  async srv(name: string): Promise<LookupResult<SrvTarget>> {
    return this.lookup('SRV', name, async (n) =>
      (await this.resolver.resolveSrv(n)).map((r) => ({ name: r.name.replace(/\.$/, ''), port: r.port, priority: r.priority, weight: r.weight })),
    );
  }

  cancel(): void {
    this.resolver.cancel();
  }

  /** The names whose last lookup failed. */
  failures(): LookupFailure[] {
    const out: LookupFailure[] = [];
    for (const [key, r] of this.remembered) {
      if (!r.error) continue;
      const space = key.indexOf(' ');
      out.push({ type: key.slice(0, space) as RecordType, name: key.slice(space + 1), error: r.error });
    }
    return out;
  }

  private async lookup<T>(type: RecordType, name: string, query: (name: string) => Promise<T[]>): Promise<LookupResult<T>> {
    const key = `${type} ${name.toLowerCase().replace(/\.$/, '')}`;
    const now = performance.now();
    this.sweep(now);
    let entry = this.remembered.get(key);
    if (!entry) this.remembered.set(key, (entry = { records: [], usedAt: now, error: undefined }));
    entry.usedAt = now;
    try {
      entry.records = await query(name);
      entry.error = undefined;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && NO_RECORDS.has(code)) {
        entry.records = [];
        entry.error = undefined;
      } else {
        entry.error = new Error(`${type} lookup of ${name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        return { records: entry.records as T[], error: entry.error };
      }
    }
    return { records: entry.records as T[] };
  }

  /** Forgets names no longer looked up (targets of SRV records churn, e.g. pods), at most once a minute. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, r] of this.remembered) if (now - r.usedAt > this.forgetAfterMs) this.remembered.delete(key);
  }
}
