/** `promdedup ingest`: flags, the HA tracker and its store, per-tenant overrides, the forwarder and the HTTP face. */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { readFileSync } from 'node:fs';
import { Forwarder, type ForwardTls } from '../ingest/forwarder.js';
import { buildIngestApi } from '../ingest/http.js';
import { createIngestMetrics, registerRuntimeConfigMetrics } from '../ingest/metrics.js';
import { parseRuntimeConfig, RuntimeConfigError, TenantLimits, type TenantHaLimits } from '../ingest/overrides.js';
import { loadRuntimeConfigFile, RuntimeConfigReloader, type LoadedRuntimeConfig } from '../ingest/runtime-config.js';
import { Receiver } from '../ingest/receiver.js';
import { IngestWorkerPool } from '../ingest/worker-pool.js';
import { HaTracker } from '../ingest/tracker/tracker.js';
import { MemoryReplicaDescStore } from '../ingest/tracker/memory-store.js';
import { RedisReplicaDescStore } from '../ingest/tracker/redis-store.js';
import { EtcdReplicaDescStore } from '../ingest/tracker/etcd-store.js';
import type { ReplicaDescStore } from '../ingest/tracker/kv.js';
import { parseDuration } from '../promql/parser.js';
import type { Logger } from '../util/log.js';
import { FlagError, parseAddress } from './flags.js';
import { redactUrl } from '../util/redact.js';
import { WebConfigHolder } from '../api/web-config.js';

export interface RawIngestFlags {
  readonly httpAddress: string;
  readonly 'remoteWrite.url': string[];
  readonly 'remoteWrite.maxRequestBytes': string;
  readonly 'remoteWrite.workerMinBytes': string;
  readonly 'remoteWrite.workerThreads': string;
  readonly 'remoteWrite.header'?: string[];
  readonly 'remoteWrite.basicAuth.username'?: string;
  readonly 'remoteWrite.basicAuth.password'?: string;
  readonly 'remoteWrite.bearerToken'?: string;
  readonly 'remoteWrite.bearerTokenFile'?: string;
  readonly 'remoteWrite.tls.caFile'?: string;
  readonly 'remoteWrite.tls.certFile'?: string;
  readonly 'remoteWrite.tls.keyFile'?: string;
  readonly 'remoteWrite.tls.insecureSkipVerify'?: boolean;
  readonly 'haTracker.cluster': string;
  readonly 'haTracker.replica': string;
  readonly 'haTracker.updateTimeout': string;
  readonly 'haTracker.updateTimeoutJitterMax': string;
  readonly 'haTracker.failoverTimeout': string;
  readonly 'haTracker.maxClusters': string;
  readonly 'haTracker.failoverSampleTimeout': string;
  readonly 'haTracker.enable'?: boolean | string;
  readonly 'haTracker.enableForAllUsers': boolean | string;
  readonly 'haTracker.store': string;
  readonly 'haTracker.prefix': string;
  readonly 'haTracker.redis.address'?: string;
  readonly 'haTracker.redis.password'?: string;
  readonly 'haTracker.redis.db'?: string;
  readonly 'haTracker.redis.tls'?: boolean;
  readonly 'haTracker.etcd.endpoints'?: string[];
  readonly 'haTracker.etcd.username'?: string;
  readonly 'haTracker.etcd.password'?: string;
  readonly 'haTracker.etcd.tlsCaPath'?: string;
  readonly 'haTracker.etcd.tlsCertPath'?: string;
  readonly 'haTracker.etcd.tlsKeyPath'?: string;
  readonly 'auth.multitenancyEnabled': boolean;
  readonly 'runtimeConfig.file'?: string;
  readonly 'runtimeConfig.reloadPeriod': string;
}

