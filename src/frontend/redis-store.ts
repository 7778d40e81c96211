/**
 * The results cache in Redis (ioredis), directly or through Sentinel (master_name). Commands fail
 * at once while Redis is unreachable (no offline queue) and time out after read_timeout, so a lost
 * Redis costs a miss, not a wait.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisCacheConfig } from './cache-config.js';
import type { ByteStore } from './results-cache.js';

function hostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address.trim());
  if (m === null) throw new Error(`redis address ${JSON.stringify(address)}: expected host:port`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

export class RedisStore implements ByteStore {
  readonly backend = 'redis';
  readonly maxItemBytes = 512 << 20; // Redis' own limit for a string value
  private readonly redis: Redis;

  constructor(private readonly config: RedisCacheConfig) {
    const tls = config.tls;
    const options: RedisOptions = {
      db: config.db,
      connectTimeout: config.dialTimeoutMs,
      commandTimeout: Math.max(config.readTimeoutMs, config.writeTimeoutMs),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Keep reconnecting: a Redis restart must not need a frontend restart.
      retryStrategy: (times: number) => Math.min(100 * times, 2_000),
      ...(config.username !== '' ? { username: config.username } : {}),
      ...(config.password !== '' ? { password: config.password } : {}),
      ...(tls !== null
        ? {
            tls: {
              rejectUnauthorized: !tls.insecureSkipVerify,
              ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
              ...(tls.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
              ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
            },
          }
        : {}),
    };
    if (config.masterName !== '') {
      options.sentinels = config.addr.split(',').map(hostPort);
      options.name = config.masterName;
    } else Object.assign(options, hostPort(config.addr));
    this.redis = new Redis(options);
    // Failures surface on the commands; the client's own 'error' events would otherwise be unhandled.
    this.redis.on('error', () => {});
  }

  serverOf(): string {
    return '';
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(this.config.prefix + key)) ?? undefined;
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.redis.set(this.config.prefix + key, value, 'PX', ttlMs);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
