/**
 * Thanos' response cache YAML (`--query-range.response-cache-config`, `--labels.response-cache-config`):
 * `type: IN-MEMORY | MEMCACHED | REDIS` and its `config`. Unknown fields are refused as Thanos'
 * strict YAML decoding refuses them; fields Thanos has and promdedup does not act on are accepted
 * and listed in docs/query-frontend.md.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseEndpointSpec } from '../store/discovery/spec.js';

export interface InMemoryCacheConfig {
  readonly type: 'in-memory';
  readonly maxSizeBytes: number; // 0: no byte limit
  readonly maxSizeItems: number; // 0: no item limit
  readonly validityMs: number; // 0: no expiry
}

export interface MemcachedCacheConfig {
  readonly type: 'memcached';
  /**
   * host:port of each server, or Thanos' DNS discovery forms (`dns+host:port`, `dnssrv+name`,
   * `dnssrvnoa+name`) looked up every `dnsUpdateIntervalMs`; keys are spread over the servers by hash.
   */
  readonly addresses: readonly string[];
  readonly dnsUpdateIntervalMs: number;
  readonly timeoutMs: number;
  readonly maxIdleConnections: number;
  readonly maxItemSizeBytes: number;
  readonly expirationMs: number;
}

export interface RedisTlsConfig {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly serverName?: string;
  readonly insecureSkipVerify: boolean;
}

export interface RedisCacheConfig {
  readonly type: 'redis';
  /** host:port; with master_name, the comma-separated Sentinel addresses. */
  readonly addr: string;
  readonly prefix: string;
  readonly username: string;
  readonly password: string;
  readonly db: number;
  readonly dialTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly tls: RedisTlsConfig | null;
  readonly masterName: string;
  readonly expirationMs: number;
}

export type CacheConfig = InMemoryCacheConfig | MemcachedCacheConfig | RedisCacheConfig;

const UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KB: 1 << 10, KIB: 1 << 10, MB: 1 << 20, MIB: 1 << 20, GB: 1 << 30, GIB: 1 << 30, TB: 2 ** 40, TIB: 2 ** 40 };

/** Thanos' byte sizes: "256MB", "1GiB", "1024". */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`invalid size ${JSON.stringify(text)}`);
  return Math.floor(Number(m[1]) * unit);
}

/** Default when no cache config is given (see docs/query-frontend.md). */
export const DEFAULT_CACHE_CONFIG: InMemoryCacheConfig = { type: 'in-memory', maxSizeBytes: 256 << 20, maxSizeItems: 0, validityMs: 0 };

const DAY_MS = 86_400_000;

type Raw = Record<string, unknown>;

const FIELDS = {
  'IN-MEMORY': ['max_size', 'max_size_items', 'validity'],
  MEMCACHED: [
    'addresses',
    'timeout',
    'max_idle_connections',
    'max_async_concurrency',
    'max_async_buffer_size',
    'max_get_multi_concurrency',
    'max_item_size',
    'max_get_multi_batch_size',
    'dns_provider_update_interval',
    'auto_discovery',
    'set_async_circuit_breaker_config',
    'expiration',
  ],
  REDIS: [
    'addr',
    'prefix',
    'username',
    'password',
    'db',
    'dial_timeout',
    'read_timeout',
    'write_timeout',
    'max_get_multi_concurrency',
    'get_multi_batch_size',
    'max_set_multi_concurrency',
    'set_multi_batch_size',
    'tls_enabled',
    'tls_config',
    'cache_size',
    'master_name',
    'max_async_buffer_size',
    'max_async_concurrency',
    'set_async_circuit_breaker_config',
    'expiration',
  ],
} as const;

const TLS_FIELDS = ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version'];

