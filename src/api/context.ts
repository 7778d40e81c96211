import type { Deduplicator } from '../dedup/index.js';
import type { QueryMetrics } from '../metrics.js';
import type { Engine } from '../promql/engine.js';
import type { PromQLCompat } from '../promql/types.js';
import type { QueryConfig } from '../query/config.js';
import type { StoreSet } from '../query/stores.js';
import type { Gate } from '../util/gate.js';
import type { Logger } from '../util/log.js';

/** What the HTTP handlers share. */
export interface ApiContext {
  readonly config: QueryConfig;
  readonly engine: Engine;
  readonly stores: StoreSet;
  readonly deduplicator: Deduplicator;
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
