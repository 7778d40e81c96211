import type { DedupFunc } from '../dedup/index.js';
import type { LogFormat, LogLevel } from '../util/log.js';

/** Settings of `promdedup query`, after flag parsing and validation. Durations in ms. */
export interface QueryConfig {
  readonly httpAddress: { host: string; port: number };
  readonly grpcAddress: { host: string; port: number };
  readonly endpoints: readonly string[];
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