function strictFields(where: string, obj: Raw, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new Error(`${where}: field ${k} not found`);
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

function durationField(c: Raw, name: string, parseDuration: (s: string) => number, fallback: number): number {
  const v = c[name];
  if (!present(v)) return fallback;
  const text = String(v);
  try {
    return text === '0' ? 0 : parseDuration(text);
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function intField(c: Raw, name: string, fallback: number): number {
  const v = c[name];
  if (!present(v)) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

function stringField(c: Raw, name: string): string {
  const v = c[name];
  if (!present(v)) return '';
  if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${name}: expected a string`);
  return String(v);
}

const HOST_PORT = /^(?:\[[^\]]+\]|[^\s:,[\]]+):\d{1,5}$/;

function parseMemcached(c: Raw, parseDuration: (s: string) => number): MemcachedCacheConfig {
  const raw = c.addresses;
  if (!Array.isArray(raw) || raw.length === 0) throw new Error('no memcached addresses provided');
  const addresses = raw.map((a) => String(a));
  for (const a of addresses) {
    let spec;
    try {
      spec = parseEndpointSpec(a, 'address');
    } catch (err) {
      throw new Error((err as Error).message.replace('or an http(s):// URL', 'or dnssrvnoa+name'));
    }
    if (spec.kind !== 'grpc') throw new Error(`address ${JSON.stringify(a)}: expected host:port, dns+host:port, dnssrv+name or dnssrvnoa+name`);
  }
  const expiration = durationField(c, 'expiration', parseDuration, 0);
  return {
    type: 'memcached',
    addresses,
    // Thanos' default.
    dnsUpdateIntervalMs: durationField(c, 'dns_provider_update_interval', parseDuration, 10_000) || 10_000,
    timeoutMs: durationField(c, 'timeout', parseDuration, 500) || 500,
    maxIdleConnections: intField(c, 'max_idle_connections', 100) || 100,
    maxItemSizeBytes: present(c.max_item_size) ? parseBytes(String(c.max_item_size)) || 1 << 20 : 1 << 20,
    expirationMs: expiration > 0 ? expiration : DAY_MS,
  };
}

function parseRedis(c: Raw, parseDuration: (s: string) => number, read: (f: string) => Buffer): RedisCacheConfig {
  const addr = stringField(c, 'addr');
  if (addr === '') throw new Error('no redis addr provided');
  const masterName = stringField(c, 'master_name');
  for (const a of masterName !== '' ? addr.split(',') : [addr]) if (!HOST_PORT.test(a.trim())) throw new Error(`addr ${JSON.stringify(a)}: expected host:port`);
  let tls: RedisTlsConfig | null = null;
  if (c.tls_enabled === true || c.tls_enabled === 'true') {
    const t = (c.tls_config ?? {}) as Raw;
    if (typeof t !== 'object') throw new Error('tls_config: expected a mapping');
    strictFields('tls_config', t, TLS_FIELDS);
    const file = (name: string): Buffer | undefined => {
      const path = stringField(t, name);
      if (path === '') return undefined;
      try {
        return read(path);
      } catch (err) {
        throw new Error(`tls_config.${name}: ${(err as Error).message}`);
      }
    };
    const cert = file('cert_file');
    const key = file('key_file');
    if ((cert === undefined) !== (key === undefined)) throw new Error('tls_config: cert_file and key_file go together');
    const ca = file('ca_file');
    const serverName = stringField(t, 'server_name');
    tls = {
      insecureSkipVerify: t.insecure_skip_verify === true || t.insecure_skip_verify === 'true',
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(serverName !== '' ? { serverName } : {}),
    };
  }
  const expiration = durationField(c, 'expiration', parseDuration, 0);
  return {
    type: 'redis',
    addr,
    prefix: stringField(c, 'prefix'),
    username: stringField(c, 'username'),
    password: stringField(c, 'password'),
    db: intField(c, 'db', 0),
    dialTimeoutMs: durationField(c, 'dial_timeout', parseDuration, 5_000) || 5_000,
    readTimeoutMs: durationField(c, 'read_timeout', parseDuration, 3_000) || 3_000,
    writeTimeoutMs: durationField(c, 'write_timeout', parseDuration, 3_000) || 3_000,
    tls,
    masterName,
    expirationMs: expiration > 0 ? expiration : DAY_MS,
  };
}

/**
 * Thanos' response cache YAML. IN-MEMORY with neither max_size nor max_size_items gives null (no
 * cache, as Thanos creates none).
 */
export function parseCacheConfig(text: string, parseDuration: (s: string) => number, read: (f: string) => Buffer = readFileSync): CacheConfig | null {
  const doc = (parse(text) ?? {}) as { type?: unknown; config?: unknown };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a mapping with type and config');
  for (const k of Object.keys(doc)) if (k !== 'type' && k !== 'config') throw new Error(`field ${k} not found in type queryfrontend.CacheProviderConfig`);
  const type = String(doc.type ?? '').toUpperCase();
  if (!(type in FIELDS)) throw new Error(`response cache with type ${String(doc.type ?? '')} is not supported`);
  const c = (doc.config ?? {}) as Raw;
  if (typeof c !== 'object' || Array.isArray(c)) throw new Error('config: expected a mapping');
  strictFields(`config of type ${type}`, c, FIELDS[type as keyof typeof FIELDS]);
  if (type === 'MEMCACHED') return parseMemcached(c, parseDuration);
  if (type === 'REDIS') return parseRedis(c, parseDuration, read);
  const size = present(c.max_size) ? parseBytes(String(c.max_size)) : 0;
  const items = intField(c, 'max_size_items', 0);
  const validity = durationField(c, 'validity', parseDuration, 0);
  if (size === 0 && items === 0) return null;
  return { type: 'in-memory', maxSizeBytes: size, maxSizeItems: items, validityMs: validity };
}

/** Where a cache config says the cache is, for logs: `in-memory`, `memcached 10.0.0.1:11211`. */
export function describeCache(config: CacheConfig | null): string {
  if (config === null) return 'off';
  if (config.type === 'in-memory') return 'in-memory';
  if (config.type === 'memcached') return `memcached ${config.addresses.join(',')}`;
  return `redis ${config.addr}`;
}
