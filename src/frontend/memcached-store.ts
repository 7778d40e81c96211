/** The results cache in memcached (memjs, binary protocol), keys spread over the servers by hash. */
import memjs from 'memjs';
import type { MemcachedCacheConfig } from './cache-config.js';
import type { ByteStore } from './results-cache.js';

/** memcached's relative expirations stop at 30 days; beyond that it reads a Unix time. */
const MAX_RELATIVE_S = 30 * 86_400;

export class MemcachedStore implements ByteStore {
  readonly backend = 'memcached';
  readonly maxItemBytes: number;
  private readonly client: memjs.Client<Buffer, Buffer | null>;

  constructor(config: MemcachedCacheConfig) {
    this.maxItemBytes = config.maxItemSizeBytes;
    this.client = memjs.Client.create<Buffer, Buffer | null>(config.addresses.join(','), {
      timeout: config.timeoutMs / 1000,
      conntimeout: (2 * config.timeoutMs) / 1000,
      // One attempt: a failure is a cache miss, and the caller's circuit breaker takes it from there.
      retries: 0,
      failover: false,
      keepAlive: true,
      // memjs would print each failure; RemoteCache logs them once per outage.
      logger: { log: () => {} },
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    const { value } = await this.client.get(key);
    return value ?? undefined;
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const seconds = Math.ceil(ttlMs / 1000);
    await this.client.set(key, value, { expires: seconds > MAX_RELATIVE_S ? Math.floor(Date.now() / 1000) + seconds : seconds });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
