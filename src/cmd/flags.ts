import { availableParallelism } from 'node:os';
import type { DedupFunc } from '../dedup/index.js';
import type { QueryConfig } from '../query/config.js';
import { PromQLError } from '../promql/errors.js';
import { EndpointSpecError, parseEndpointSpec, staticEndpoint } from '../store/discovery/spec.js';
import { parseDuration } from '../promql/parser.js';
import type { LogFormat, LogLevel } from '../util/log.js';
import { ClientConfigError, loadEndpointConfig, parseEndpointConfig, type ConfiguredEndpoint, type EndpointConfig } from '../store/prometheus/client-config.js';
import { CorsOriginError, parseCorsOrigin } from '../api/cors.js';
import { SECRET } from '../util/redact.js';

/** A flag value that can't be used; the CLI prints the reason on one line and exits 2. */
export class FlagError extends Error {}

/** Raw values of `promdedup query`'s flags as commander hands them over. */
export interface RawQueryFlags {
  readonly 'httpAddress': string;
  readonly 'grpcAddress': string;
  readonly 'endpoint': string[];
  readonly 'endpointStrict'?: string[];
  readonly 'store.sdFiles'?: string[];
  readonly 'store.sdInterval'?: string;
  readonly 'store.sdDnsInterval'?: string;
  readonly 'store.unhealthyTimeout'?: string;
  readonly 'endpoint.infoTimeout'?: string;
  readonly 'grpcClientTlsSecure'?: boolean;
  readonly 'grpcClientTlsCa'?: string;
  readonly 'grpcClientTlsCert'?: string;
  readonly 'grpcClientTlsKey'?: string;
  readonly 'grpcClientTlsSkipVerify'?: boolean;
  readonly 'grpcClientServerName'?: string;
  readonly 'grpcServerTlsCert'?: string;
  readonly 'grpcServerTlsKey'?: string;
  readonly 'grpcServerTlsClientCa'?: string;
  readonly 'grpc.serveDeduplicated'?: boolean;
  readonly 'query.autoDownsampling'?: boolean;
  readonly 'query.replicaLabel': string[];
  readonly 'deduplication.func': string;
  readonly 'deduplication.workers'?: string;
  readonly 'query.workers'?: string;
  readonly 'query.maxSamples': string;
  readonly 'store.limits.requestSeries': string;
  readonly 'store.limits.requestSamples': string;
  readonly 'query.timeout': string;
  readonly 'query.lookbackDelta': string;
  readonly 'query.maxConcurrent': string;
  readonly 'query.partialResponse': boolean | string;
  readonly 'query.promqlCompat': string;
  readonly 'store.responseTimeout': string;
  readonly 'log.level': string;
  readonly 'log.format': string;
  readonly 'http.config'?: string;
  readonly 'web.cors.origin'?: string;
  readonly 'endpoint.sdConfigFile'?: string;
  readonly 'endpoint.sdConfig'?: string;
  readonly 'endpoint.sdConfigReloadInterval'?: string;
}

