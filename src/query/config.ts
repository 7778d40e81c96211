import type { DedupFunc } from '../dedup/index.js';
import type { GrpcClientTls } from '../store/grpc/credentials.js';
import type { LogFormat, LogLevel } from '../util/log.js';
import type { ConfiguredEndpoint } from '../store/prometheus/client-config.js';

/** Settings of `promdedup query`, after flag parsing and validation. Durations in ms. */
export interface QueryConfig {
  readonly httpAddress: { host: string; port: number };
  /** --http.config: Prometheus web-config file for the HTTP server ('' for none). */
  readonly httpConfigFile: string;
  /** --web.cors.origin, unanchored (default `.*`). */
  readonly corsOrigin: string;
  /** Endpoints of --endpoint.sd-config(-file), with their HTTP client settings. */
  readonly configuredEndpoints: readonly ConfiguredEndpoint[];
  /** --endpoint.sd-config-file ('' for none), re-read on SIGHUP and every endpointConfigReloadMs. */
  readonly endpointConfigFile: string;
  readonly endpointConfigReloadMs: number;
  readonly grpcAddress: { host: string; port: number };
  /** Endpoint specs (--endpoint): Prometheus URLs, StoreAPI host:port, dns+/dnssrv+ names. */
  readonly endpoints: readonly string[];
  /** --endpoint-strict: always asked, even while failing their health checks. */
  readonly strictEndpoints: readonly string[];
  /** --store.sd-files (Prometheus file_sd format), re-read on change and every sdIntervalMs. */
  readonly sdFiles: readonly string[];
  readonly sdIntervalMs: number;
  /** --store.sd-dns-interval */
  readonly dnsIntervalMs: number;
  /** --store.unhealthy-timeout */
  readonly unhealthyTimeoutMs: number;
  /** --endpoint.info-timeout: Info period and timeout. */
  readonly infoIntervalMs: number;
  readonly grpcClientTls: GrpcClientTls;
  readonly grpcServerTls: GrpcServerTls;
  /** --grpc.serve-deduplicated: the StoreAPI server sends merged series. */
  readonly serveDeduplicated: boolean;
  /** --query.auto-downsampling: max_source_resolution defaults to step/5. */
  readonly autoDownsampling: boolean;
  readonly replicaLabels: readonly string[];
  readonly dedupFunc: DedupFunc;
  readonly queryTimeout: number;
  readonly lookbackDelta: number;
  readonly maxConcurrent: number;
  readonly partialResponse: boolean;
  readonly storeResponseTimeout: number;
  /** 'auto' follows the endpoints' Prometheus major version (2.x or 3.x PromQL). */
  readonly promqlCompat: 'auto' | '2' | '3';
  /** Query worker threads kept started (more start on demand, up to maxConcurrent + 1). */
  readonly queryWorkers: number;
  /** --query.max-samples: samples a query may fetch from one endpoint or hold at once. */
  readonly maxSamples: number;
  /** Thanos' --store.limits.request-series / request-samples per endpoint read; 0 = off. */
  readonly requestSeriesLimit: number;
  readonly requestSamplesLimit: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Flag values as given, for /api/v1/status/flags. */
  readonly flags: Readonly<Record<string, string>>;
}

export interface GrpcServerTls {
  /** --grpc-server-tls-cert / -key: serve TLS when both are given. */
  readonly certFile: string;
  readonly keyFile: string;
  /** --grpc-server-tls-client-ca: require and verify client certificates against this CA. */
  readonly clientCaFile: string;
}
