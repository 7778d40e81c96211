/** `promdedup query`: wires endpoints, the querier, the query workers and the HTTP API, and listens. */
import type { FastifyInstance } from 'fastify';
import { buildHttpApi } from '../api/server.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { QueryMetrics } from '../query/metrics.js';
import { annotationsFor, compatFor } from '../query/compat.js';
import type { QueryConfig } from '../query/config.js';
import { MetadataQuerier } from '../query/metadata.js';
import { QueryPool } from '../query/pool.js';
import { Querier } from '../query/querier.js';
import { StoreSet } from '../query/stores.js';
import { PrometheusStore } from '../store/prometheus/store.js';
import { GrpcStore } from '../store/grpc/store.js';
import { EndpointDiscovery, type DiscoveredEndpoint } from '../store/discovery/index.js';
import { clientCredentials } from '../store/grpc/credentials.js';
import { GrpcClientMetrics } from '../store/grpc/metrics.js';
import type { Store } from '../store/store.js';
import type { FanoutPolicy } from '../query/partial.js';
import type { QueryTask } from '../query/protocol.js';
import { startGrpcServer } from '../api/grpc/server.js';
import { uiPlugin } from '../ui/plugin.js';
import { Gate } from '../util/gate.js';
import { DnsMetrics, GateMetrics } from '../api/metrics.js';
import type { Logger } from '../util/log.js';
import { WebConfigHolder } from '../api/web-config.js';
import type { ConfiguredEndpoint, HttpClientSettings } from '../store/prometheus/client-config.js';
import { readEndpointConfigFile } from './flags.js';
import { parseCorsOrigin } from '../api/cors.js';