export function parseQueryFlags(raw: RawQueryFlags): QueryConfig {
  const endpoints = raw.endpoint.map((e) => parseEndpoint(e));
  const strictEndpoints = (raw.endpointStrict ?? []).map((e) => parseEndpoint(e, '--endpoint-strict'));
  const sdFiles = raw['store.sdFiles'] ?? [];
  const endpointConfigFile = raw['endpoint.sdConfigFile'] ?? '';
  const configured = configuredEndpoints(readEndpointConfig(endpointConfigFile, raw['endpoint.sdConfig'] ?? ''));
  if (endpoints.length + strictEndpoints.length + sdFiles.length + configured.length === 0) {
    throw new FlagError('at least one --endpoint, --endpoint-strict, --store.sd-files or --endpoint.sd-config(-file) is required');
  }
  const httpConfigFile = raw['http.config'] ?? '';
  const corsOrigin = raw['web.cors.origin'] ?? '.*';
  try {
    parseCorsOrigin(corsOrigin);
  } catch (err) {
    if (err instanceof CorsOriginError) throw new FlagError(err.message);
    throw err;
  }
  const replicaLabels = raw['query.replicaLabel']
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const serverCert = raw.grpcServerTlsCert ?? '';
  const serverKey = raw.grpcServerTlsKey ?? '';
  if ((serverCert === '') !== (serverKey === '')) throw new FlagError('--grpc-server-tls-cert and --grpc-server-tls-key go together');
  if ((raw.grpcServerTlsClientCa ?? '') !== '' && serverCert === '') {
    throw new FlagError('--grpc-server-tls-client-ca needs --grpc-server-tls-cert and --grpc-server-tls-key');
  }
  if (((raw.grpcClientTlsCert ?? '') === '') !== ((raw.grpcClientTlsKey ?? '') === '')) {
    throw new FlagError('--grpc-client-tls-cert and --grpc-client-tls-key go together');
  }
  // --deduplication.workers is the old name: merging now runs in the query workers.
  const workers = raw['query.workers'] ?? raw['deduplication.workers'];
  return {
    httpAddress: parseAddress('--http-address', raw.httpAddress),
    httpConfigFile,
    corsOrigin,
    configuredEndpoints: configured,
    endpointConfigFile,
    endpointConfigReloadMs: positiveDuration('--endpoint.sd-config-reload-interval', raw['endpoint.sdConfigReloadInterval'] ?? '5m'),
    grpcAddress: parseAddress('--grpc-address', raw.grpcAddress),
    endpoints,
    strictEndpoints,
    sdFiles,
    sdIntervalMs: positiveDuration('--store.sd-interval', raw['store.sdInterval'] ?? '5m'),
    dnsIntervalMs: positiveDuration('--store.sd-dns-interval', raw['store.sdDnsInterval'] ?? '30s'),
    unhealthyTimeoutMs: positiveDuration('--store.unhealthy-timeout', raw['store.unhealthyTimeout'] ?? '5m'),
    infoIntervalMs: positiveDuration('--endpoint.info-timeout', raw['endpoint.infoTimeout'] ?? '5s'),
    grpcClientTls: {
      secure: raw.grpcClientTlsSecure ?? false,
      caFile: raw.grpcClientTlsCa ?? '',
      certFile: raw.grpcClientTlsCert ?? '',
      keyFile: raw.grpcClientTlsKey ?? '',
      skipVerify: raw.grpcClientTlsSkipVerify ?? false,
      serverName: raw.grpcClientServerName ?? '',
    },
    grpcServerTls: {
      certFile: raw.grpcServerTlsCert ?? '',
      keyFile: raw.grpcServerTlsKey ?? '',
      clientCaFile: raw.grpcServerTlsClientCa ?? '',
    },
    serveDeduplicated: raw['grpc.serveDeduplicated'] ?? false,
    autoDownsampling: raw['query.autoDownsampling'] ?? false,
    replicaLabels: [...new Set(replicaLabels)],
    dedupFunc: oneOf<DedupFunc>('--deduplication.func', raw['deduplication.func'], ['penalty', 'chain', 'stable']),
    queryTimeout: duration('--query.timeout', raw['query.timeout']),
    lookbackDelta: positiveDuration('--query.lookback-delta', raw['query.lookbackDelta']),
    maxConcurrent: positiveInt('--query.max-concurrent', raw['query.maxConcurrent']),
    partialResponse: bool('--query.partial-response', raw['query.partialResponse']),
    storeResponseTimeout: duration('--store.response-timeout', raw['store.responseTimeout']),
    promqlCompat: oneOf('--query.promql-compat', raw['query.promqlCompat'], ['auto', '2', '3'] as const),
    queryWorkers: workers === undefined ? Math.max(4, availableParallelism()) : positiveInt('--query.workers', workers),
    maxSamples: positiveInt('--query.max-samples', raw['query.maxSamples']),
    requestSeriesLimit: nonNegativeInt('--store.limits.request-series', raw['store.limits.requestSeries']),
    requestSamplesLimit: nonNegativeInt('--store.limits.request-samples', raw['store.limits.requestSamples']),
    logLevel: oneOf<LogLevel>('--log.level', raw['log.level'], ['debug', 'info', 'warn', 'error']),
    logFormat: oneOf<LogFormat>('--log.format', raw['log.format'], ['logfmt', 'json']),
    flags: {
      'http-address': raw.httpAddress,
      'grpc-address': raw.grpcAddress,
      endpoint: endpoints.join(','),
      'endpoint-strict': strictEndpoints.join(','),
      'store.sd-files': sdFiles.join(','),
      'grpc.serve-deduplicated': String(raw['grpc.serveDeduplicated'] ?? false),
      'query.auto-downsampling': String(raw['query.autoDownsampling'] ?? false),
      'query.replica-label': replicaLabels.join(','),
      'deduplication.func': raw['deduplication.func'],
      'query.timeout': raw['query.timeout'],
      'query.lookback-delta': raw['query.lookbackDelta'],
      'query.max-concurrent': raw['query.maxConcurrent'],
      'query.partial-response': String(raw['query.partialResponse']),
      'query.promql-compat': raw['query.promqlCompat'],
      'store.response-timeout': raw['store.responseTimeout'],
      'query.max-samples': raw['query.maxSamples'],
      'store.limits.request-series': raw['store.limits.requestSeries'],
      'store.limits.request-samples': raw['store.limits.requestSamples'],
      'log.level': raw['log.level'],
      'log.format': raw['log.format'],
      'http.config': httpConfigFile,
      'web.cors.origin': corsOrigin,
      'endpoint.sd-config-file': endpointConfigFile,
      'endpoint.sd-config-reload-interval': raw['endpoint.sdConfigReloadInterval'] ?? '5m',
      // Inline YAML may hold passwords and tokens: never shown.
      'endpoint.sd-config': (raw['endpoint.sdConfig'] ?? '') === '' ? '' : SECRET,
    },
  };
}

