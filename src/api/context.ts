import type { Registry } from 'prom-client';
import type { QueryMetrics } from '../query/metrics.js';
import type { PromQLCompat } from '../promql/types.js';
import type { QueryConfig } from '../query/config.js';
import type { FanoutPolicy } from '../query/partial.js';
import type { QueryOutcome } from '../query/pool.js';
import type { QueryTask } from '../query/protocol.js';
import type { MetadataQuerier } from '../query/metadata.js';
import type { StoreSet } from '../query/stores.js';
import type { Gate } from '../util/gate.js';
import type { Logger } from '../util/log.js';

/** What the HTTP handlers share: the query side's faces, never its wiring. */
export interface ApiContext {
  readonly config: QueryConfig;
  /** Runs one PromQL query in a query worker; resolves with the encoded JSON body. */
  runQuery(task: QueryTask, policy: FanoutPolicy, signal: AbortSignal): Promise<QueryOutcome>;
  /** Label names, label values, series and metadata fan-out. */
  readonly metadata: MetadataQuerier;
  /** The endpoints (for /api/v1/stores). */
  readonly stores: StoreSet;
  /** The process' registry, served on /metrics. */
  readonly registry: Registry;
  readonly metrics: QueryMetrics;
  readonly gate: Gate;
  readonly logger: Logger;
  /** The PromQL dialect to evaluate with right now (auto mode follows the endpoints). */
  compat(): PromQLCompat;
  /** Whether to report PromQL annotations (false while every endpoint is a Prometheus older than 2.48). */
  annotations(): boolean;
  /** True once every endpoint has been asked for its metadata at least once. */
  ready(): boolean;
}
