/**
 * The frontend's results caches behind one interface: in memory (least recently used entries go
 * first), or in a memcached or Redis shared by several frontends. A shared cache that fails never
 * fails a request: the lookup is a miss, the store is dropped, a warning is logged, and after a
 * failure that server is left alone for a few seconds (as Thanos' circuit breaker does) so a hung
 * server costs one timeout, not one per request, and the other servers go on serving their keys.
 */
import { createHash } from 'node:crypto';
import { compressSync, uncompressSync } from 'snappy';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import type { InMemoryCacheConfig } from './cache-config.js';

export type CacheBackendName = 'in-memory' | 'memcached' | 'redis';

export interface ResultsCache<V> {
  readonly backend: CacheBackendName;
  /** The value stored under key; undefined when there is none or the cache cannot be asked. Never rejects. */
  get(key: string): Promise<V | undefined>;
  /** Stores in the background; never throws. */
  put(key: string, value: V): void;
  /** Keys held, when the backend knows (in memory). */
  readonly entries: number | undefined;
  close(): Promise<void>;
}

/** A shared byte cache (memcached, Redis); its operations reject on failure or timeout. */
export interface ByteStore {
  readonly backend: 'memcached' | 'redis';
  /** The server that holds `key` (each has its own circuit breaker); '' for a single server. */
  serverOf(key: string): string;
  /** Items larger than this are not stored (memcached's item size limit). */
  readonly maxItemBytes: number;
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface Codec<V> {
  encode(value: V): Buffer;
  /** May hand the work to a worker thread (large extents). */
  decode(bytes: Buffer): V | Promise<V>;
  /** Approximate bytes held in memory (for the in-memory size limit). */
  size(value: V): number;
}

export class InMemoryCache<V> implements ResultsCache<V> {
  readonly backend = 'in-memory';
  private readonly map = new Map<string, { value: V; bytes: number; stored: number }>();
  private bytes = 0;

  constructor(
    private readonly config: InMemoryCacheConfig,
    private readonly sizeOf: (value: V) => number,
    private readonly now: () => number = Date.now,
  ) {}

  get entries(): number {
    return this.map.size;
  }

  /** Synchronous lookup (the in-memory cache needs no I/O). */
  getNow(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (this.config.validityMs > 0 && this.now() - e.stored > this.config.validityMs) {
      this.delete(key);
      return undefined;
    }
    // Most recently used last.
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  get(key: string): Promise<V | undefined> {
    return Promise.resolve(this.getNow(key));
  }

  put(key: string, value: V): void {
    this.delete(key);
    const bytes = key.length + this.sizeOf(value);
    if (this.config.maxSizeBytes > 0 && bytes > this.config.maxSizeBytes) return;
    this.map.set(key, { value, bytes, stored: this.now() });
    this.bytes += bytes;
    for (const [k] of this.map) {
      const over = (this.config.maxSizeBytes > 0 && this.bytes > this.config.maxSizeBytes) || (this.config.maxSizeItems > 0 && this.map.size > this.config.maxSizeItems);
      if (!over) break;
      this.delete(k);
    }
  }

  async close(): Promise<void> {
    this.map.clear();
    this.bytes = 0;
  }

  private delete(key: string): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.bytes -= e.bytes;
  }
}

export class CacheMetrics {
  readonly failures: Counter<'backend' | 'operation'>;
  readonly skipped: Counter<'backend'>;

  constructor(registry: Registry) {
    this.failures = new Counter({
      name: 'promdedup_frontend_cache_operation_failures_total',
      help: 'Shared results cache operations that failed or timed out (the request went on without the cache).',
      labelNames: ['backend', 'operation'],
      registers: [registry],
    });
    this.skipped = new Counter({ name: 'promdedup_frontend_cache_set_skipped_total', help: 'Results not stored because they exceed the backend\'s item size limit.', labelNames: ['backend'], registers: [registry] });
  }
}

export interface RemoteCacheOptions {
  readonly name: string; // which cache, in logs: "query_range", "labels"
  readonly expirationMs: number;
  readonly compression: 'none' | 'snappy';
  readonly logger: Logger;
  readonly metrics: CacheMetrics;
  /** How long the backend is left alone after a failure. */
  readonly openMs?: number;
  readonly now?: () => number;
}

const FORMAT_PLAIN = 0;
const FORMAT_SNAPPY = 1;

/**
 * A ResultsCache over a shared ByteStore. Keys are hashed (memcached allows 250 bytes without
 * spaces); the full key is stored with the value and checked on read, so a hash collision is a miss.
 */
/** A server's circuit breaker: left alone until `openUntil` after a failure, then probed by one call at a time. */
interface Breaker {
  openUntil: number;
  probing: boolean;
}

export class RemoteCache<V> implements ResultsCache<V> {
  readonly backend: 'memcached' | 'redis';
  readonly entries = undefined;
  private readonly breakers = new Map<string, Breaker>();