/** Endpoints of the config file join the flags' (specs checked as --endpoint's are). */
function configuredEndpoints(c: EndpointConfig): ConfiguredEndpoint[] {
  return c.endpoints.map((e) => ({ ...e, address: parseEndpoint(e.address, '--endpoint.sd-config') }));
}

/** Reads --endpoint.sd-config-file again (reloads); throws FlagError with the reason. */
export function readEndpointConfigFile(path: string): ConfiguredEndpoint[] {
  return configuredEndpoints(readEndpointConfig(path, ''));
}

/** --endpoint.sd-config-file or --endpoint.sd-config (not both), parsed; no flag: no endpoints. */
function readEndpointConfig(file: string, inline: string): EndpointConfig {
  if (file !== '' && inline !== '') throw new FlagError('--endpoint.sd-config-file and --endpoint.sd-config exclude each other');
  try {
    if (file !== '') return loadEndpointConfig(file);
    if (inline !== '') return parseEndpointConfig(inline, '--endpoint.sd-config');
    return { endpoints: [] };
  } catch (err) {
    if (err instanceof ClientConfigError) throw new FlagError(err.message);
    throw err;
  }
}

/**
 * An endpoint spec: `http(s)://host:port[/prefix]` is a Prometheus server (returned without a
 * trailing slash); `host:port` a StoreAPI endpoint; `dns+…` and `dnssrv+…` are resolved by discovery.
 */
export function parseEndpoint(text: string, flag = '--endpoint'): string {
  try {
    const spec = parseEndpointSpec(text, flag);
    return spec.resolution === 'static' ? staticEndpoint(spec).address : text;
  } catch (err) {
    if (err instanceof EndpointSpecError) throw new FlagError(err.message);
    throw err;
  }
}

export function parseAddress(flag: string, text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new FlagError(`${flag} ${JSON.stringify(text)}: expected host:port`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    if (err instanceof PromQLError) throw new FlagError(`${flag}: ${err.message}`);
    throw err;
  }
}

function positiveDuration(flag: string, text: string): number {
  const ms = duration(flag, text);
  if (ms <= 0) throw new FlagError(`${flag}: must be greater than 0`);
  return ms;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new FlagError(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function nonNegativeInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new FlagError(`${flag}: expected a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

function bool(flag: string, value: boolean | string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FlagError(`${flag}: expected true or false, got ${JSON.stringify(value)}`);
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new FlagError(`${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}