export interface IngestConfig {
  readonly httpAddress: { host: string; port: number };
  readonly remoteWriteUrls: readonly string[];
  /** Headers sent with every forwarded request (custom ones, basic auth, bearer token). */
  readonly remoteWriteHeaders: Readonly<Record<string, string>>;
  readonly remoteWriteTls: ForwardTls;
  readonly maxRequestBytes: number;
  /** Requests decoding to at least this go to worker threads. */
  readonly workerMinBytes: number;
  readonly workerThreads: number;
  readonly clusterLabel: string;
  readonly replicaLabel: string;
  readonly updateTimeoutMs: number;
  readonly updateTimeoutJitterMaxMs: number;
  readonly failoverTimeoutMs: number;
  readonly maxClusters: number;
  readonly failoverSampleTimeoutMs: number;
  /** Every tenant's accept_ha_samples unless its override says otherwise. */
  readonly acceptHaSamples: boolean;
  /** --ha-tracker.enable: false forwards every request unchanged, whatever the overrides say. */
  readonly haEnabled: boolean;
  readonly keyPrefix: string;
  readonly multitenancy: boolean;
  /** --runtime-config.file, already loaded and checked once. */
  readonly runtimeConfig: { readonly path: string; readonly reloadPeriodMs: number; readonly initial: LoadedRuntimeConfig } | null;
  readonly store:
    | { readonly kind: 'memory' }
    | { readonly kind: 'redis'; readonly address: string; readonly password: string; readonly db: number; readonly tls: boolean }
    | {
        readonly kind: 'etcd';
        readonly endpoints: readonly string[];
        readonly username: string;
        readonly password: string;
        readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
      };
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new FlagError(`${flag} ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

function optional<K extends string>(key: K, value: Buffer | undefined): { [P in K]?: Buffer } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: Buffer };
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new FlagError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function bool(flag: string, value: boolean | string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FlagError(`${flag}: expected true or false, got ${JSON.stringify(value)}`);
}

/** Every tenant's HA settings before overrides: the flags. */
export function tenantDefaults(config: Omit<IngestConfig, 'runtimeConfig'>): TenantHaLimits {
  return {
    acceptHaSamples: config.acceptHaSamples,
    clusterLabel: config.clusterLabel,
    replicaLabel: config.replicaLabel,
    maxClusters: config.maxClusters,
    updateTimeoutMs: config.updateTimeoutMs,
    updateTimeoutJitterMaxMs: config.updateTimeoutJitterMaxMs,
    failoverTimeoutMs: config.failoverTimeoutMs,
    failoverSampleTimeoutMs: config.failoverSampleTimeoutMs,
  };
}

function count(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new FlagError(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

export function parseIngestFlags(raw: RawIngestFlags): IngestConfig {
  const urls = raw['remoteWrite.url'];
  if (urls.length === 0) throw new FlagError('at least one --remote-write.url is required');
  for (const u of urls) {
    let url: URL;
    const shown = JSON.stringify(redactUrl(u));
    try {
      url = new URL(u);
    } catch {
      throw new FlagError(`--remote-write.url ${shown}: expected an http(s):// URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FlagError(`--remote-write.url ${shown}: scheme must be http or https`);
    // The HTTP client never sent them; say so rather than drop them silently (or log them).
    if (url.username !== '' || url.password !== '') throw new FlagError(`--remote-write.url ${shown}: credentials in the URL are not supported; use --remote-write.basic-auth.*`);
  }
  const headers: Record<string, string> = {};
  for (const h of raw['remoteWrite.header'] ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new FlagError(`--remote-write.header ${JSON.stringify(h)}: expected "Name: value"`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const user = raw['remoteWrite.basicAuth.username'] ?? '';
  if (user !== '') headers['authorization'] = `Basic ${Buffer.from(`${user}:${raw['remoteWrite.basicAuth.password'] ?? ''}`).toString('base64')}`;
  const tokenFile = raw['remoteWrite.bearerTokenFile'] ?? '';
  const token = tokenFile !== '' ? readFlagFile('--remote-write.bearer-token-file', tokenFile).toString('utf8').trim() : (raw['remoteWrite.bearerToken'] ?? '');
  if (token !== '') {
    if (user !== '') throw new FlagError('--remote-write.basic-auth.* and --remote-write.bearer-token(-file) exclude each other');
    headers['authorization'] = `Bearer ${token}`;
  }
  const tlsFile = (flag: string, path: string | undefined): Buffer | undefined => (path === undefined || path === '' ? undefined : readFlagFile(flag, path));
  const remoteWriteTls: ForwardTls = {
    ...optional('ca', tlsFile('--remote-write.tls.ca-file', raw['remoteWrite.tls.caFile'])),
    ...optional('cert', tlsFile('--remote-write.tls.cert-file', raw['remoteWrite.tls.certFile'])),
    ...optional('key', tlsFile('--remote-write.tls.key-file', raw['remoteWrite.tls.keyFile'])),
    insecureSkipVerify: raw['remoteWrite.tls.insecureSkipVerify'] ?? false,
  };
  if ((remoteWriteTls.cert === undefined) !== (remoteWriteTls.key === undefined)) {
    throw new FlagError('--remote-write.tls.cert-file and --remote-write.tls.key-file go together');
  }
  // Off, the tracker is out of the way entirely (Mimir's distributor.ha-tracker.enable=false):
  // no tenant's override can turn it on, and no shared store is connected or checked.
  const haEnabled = bool('--ha-tracker.enable', raw['haTracker.enable'] ?? true);
  const kind = haEnabled ? raw['haTracker.store'] : 'memory';
  let store: IngestConfig['store'];
  if (kind === 'memory') store = { kind };
  else if (kind === 'redis') {
    const address = raw['haTracker.redis.address'] ?? '';
    if (address === '') throw new FlagError('--ha-tracker.store=redis needs --ha-tracker.redis.address (host:port)');
    parseAddress('--ha-tracker.redis.address', address);
    store = { kind, address, password: raw['haTracker.redis.password'] ?? '', db: count('--ha-tracker.redis.db', raw['haTracker.redis.db'] ?? '0', 0), tls: raw['haTracker.redis.tls'] ?? false };
  } else if (kind === 'etcd') {
    const endpoints = (raw['haTracker.etcd.endpoints'] ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== '');
    if (endpoints.length === 0) throw new FlagError('--ha-tracker.store=etcd needs --ha-tracker.etcd.endpoints (host:port or http(s)://host:port)');
    const tls = { ca: raw['haTracker.etcd.tlsCaPath'] ?? '', cert: raw['haTracker.etcd.tlsCertPath'] ?? '', key: raw['haTracker.etcd.tlsKeyPath'] ?? '' };
    if ((tls.cert === '') !== (tls.key === '')) throw new FlagError('--ha-tracker.etcd.tls-cert-path and --ha-tracker.etcd.tls-key-path go together');
    store = { kind, endpoints, username: raw['haTracker.etcd.username'] ?? '', password: raw['haTracker.etcd.password'] ?? '', tls };
  } else {
    throw new FlagError(`--ha-tracker.store ${JSON.stringify(kind)}: expected memory, redis or etcd`);
  }
  const config: Omit<IngestConfig, 'runtimeConfig'> = {
    httpAddress: parseAddress('--http-address', raw.httpAddress),
    remoteWriteUrls: urls,
    remoteWriteHeaders: headers,
    remoteWriteTls,
    maxRequestBytes: count('--remote-write.max-request-bytes', raw['remoteWrite.maxRequestBytes'], 1),
    workerMinBytes: count('--remote-write.worker-min-bytes', raw['remoteWrite.workerMinBytes'], 0),
    workerThreads: count('--remote-write.worker-threads', raw['remoteWrite.workerThreads'], 1),
    clusterLabel: raw['haTracker.cluster'],
    replicaLabel: raw['haTracker.replica'],
    updateTimeoutMs: duration('--ha-tracker.update-timeout', raw['haTracker.updateTimeout']),
    updateTimeoutJitterMaxMs: duration('--ha-tracker.update-timeout-jitter-max', raw['haTracker.updateTimeoutJitterMax']),
    failoverTimeoutMs: duration('--ha-tracker.failover-timeout', raw['haTracker.failoverTimeout']),
    maxClusters: count('--ha-tracker.max-clusters', raw['haTracker.maxClusters'], 0),
    failoverSampleTimeoutMs: duration('--ha-tracker.failover-sample-timeout', raw['haTracker.failoverSampleTimeout']),
    acceptHaSamples: bool('--ha-tracker.enable-for-all-users', raw['haTracker.enableForAllUsers']),
    haEnabled,
    keyPrefix: raw['haTracker.prefix'],
    multitenancy: raw['auth.multitenancyEnabled'],
    store,
  };
  try {
    HaTracker.validateConfig(config);
  } catch (err) {
    throw new FlagError(err instanceof Error ? err.message : String(err));
  }
  const reloadPeriodMs = duration('--runtime-config.reload-period', raw['runtimeConfig.reloadPeriod']);
  if (reloadPeriodMs <= 0) throw new FlagError('--runtime-config.reload-period: must be greater than 0');
  const path = raw['runtimeConfig.file'] ?? '';
  if (path === '') return { ...config, runtimeConfig: null };
  // Checked now, so a bad file stops the start with exit 2 like any bad flag.
  const defaults = tenantDefaults(config);
  try {
    const initial = loadRuntimeConfigFile(path, (text) => parseRuntimeConfig(text, defaults));
    return { ...config, runtimeConfig: { path, reloadPeriodMs, initial } };
  } catch (err) {
    if (err instanceof RuntimeConfigError) throw new FlagError(err.message);
    throw err;
  }
}

export interface IngestService {
  readonly httpUrl: string;
  close(): Promise<void>;
}

const HA_OFF = { acceptHaSamples: false, clusterLabel: '', replicaLabel: '' } as const;

/** Decoded requests may be this many times the compressed limit (a snappy bomb is refused before decoding). */
const DECODED_PER_COMPRESSED = 10;

export async function startIngestService(config: IngestConfig, logger: Logger, web: WebConfigHolder = WebConfigHolder.none()): Promise<IngestService> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let store: ReplicaDescStore;
  let closeStore = async (): Promise<void> => {};
  if (config.store.kind === 'redis') {
    const redis = new RedisReplicaDescStore({ address: config.store.address, password: config.store.password, db: config.store.db, tls: config.store.tls });
    try {
      await redis.connect();
    } catch (err) {
      throw new Error(`--ha-tracker.redis.address ${config.store.address}: ${err instanceof Error ? err.message : String(err)}`);
    }
    store = redis;
    closeStore = () => redis.close();
  } else if (config.store.kind === 'etcd') {
    const c = config.store;
    const secure = c.tls.ca !== '' || c.tls.cert !== '';
    const etcd = new EtcdReplicaDescStore({
      endpoints: c.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `${secure ? 'https' : 'http'}://${e}`)),
      ...(c.username !== '' ? { username: c.username, password: c.password } : {}),
      ...(secure ? { tls: { ...(c.tls.ca !== '' ? { ca: c.tls.ca } : {}), ...(c.tls.cert !== '' ? { cert: c.tls.cert, key: c.tls.key } : {}) } } : {}),
    });
    store = etcd;
    closeStore = () => etcd.close();
  } else store = new MemoryReplicaDescStore();
  const limits = new TenantLimits(tenantDefaults(config), config.runtimeConfig?.initial.overrides);
  const metrics = createIngestMetrics(registry);
  const tracker = new HaTracker({
    store,
    updateTimeoutMs: config.updateTimeoutMs,
    updateTimeoutJitterMaxMs: config.updateTimeoutJitterMaxMs,
    failoverTimeoutMs: config.failoverTimeoutMs,
    maxClusters: config.maxClusters,
    failoverSampleTimeoutMs: config.failoverSampleTimeoutMs,
    keyPrefix: config.keyPrefix,
    limitsFor: (tenant) => limits.forTenant(tenant),
    metrics: {
      ...metrics.tracker,
      // Background writes are retried on the next tick; Mimir logs them and carries on.
      backgroundError: (operation, key, err) => logger.error('HA tracker store operation failed', { operation, key, err: err instanceof Error ? err.message : String(err) }),
    },
    onElectionChange: (tenant, cluster, from, to) => logger.info('elected replica changed', { tenant, cluster, from: from ?? '', to }),
  });
  // A shared store: every election is loaded before serving, and other instances' changes are followed.
  try {
    await tracker.loadAll();
  } catch (err) {
    await closeStore();
    throw new Error(`--ha-tracker.store=${config.store.kind}: cannot load the elections: ${err instanceof Error ? err.message : String(err)}`);
  }
  const unwatch = tracker.watchStore();
  const forwarder = new Forwarder(
    config.remoteWriteUrls.map((url) => ({ url, headers: config.remoteWriteHeaders })),
    30_000,
    config.remoteWriteTls,
  );
  const workers = new IngestWorkerPool(config.workerThreads);
  const receiver = new Receiver(
    { haSettings: config.haEnabled ? (tenant) => limits.forTenant(tenant) : () => HA_OFF, maxDecodedBytes: config.maxRequestBytes * DECODED_PER_COMPRESSED },
    tracker,
    forwarder,
    Date.now,
    { pool: workers, minDecodedBytes: config.workerMinBytes },
  );
  let reloader: RuntimeConfigReloader | null = null;
  if (config.runtimeConfig !== null) {
    const { path, reloadPeriodMs, initial } = config.runtimeConfig;
    const defaults = limits.defaults;
    const active = new RuntimeConfigReloader({
      path,
      periodMs: reloadPeriodMs,
      initial,
      parse: (text) => parseRuntimeConfig(text, defaults),
      apply: (overrides) => limits.replace(overrides),
      logger,
    });
    registerRuntimeConfigMetrics(registry, () => active.status());
    active.start();
    reloader = active;
    logger.info('runtime config loaded', { file: path, sha256: initial.sha256, tenants: limits.tenants().join(',') });
  }
  const app = buildIngestApi({ web, receiver, tracker, registry, metrics, maxRequestBytes: config.maxRequestBytes, multitenancy: config.multitenancy, ready: () => true });
  // Heartbeats, failover and cleanup run in the background, as Mimir's update loop does.
  const tick = setInterval(() => void tracker.tick(), Math.max(100, Math.min(config.updateTimeoutMs, 1000)));
  tick.unref();
  await app.listen({ host: config.httpAddress.host, port: config.httpAddress.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpAddress.port;
  const host = config.httpAddress.host === '0.0.0.0' ? '127.0.0.1' : config.httpAddress.host;
  logger.info('listening for remote write', { address: `${config.httpAddress.host}:${port}`, targets: config.remoteWriteUrls.join(',') });
  return {
    httpUrl: `${web.tls ? 'https' : 'http'}://${host}:${port}`,
    async close() {
      clearInterval(tick);
      reloader?.stop();
      unwatch();
      await app.close();
      await forwarder.close();
      await workers.close();
      await closeStore();
    },
  };
}
