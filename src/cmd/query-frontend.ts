/** `promdedup query-frontend`: flags (Thanos' names and defaults), the downstream, the results cache and the HTTP face. */
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseDuration } from '../promql/parser.js';
import type { Logger } from '../util/log.js';
import { WebConfigHolder } from '../api/web-config.js';
import { FlagError, parseAddress } from './flags.js';
import { extentsCodec, type Extent } from '../frontend/cache.js';
import { DEFAULT_CACHE_CONFIG, describeCache, parseCacheConfig, type CacheConfig } from '../frontend/cache-config.js';
import { Downstream, downstreamFlags } from '../frontend/downstream.js';
import { DEFAULT_DOWNSTREAM_OPTIONS, parseTripperConfig, type DownstreamOptions } from '../frontend/tripper-config.js';
import { buildFrontendApp, type FrontendConfig } from '../frontend/frontend.js';
import { AnswerDecoder } from '../frontend/decoder.js';
import { MemcachedStore } from '../frontend/memcached-store.js';
import { RedisStore } from '../frontend/redis-store.js';
import { CacheMetrics, InMemoryCache, RemoteCache, type Codec, type ResultsCache } from '../frontend/results-cache.js';

export interface RawFrontendFlags {
  readonly httpAddress: string;
  readonly 'queryFrontend.downstreamUrl': string;
  readonly 'queryFrontend.downstreamTripperConfig'?: string;
  readonly 'queryFrontend.downstreamTripperConfigFile'?: string;
  readonly 'queryRange.splitInterval': string;
  readonly 'queryRange.alignRangeWithStep': boolean | string;
  readonly 'queryRange.maxRetriesPerRequest': string;
  readonly 'queryRange.maxQueryLength': string;
  readonly 'queryRange.maxQueryParallelism': string;
  readonly 'queryRange.responseCacheMaxFreshness': string;
  readonly 'queryRange.partialResponse': boolean | string;
  readonly 'queryRange.responseCacheConfig'?: string;
  readonly 'queryRange.responseCacheConfigFile'?: string;
  readonly 'queryFrontend.logQueriesLongerThan': string;
  readonly 'queryFrontend.compressResponses': boolean;
  readonly 'labels.splitInterval': string;
  readonly 'labels.maxRetriesPerRequest': string;
  readonly 'labels.maxQueryParallelism': string;
  readonly 'labels.responseCacheMaxFreshness': string;
  readonly 'labels.partialResponse': boolean | string;
  readonly 'labels.defaultTimeRange': string;
  readonly 'labels.responseCacheConfig'?: string;
  readonly 'labels.responseCacheConfigFile'?: string;
  readonly cacheCompressionType: string;
}

export interface QueryFrontendConfig extends FrontendConfig {
  readonly httpAddress: { host: string; port: number };
  readonly downstreamUrl: string;
  readonly downstream: DownstreamOptions;
  /** null: no results cache. */
  readonly cache: CacheConfig | null;
  readonly labelsCache: CacheConfig | null;
  readonly cacheCompression: 'none' | 'snappy';
}

