/** `promdedup query-frontend`: flags (Thanos' names and defaults), the downstream, the results cache and the HTTP face. */
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseDuration } from '../promql/parser.js';
import type { Logger } from '../util/log.js';
import { FlagError, parseAddress } from './flags.js';
import { DEFAULT_CACHE_CONFIG, ExtentCache, parseCacheConfig, type InMemoryCacheConfig } from '../frontend/cache.js';
import { Downstream } from '../frontend/downstream.js';
import { buildFrontendApp, type FrontendConfig } from '../frontend/frontend.js';

export interface RawFrontendFlags {
  readonly httpAddress: string;
  readonly 'queryFrontend.downstreamUrl': string;
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
}

export interface QueryFrontendConfig extends FrontendConfig {
  readonly httpAddress: { host: string; port: number };
  readonly downstreamUrl: string;
  /** null: no results cache. */
  readonly cache: InMemoryCacheConfig | null;
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
  // Thanos' -file flag wins over the inline one ("lower priority").
  const file = raw['queryRange.responseCacheConfigFile'] ?? '';
  let text = raw['queryRange.responseCacheConfig'] ?? '';
  if (file !== '') {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new FlagError(`--query-range.response-cache-config-file: ${(err as Error).message}`);
    }
  }
  let cache: InMemoryCacheConfig | null;
  if (text.trim() === '') cache = splitIntervalMs > 0 ? DEFAULT_CACHE_CONFIG : null;
  else {
    try {
      cache = parseCacheConfig(text, parseDuration);
    } catch (err) {
      throw new FlagError(`initializing the query range cache config: ${(err as Error).message}`);
    }
    if (cache !== null && splitIntervalMs <= 0) throw new FlagError('split queries interval should be greater than 0 when caching is enabled');
  }
  return {
    httpAddress: parseAddress('--http-address', raw.httpAddress),
    downstreamUrl: url,
    splitIntervalMs,
    alignRangeWithStep: bool('--query-range.align-range-with-step', raw['queryRange.alignRangeWithStep']),
    maxRetries: count('--query-range.max-retries-per-request', raw['queryRange.maxRetriesPerRequest'], 0),
    maxQueryLengthMs: duration('--query-range.max-query-length', raw['queryRange.maxQueryLength']),
    maxQueryParallelism: count('--query-range.max-query-parallelism', raw['queryRange.maxQueryParallelism'], 1),
    maxFreshnessMs: duration('--query-range.response-cache-max-freshness', raw['queryRange.responseCacheMaxFreshness']),
    logQueriesLongerThanMs: duration('--query-frontend.log-queries-longer-than', raw['queryFrontend.logQueriesLongerThan'], true),
    compressResponses: raw['queryFrontend.compressResponses'],
    partialResponse: bool('--query-range.partial-response', raw['queryRange.partialResponse']),
    cache,
  };
}

export interface FrontendService {
  readonly httpUrl: string;
  close(): Promise<void>;
}

export async function startQueryFrontend(config: QueryFrontendConfig, logger: Logger): Promise<FrontendService> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const downstream = new Downstream(config.downstreamUrl);
  const cache = config.cache !== null ? new ExtentCache(config.cache) : null;
  const app = buildFrontendApp(config, { downstream, cache, registry, logger });
  await app.listen({ host: config.httpAddress.host, port: config.httpAddress.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpAddress.port;
  const host = config.httpAddress.host === '0.0.0.0' ? '127.0.0.1' : config.httpAddress.host;
  logger.info('query frontend listening', {
    address: `${config.httpAddress.host}:${port}`,
    downstream: config.downstreamUrl,
    split_interval_ms: config.splitIntervalMs,
    results_cache: cache === null ? 'off' : 'in-memory',
  });
  return {
    httpUrl: `http://${host}:${port}`,
    async close() {
      await app.close();
      await downstream.close();
    },
  };
}
