/**
 * The results cache in memcached (memjs, binary protocol): one client per server, keys spread over
 * the servers by jump consistent hash (as Thanos' memcached client spreads them), so a server that
 * is down costs only its share of the keys. Addresses with Thanos' DNS discovery prefixes
 * (`dns+`, `dnssrv+`, `dnssrvnoa+`) are looked up at start and every `dns_provider_update_interval`;
 * the servers found are sorted, so that frontends seeing the same records spread keys alike.
 */
import { createHash } from 'node:crypto';
import memjs from 'memjs';
import { DnsResolver, type NameResolver } from '../store/discovery/dns.js';
import { resolveSpec } from '../store/discovery/resolve.js';
import { isDynamic, parseEndpointSpec, type EndpointSpec } from '../store/discovery/spec.js';
import type { Logger } from '../util/log.js';
import type { MemcachedCacheConfig } from './cache-config.js';
import type { ByteStore } from './results-cache.js';

/** memcached's relative expirations stop at 30 days; beyond that it reads a Unix time. */
const MAX_RELATIVE_S = 30 * 86_400;

/** Lamping and Veach's jump consistent hash: the bucket in [0, buckets) of a 64-bit key. */
export function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = BigInt.asUintN(64, key);
  while (j < buckets) {
    b = j;
    k = BigInt.asUintN(64, k * 2862933555777941757n + 1n);
    j = Math.floor((b + 1) * (2 ** 31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

type Client = memjs.Client<Buffer, Buffer | null>;

export interface MemcachedStoreOptions {
  /** For the DNS forms; default: the system's DNS servers. */
  readonly resolver?: NameResolver;
  readonly logger?: Logger;
}

export class MemcachedStore implements ByteStore {
  readonly backend = 'memcached';
  readonly maxItemBytes: number;
  private readonly specs: readonly EndpointSpec[];
  private readonly resolver: NameResolver | null;
  private readonly logger: Logger | undefined;
  private servers: readonly string[] = [];
  private clients: Client[] = [];
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly config: MemcachedCacheConfig,
    opts: MemcachedStoreOptions = {},
  ) {
    this.maxItemBytes = config.maxItemSizeBytes;
    this.specs = config.addresses.map((a) => parseEndpointSpec(a, 'address'));
    this.logger = opts.logger;
    if (this.specs.some(isDynamic)) {
      this.resolver = opts.resolver ?? new DnsResolver();
    } else {
      this.resolver = null;
      this.use(config.addresses);
    }
  }

  /** Looks the DNS forms up now (then every dns_provider_update_interval); at once for plain addresses. */
  async start(): Promise<void> {
    if (this.resolver === null || this.closed) return;
    await this.refresh();
    if (this.timer === null && !this.closed) {
      this.timer = setInterval(() => void this.refresh(), this.config.dnsUpdateIntervalMs);
      this.timer.unref();
    }
  }

  /** The servers keys are spread over now. */
  get currentServers(): readonly string[] {
    return this.servers;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const resolved = await Promise.all(this.specs.map((spec) => resolveSpec(spec, this.resolver!)));
        if (this.closed) return;
        for (const err of resolved.flatMap((r) => r.errors)) this.logger?.warn('memcached address lookup failed; keeping its last records', { err: err.message });
        const found = [...new Set(resolved.flatMap((r) => r.endpoints.map((e) => e.address)))].sort();
        if (found.join(',') !== this.servers.join(',')) {
          this.logger?.info('memcached servers', { servers: found.join(','), was: this.servers.join(',') });
          if (found.length === 0) this.logger?.warn('no memcached servers found: every lookup misses until some are', { addresses: this.config.addresses.join(',') });
          this.use(found);
        }
      } catch (err) {
        // Lookups answer failures with the last good records; anything else keeps the servers as they are.
        this.logger?.warn('memcached address lookup failed; keeping the servers as they are', { err: err instanceof Error ? err.message : String(err) });
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Clients for `servers`, keeping those of servers that stay. */
  private use(servers: readonly string[]): void {
    const kept = new Map<string, Client>();
    this.servers.forEach((s, i) => kept.set(s, this.clients[i]!));
    this.clients = servers.map((s) => {
      const c = kept.get(s) ?? this.client(s);
      kept.delete(s);
      return c;
    });
    this.servers = servers;
    for (const gone of kept.values()) gone.close();
  }

  private client(address: string): Client {
    return memjs.Client.create<Buffer, Buffer | null>(address, {
      timeout: this.config.timeoutMs / 1000,
      conntimeout: (2 * this.config.timeoutMs) / 1000,
      // One attempt: a failure is a cache miss, and the caller's circuit breaker takes it from there.
      retries: 0,
      failover: false,
      keepAlive: true,
      // memjs would print each failure; RemoteCache logs them once per outage.
      logger: { log: () => {} },
    });
  }

  /** -1: no servers (yet). */
  private index(key: string): number {
    if (this.clients.length <= 1) return this.clients.length - 1;
    return jumpHash(createHash('sha1').update(key).digest().readBigUInt64LE(0), this.clients.length);
  }

  serverOf(key: string): string {
    return this.servers[this.index(key)] ?? '';
  }

  async get(key: string): Promise<Buffer | undefined> {
    const client = this.clients[this.index(key)];
    if (client === undefined) return undefined;
    const { value } = await client.get(key);
    return value ?? undefined;
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const client = this.clients[this.index(key)];
    if (client === undefined) return;
    const seconds = Math.ceil(ttlMs / 1000);
    await client.set(key, value, { expires: seconds > MAX_RELATIVE_S ? Math.floor(Date.now() / 1000) + seconds : seconds });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.resolver?.cancel();
    for (const c of this.clients) c.close();
    this.clients = [];
    this.servers = [];
  }
}