  constructor(
    private readonly store: ByteStore,
    private readonly codec: Codec<V>,
    private readonly opts: RemoteCacheOptions,
  ) {
    this.backend = store.backend;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private breaker(server: string): Breaker {
    let b = this.breakers.get(server);
    if (b === undefined) {
      b = { openUntil: 0, probing: false };
      this.breakers.set(server, b);
    }
    return b;
  }

  /** False while the server is left alone after a failure; then one call at a time probes it. */
  private admit(b: Breaker): boolean {
    if (b.openUntil === 0) return true;
    if (this.now() < b.openUntil || b.probing) return false;
    b.probing = true;
    return true;
  }

  private succeeded(b: Breaker, server: string): void {
    if (b.openUntil !== 0) this.opts.logger.info('results cache reachable again', { cache: this.opts.name, backend: this.backend, ...(server !== '' ? { server } : {}) });
    b.openUntil = 0;
    b.probing = false;
  }

  private failed(b: Breaker, server: string, operation: 'get' | 'set', err: unknown): void {
    this.opts.metrics.failures.inc({ backend: this.backend, operation });
    const wasOpen = b.openUntil !== 0;
    b.openUntil = this.now() + (this.opts.openMs ?? 5_000);
    b.probing = false;
    if (!wasOpen) {
      this.opts.logger.warn('results cache unavailable; answering without it', {
        cache: this.opts.name,
        backend: this.backend,
        ...(server !== '' ? { server } : {}),
        operation,
        err: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private storeKey(key: string): string {
    return `fe:${createHash('sha256').update(key).digest('base64url')}`;
  }

  async get(key: string): Promise<V | undefined> {
    const storeKey = this.storeKey(key);
    const server = this.store.serverOf(storeKey);
    const b = this.breaker(server);
    if (!this.admit(b)) return undefined;
    let bytes: Buffer | undefined;
    try {
      bytes = await this.store.get(storeKey);
    } catch (err) {
      this.failed(b, server, 'get', err);
      return undefined;
    }
    this.succeeded(b, server);
    if (bytes === undefined || bytes.length < 5) return undefined;
    try {
      const keyLen = bytes.readUInt32LE(1);
      if (bytes.toString('utf8', 5, 5 + keyLen) !== key) return undefined;
      const payload = bytes.subarray(5 + keyLen);
      return await this.codec.decode(bytes[0] === FORMAT_SNAPPY ? (uncompressSync(payload) as Buffer) : payload);
    } catch {
      // Written by something else, or damaged: a miss.
      return undefined;
    }
  }

  put(key: string, value: V): void {
    const storeKey = this.storeKey(key);
    const server = this.store.serverOf(storeKey);
    const b = this.breaker(server);
    if (!this.admit(b)) return;
    const payload = this.codec.encode(value);
    const body = this.opts.compression === 'snappy' ? compressSync(payload) : payload;
    const keyBytes = Buffer.from(key);
    const header = Buffer.alloc(5);
    header[0] = this.opts.compression === 'snappy' ? FORMAT_SNAPPY : FORMAT_PLAIN;
    header.writeUInt32LE(keyBytes.length, 1);
    const item = Buffer.concat([header, keyBytes, body]);
    if (item.length > this.store.maxItemBytes) {
      this.opts.metrics.skipped.inc({ backend: this.backend });
      b.probing = false;
      return;
    }
    this.store.set(storeKey, item, this.opts.expirationMs).then(
      () => this.succeeded(b, server),
      (err: unknown) => this.failed(b, server, 'set', err),
    );
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
