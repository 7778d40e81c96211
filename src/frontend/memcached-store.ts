/**
 * The results cache in memcached (memjs, binary protocol): one client per server, keys spread over
 * the servers by jump consistent hash (as Thanos' memcached client spreads them), so a server that
 * is down costs only its share of the keys.
 */
import { createHash } from 'node:crypto';
import memjs from 'memjs';
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

export class MemcachedStore implements ByteStore {
  readonly backend = 'memcached';
  readonly maxItemBytes: number;
  private readonly addresses: readonly string[];
  private readonly clients: memjs.Client<Buffer, Buffer | null>[];

  constructor(config: MemcachedCacheConfig) {
    this.maxItemBytes = config.maxItemSizeBytes;
    this.addresses = config.addresses;
    this.clients = config.addresses.map((address) =>
      memjs.Client.create<Buffer, Buffer | null>(address, {
        timeout: config.timeoutMs / 1000,
        conntimeout: (2 * config.timeoutMs) / 1000,
        // One attempt: a failure is a cache miss, and the caller's circuit breaker takes it from there.
        retries: 0,
        failover: false,
        keepAlive: true,
        // memjs would print each failure; RemoteCache logs them once per outage.
        logger: { log: () => {} },
      }),
    );
  }

  private index(key: string): number {
    if (this.clients.length === 1) return 0;
    return jumpHash(createHash('sha1').update(key).digest().readBigUInt64LE(0), this.clients.length);
  }

  serverOf(key: string): string {
    return this.addresses[this.index(key)]!;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const { value } = await this.clients[this.index(key)]!.get(key);
    return value ?? undefined;
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const seconds = Math.ceil(ttlMs / 1000);
    await this.clients[this.index(key)]!.set(key, value, { expires: seconds > MAX_RELATIVE_S ? Math.floor(Date.now() / 1000) + seconds : seconds });
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.close();
  }
}