function duration(flag: string, text: string, allowNegative = false): number {
  const neg = allowNegative && text.startsWith('-');
  try {
    const ms = text === '0' ? 0 : parseDuration(neg ? text.slice(1) : text);
    return neg ? -ms : ms;
  } catch (err) {
    throw new FlagError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function count(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new FlagError(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

function bool(flag: string, value: boolean | string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FlagError(`${flag}: expected true or false, got ${JSON.stringify(value)}`);
}

/** One cache's YAML from its flag or file (Thanos: the -file flag wins over the inline one). */
function cacheConfig(prefix: string, inline: string | undefined, file: string | undefined, splitIntervalMs: number): CacheConfig | null {
  let text = inline ?? '';
  if ((file ?? '') !== '') {
    try {
      text = readFileSync(file!, 'utf8');
    } catch (err) {
      throw new FlagError(`--${prefix}.response-cache-config-file: ${(err as Error).message}`);
    }
  }
  if (text.trim() === '') return splitIntervalMs > 0 ? DEFAULT_CACHE_CONFIG : null;
  let config: CacheConfig | null;
  try {
    config = parseCacheConfig(text, parseDuration);
  } catch (err) {
    throw new FlagError(`initializing the ${prefix} cache config: ${(err as Error).message}`);
  }
  if (config !== null && splitIntervalMs <= 0) throw new FlagError(`--${prefix}.split-interval: split interval should be greater than 0 when caching is enabled`);
  return config;
}

/** The downstream client's YAML from its flag or file (the -file flag wins, as for the caches). */
function tripperConfig(inline: string | undefined, file: string | undefined): DownstreamOptions {
  let text = inline ?? '';
  let where = '--query-frontend.downstream-tripper-config';
  if ((file ?? '') !== '') {
    where = `--query-frontend.downstream-tripper-config-file ${JSON.stringify(file)}`;
    try {
      text = readFileSync(file!, 'utf8');
    } catch (err) {
      throw new FlagError(`${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (text.trim() === '') return DEFAULT_DOWNSTREAM_OPTIONS;
  try {
    return parseTripperConfig(text, where, parseDuration);
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
}

export function parseFrontendFlags(raw: RawFrontendFlags): QueryFrontendConfig {
  const url = raw['queryFrontend.downstreamUrl'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FlagError(`--query-frontend.downstream-url ${JSON.stringify(url)}: expected an http(s):// URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new FlagError('--query-frontend.downstream-url: scheme must be http or https');
  const splitIntervalMs = duration('--query-range.split-interval', raw['queryRange.splitInterval']);
  const cache = cacheConfig('query-range', raw['queryRange.responseCacheConfig'], raw['queryRange.responseCacheConfigFile'], splitIntervalMs);
  const labelsSplitMs = duration('--labels.split-interval', raw['labels.splitInterval']);
  const labelsCache = cacheConfig('labels', raw['labels.responseCacheConfig'], raw['labels.responseCacheConfigFile'], labelsSplitMs);
  const compression = raw.cacheCompressionType;
  if (compression !== '' && compression !== 'snappy' && compression !== 'none') throw new FlagError(`--cache-compression-type: expected "" or snappy, got ${JSON.stringify(compression)}`);
  return {
    httpAddress: parseAddress('--http-address', raw.httpAddress),
    downstreamUrl: url,
    downstream: tripperConfig(raw['queryFrontend.downstreamTripperConfig'], raw['queryFrontend.downstreamTripperConfigFile']),
    splitIntervalMs,
    alignRangeWithStep: bool('--query-range.align-range-with-step', raw['queryRange.alignRangeWithStep']),
    maxRetries: count('--query-range.max-retries-per-request', raw['queryRange.maxRetriesPerRequest'], 0),
    maxQueryLengthMs: duration('--query-range.max-query-length', raw['queryRange.maxQueryLength']),
    maxQueryParallelism: count('--query-range.max-query-parallelism', raw['queryRange.maxQueryParallelism'], 1),
    maxFreshnessMs: duration('--query-range.response-cache-max-freshness', raw['queryRange.responseCacheMaxFreshness']),
    logQueriesLongerThanMs: duration('--query-frontend.log-queries-longer-than', raw['queryFrontend.logQueriesLongerThan'], true),
    compressResponses: raw['queryFrontend.compressResponses'],
    partialResponse: bool('--query-range.partial-response', raw['queryRange.partialResponse']),
    labels: {
      splitIntervalMs: labelsSplitMs,
      maxRetries: count('--labels.max-retries-per-request', raw['labels.maxRetriesPerRequest'], 0),
      maxQueryParallelism: count('--labels.max-query-parallelism', raw['labels.maxQueryParallelism'], 1),
      maxFreshnessMs: duration('--labels.response-cache-max-freshness', raw['labels.responseCacheMaxFreshness']),
      partialResponse: bool('--labels.partial-response', raw['labels.partialResponse']),
      defaultTimeRangeMs: duration('--labels.default-time-range', raw['labels.defaultTimeRange']),
    },
    cache,
    labelsCache,
    cacheCompression: compression === 'snappy' ? 'snappy' : 'none',
  };
}

export interface FrontendService {
  readonly httpUrl: string;
  close(): Promise<void>;
}

const textCodec: Codec<string> = {
  encode: (text) => Buffer.from(text),
  decode: (bytes) => bytes.toString('utf8'),
  size: (text) => text.length,
};

/** A results cache as configured: in this process, or in a memcached or Redis shared with other frontends. */
async function openCache<V>(config: CacheConfig | null, codec: Codec<V>, name: string, frontend: QueryFrontendConfig, metrics: CacheMetrics, logger: Logger): Promise<ResultsCache<V> | null> {
  if (config === null) return null;
  if (config.type === 'in-memory') return new InMemoryCache<V>(config, codec.size);
  let store: MemcachedStore | RedisStore;
  if (config.type === 'memcached') {
    const memcached = new MemcachedStore(config, { logger });
    // The first lookup of DNS-discovered servers, for a few seconds at most: a DNS server that does
    // not answer delays nothing (lookups go on in the background; until then the cache misses).
    await Promise.race([memcached.start(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    store = memcached;
  } else store = new RedisStore(config);
  return new RemoteCache<V>(store, codec, { name, expirationMs: config.expirationMs, compression: frontend.cacheCompression, logger, metrics });
}

/**
 * A promdedup querier below with penalty dedup: its answer for a time can depend on where the
 * window opened (near a replica gap), so split and cached answers may differ from unsplit ones.
 * Said once at start; nothing else changes.
 */
async function warnOnWindowDependentDedup(downstream: Downstream, logger: Logger): Promise<void> {
  const flags = await downstreamFlags(downstream, 10_000);
  const func = flags?.['deduplication.func'];
  if (func === 'penalty') {
    logger.warn('the downstream deduplicates with --deduplication.func=penalty: split and cached answers can differ from unsplit ones near replica gaps; run it with --deduplication.func=stable for exact answers', { downstream: downstream.base.href });
  } else if (func !== undefined) logger.debug('downstream dedup function', { func });
}

export async function startQueryFrontend(config: QueryFrontendConfig, logger: Logger, web: WebConfigHolder = WebConfigHolder.none()): Promise<FrontendService> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const downstream = new Downstream(config.downstreamUrl, config.downstream);
  const cacheMetrics = new CacheMetrics(registry);
  const decoder = new AnswerDecoder();
  // Extents from memcached or Redis are decoded like downstream answers: large ones on a worker.
  const cache = await openCache<Extent[]>(config.cache, { ...extentsCodec, decode: (bytes) => decoder.extents(bytes) }, 'query_range', config, cacheMetrics, logger);
  const labelsCache = await openCache<string>(config.labelsCache, textCodec, 'labels', config, cacheMetrics, logger);
  const app = buildFrontendApp(config, { downstream, cache, labelsCache, registry, logger, web, decoder });
  await app.listen({ host: config.httpAddress.host, port: config.httpAddress.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpAddress.port;
  const host = config.httpAddress.host === '0.0.0.0' ? '127.0.0.1' : config.httpAddress.host;
  logger.info('query frontend listening', {
    address: `${config.httpAddress.host}:${port}`,
    downstream: config.downstreamUrl,
    split_interval_ms: config.splitIntervalMs,
    results_cache: describeCache(config.cache),
    labels_cache: describeCache(config.labelsCache),
    tls: web.tls,
    basic_auth_users: web.config.users.size,
  });
  if (config.cache !== null) void warnOnWindowDependentDedup(downstream, logger);
  return {
    httpUrl: `${web.tls ? 'https' : 'http'}://${host}:${port}`,
    async close() {
      await app.close();
      await downstream.close();
      await cache?.close();
      await labelsCache?.close();
      await decoder.close();
    },
  };
}