export interface QueryService {
  /** Where the HTTP API listens, e.g. http://127.0.0.1:10902 */
  readonly httpUrl: string;
  /** The port the StoreAPI gRPC server bound. */
  readonly grpcPort: number;
  /** Re-reads what can change without a restart (--http.config, --endpoint.sd-config-file, endpoints' external labels and versions). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Makes the Store for one discovered endpoint (a Prometheus URL, with its client settings if any, or a StoreAPI host:port). */
function storeFactory(config: QueryConfig, grpcMetrics: GrpcClientMetrics): (e: DiscoveredEndpoint, client: HttpClientSettings | null) => Store {
  const tls = clientCredentials(config.grpcClientTls);
  return (e, client) => {
    if (e.kind === 'prometheus') {
      if (client === null) {
        // dns+https://name: the certificate is checked against the looked-up name, not the IP.
        return new PrometheusStore({ url: e.address, ...(e.serverName !== undefined ? { tls: { servername: e.serverName } } : {}) });
      }
      // An address found by a DNS lookup is checked against the looked-up name unless server_name is set.
      const servername = client.tls.servername ?? e.serverName;
      return new PrometheusStore({
        url: e.address,
        headers: client.headers, // not copied: the authorization from a file is read per request
        tls: { ...client.tls, ...(servername !== undefined ? { servername } : {}) },
      });
    }
    // An address found by a DNS lookup is checked against the looked-up name (unless a name is forced).
    const serverName = config.grpcClientTls.serverName === '' && e.serverName !== undefined && config.grpcClientTls.secure ? e.serverName : '';
    const options = serverName !== '' ? { ...tls.options, 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : tls.options;
    return new GrpcStore({
      address: e.address,
      creds: tls.creds,
      channelOptions: options,
      strict: e.strict,
      infoIntervalMs: config.infoIntervalMs,
      interceptors: [grpcMetrics.interceptor],
    });
  };
}

/** What a client configuration sends and checks, as one string: equal strings, same store (kept in memory only: it holds secrets). */
function clientFingerprint(client: HttpClientSettings | null): string {
  if (client === null) return '';
  const t = client.tls;
  return JSON.stringify([
    Object.entries(client.headers).sort(),
    t.ca?.toString('base64') ?? '',
    t.cert?.toString('base64') ?? '',
    t.key?.toString('base64') ?? '',
    t.servername ?? '',
    t.rejectUnauthorized ?? true,
  ]);
}

/** One reading of --endpoint.sd-config(-file): its endpoints' discovery and client settings by spec. */
interface ConfigGeneration {
  readonly discovery: EndpointDiscovery;
  readonly clients: ReadonlyMap<string, HttpClientSettings>;
}

export async function startQueryService(config: QueryConfig, logger: Logger, web: WebConfigHolder = WebConfigHolder.none()): Promise<QueryService> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const dnsMetrics = new DnsMetrics(registry);
  const makeStore = storeFactory(config, new GrpcClientMetrics(registry));
  const stores = new StoreSet([], { unhealthyTimeoutMs: config.unhealthyTimeoutMs });
  // Endpoints by discovery key (plus, for configured endpoints, their client settings): one Store
  // per endpoint for as long as discovery lists it with the same settings.
  const byKey = new Map<string, Store>();
  let syncing: Promise<void> = Promise.resolve();
  let generation: ConfigGeneration | null = null;
  const sync = async (): Promise<void> => {
    const gen = generation;
    const fromConfig = gen?.discovery.current() ?? [];
    // An endpoint both in the flags and the config file is reached with the file's settings.
    const configKeys = new Set(fromConfig.map((e) => e.key));
    const wanted: [string, DiscoveredEndpoint, HttpClientSettings | null][] = discovery
      .current()
      .filter((e) => !configKeys.has(e.key))
      .map((e) => [e.key, e, null]);
    for (const e of fromConfig) {
      const client = gen!.clients.get(e.source) ?? null;
      wanted.push([`${e.key}\u0000${e.strict}\u0000${clientFingerprint(client)}`, e, client]);
    }
    const next = new Map<string, Store>();
    for (const [k, e, client] of wanted) next.set(k, byKey.get(k) ?? makeStore(e, client));
    byKey.clear();
    for (const [k, s] of next) byKey.set(k, s);
    await stores.replace([...next.values()]);
    logger.info('endpoints', { count: next.size, endpoints: wanted.map(([, e]) => e.key).join(',') });
  };
  const schedule = (): void => {
    syncing = syncing.then(() => sync()).catch((err: unknown) => logger.error('updating endpoints failed', { err: String(err) }));
  };
  const discoveryOptions = { sdIntervalMs: config.sdIntervalMs, dnsIntervalMs: config.dnsIntervalMs, onDnsLookup: dnsMetrics.looked, logger, onChange: schedule };
  const discovery = new EndpointDiscovery({
    endpoints: config.endpoints,
    strictEndpoints: config.strictEndpoints,
    sdFiles: config.sdFiles,
    ...discoveryOptions,
  });
  /** Starts discovery of one reading of the endpoint config (resolves once its specs were looked up). */
  const startGeneration = async (endpoints: readonly ConfiguredEndpoint[]): Promise<ConfigGeneration> => {
    const gen: ConfigGeneration = {
      discovery: new EndpointDiscovery({
        endpoints: endpoints.filter((c) => !c.strict).map((c) => c.address),
        strictEndpoints: endpoints.filter((c) => c.strict).map((c) => c.address),
        ...discoveryOptions,
      }),
      clients: new Map(endpoints.filter((c) => c.client !== null).map((c) => [c.address, c.client!])),
    };
    await gen.discovery.start();
    return gen;
  };
  if (config.configuredEndpoints.length > 0 || config.endpointConfigFile !== '') generation = await startGeneration(config.configuredEndpoints);
  await discovery.start();
  schedule();
  await syncing;
  /** --endpoint.sd-config-file read again: the new endpoints and settings replace the old; a bad file keeps them. */
  const reloadEndpointConfig = async (): Promise<void> => {
    if (config.endpointConfigFile === '') return;
    const endpoints = readEndpointConfigFile(config.endpointConfigFile); // throws: the previous reading stays
    const old = generation;
    generation = await startGeneration(endpoints);
    schedule();
    await syncing;
    await old?.discovery.stop();
    logger.info('reloaded --endpoint.sd-config-file', { file: config.endpointConfigFile, endpoints: endpoints.length });
  };
  let endpointConfigReloading: Promise<void> = Promise.resolve();
  const queueEndpointConfigReload = (): Promise<void> => {
    const run = endpointConfigReloading.then(reloadEndpointConfig);
    endpointConfigReloading = run.catch(() => {});
    return run;
  };
  const endpointConfigTimer =
    config.endpointConfigFile !== ''
      ? setInterval(
          () =>
            void queueEndpointConfigReload().catch((err: unknown) =>
              logger.error('reloading --endpoint.sd-config-file failed; keeping the previous endpoints', { err: err instanceof Error ? err.message : String(err) }),
            ),
          config.endpointConfigReloadMs,
        )
      : undefined;
  endpointConfigTimer?.unref();
  const metrics = new QueryMetrics(registry);
  metrics.watchEndpoints(registry, () => stores.stores);
  const versions = (): (string | null)[] => stores.stores.map((s) => s.version());
  const pool = new QueryPool({
    settings: {
      lookbackDelta: config.lookbackDelta,
      defaultEvaluationInterval: 60_000,
      maxSamples: config.maxSamples,
      requestSeries: config.requestSeriesLimit,
      requestSamples: config.requestSamplesLimit,
      delayedNameRemoval: false, // as stock Prometheus; its test suite enables the feature flag
    },
    // More threads than this only slow each other down on the cores (measured: 16 clients got 0.51x
    // of Prometheus' throughput with 4 workers, 0.14-0.25x with 17); the spare keeps one free.
    min: config.queryWorkers,
    max: Math.min(config.maxConcurrent, config.queryWorkers + 1),
    querier: new Querier(stores, metrics),
    metrics,
    logger,
  });
  let ready = false;
  const metadata = new MetadataQuerier(stores);
  const gateMetrics = new GateMetrics(registry, config.maxConcurrent);
  const gate = new Gate(config.maxConcurrent, gateMetrics);
  gateMetrics.watch(gate);
  const runQuery = (task: QueryTask, policy: FanoutPolicy, signal: AbortSignal) => pool.run(task, policy, signal);
  const compat = () => compatFor(config.promqlCompat, versions());
  const app: FastifyInstance = buildHttpApi({
    config,
    runQuery,
    metadata,
    stores,
    registry,
    metrics,
    gate,
    logger,
    compat,
    annotations: () => config.promqlCompat !== 'auto' || annotationsFor(versions()),
    ready: () => ready,
  }, { web, cors: parseCorsOrigin(config.corsOrigin) });
  void app.register(uiPlugin, { logger });

  // Serve right away (health, metrics); /-/ready turns 200 once every endpoint was asked once.
  await app.listen({ host: config.httpAddress.host, port: config.httpAddress.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpAddress.port;
  const host = config.httpAddress.host === '0.0.0.0' ? '127.0.0.1' : config.httpAddress.host;
  const httpUrl = `${web.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('listening for HTTP', {
    address: `${config.httpAddress.host}:${port}`,
    query_workers: pool.size,
    tls: web.tls,
    basic_auth_users: web.config.users.size,
  });

  const grpc = await startGrpcServer(
    { host: config.grpcAddress.host, port: config.grpcAddress.port, tls: config.grpcServerTls },
    {
      stores,
      metadata,
      runQuery,
      gate,
      logger,
      compat,
      replicaLabels: config.replicaLabels,
      dedupFunc: config.dedupFunc,
      serveDeduplicated: config.serveDeduplicated,
      queryTimeout: config.queryTimeout,
      storeResponseTimeout: config.storeResponseTimeout,
    },
    registry,
  );
  logger.info('listening for gRPC', { address: `${config.grpcAddress.host}:${grpc.port}`, tls: config.grpcServerTls.certFile !== '' });

  void stores.start().then(
    () => {
      ready = true;
      const known = versions().some((v) => v !== null);
      logger.info('endpoints contacted', {
        endpoints: stores.stores.length,
        promql: known ? `prometheus ${compatFor(config.promqlCompat, versions())}.x semantics` : 'prometheus 3.x semantics (no endpoint answered yet)',
      });
    },
    (err: unknown) => logger.error('starting endpoints failed', { err: String(err) }),
  );

  return {
    httpUrl,
    async reload() {
      // The web config first: a bad file is reported (and the previous one kept) without stopping the rest.
      let webError: unknown = null;
      try {
        if (web.reload()) logger.info('reloaded --http.config', { file: web.path, tls: web.tls, basic_auth_users: web.config.users.size });
      } catch (err) {
        webError = err;
      }
      let endpointError: unknown = null;
      await queueEndpointConfigReload().catch((err: unknown) => {
        endpointError = new Error(`--endpoint.sd-config-file: ${err instanceof Error ? err.message : String(err)}; keeping the previous endpoints`);
      });
      await Promise.all(stores.stores.map((s) => s.refreshExternalLabels()));
      // Both reported when both failed (each kept its previous configuration).
      const failures = [webError, endpointError].filter((e) => e !== null).map((e) => (e instanceof Error ? e.message : String(e)));
      if (failures.length > 0) throw new Error(failures.join('; '));
    },
    grpcPort: grpc.port,
    async close() {
      await Promise.all([app.close(), grpc.close()]);
      clearInterval(endpointConfigTimer);
      await endpointConfigReloading;
      await Promise.all([discovery.stop(), generation?.discovery.stop()]);
      await syncing;
      await stores.stop();
      await pool.close();
    },
  };
}
