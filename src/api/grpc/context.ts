/**
 * What the StoreAPI services share (the query side's faces, never its wiring), and the signal and
 * dedup policy of one call.
 */
import type { DedupFunc } from '../../dedup/types.js';
import type { PromQLCompat } from '../../promql/types.js';
import type { DedupPolicy, MetadataQuerier } from '../../query/metadata.js';
import type { FanoutPolicy } from '../../query/partial.js';
import type { QueryOutcome } from '../../query/pool.js';
import type { QueryTask } from '../../query/protocol.js';
import type { StoreSet } from '../../query/stores.js';
import type { Gate } from '../../util/gate.js';
import type { Logger } from '../../util/log.js';

export interface StoreApiContext {
  readonly stores: StoreSet;
  readonly metadata: MetadataQuerier;
  runQuery(task: QueryTask, policy: FanoutPolicy, signal: AbortSignal): Promise<QueryOutcome>;
  readonly gate: Gate;
  readonly logger: Logger;
  compat(): PromQLCompat;
  /** --query.replica-label */
  readonly replicaLabels: readonly string[];
  readonly dedupFunc: DedupFunc;
  /** --grpc.serve-deduplicated: send merged series instead of every replica's. */
  readonly serveDeduplicated: boolean;
  /** --query.timeout (0 = none); a shorter client deadline wins. */
  readonly queryTimeout: number;
  readonly storeResponseTimeout: number;
}

/** Aborted when the client cancels or its deadline (or --query.timeout) passes. */
export function callSignal(ctx: StoreApiContext, call: { on(event: 'cancelled', f: () => void): unknown; getDeadline(): Date | number }): { signal: AbortSignal; timeoutMs: number; dispose(): void } {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(Object.assign(new Error('query was canceled'), { name: 'AbortError' })));
  const d = call.getDeadline();
  const deadline = d instanceof Date ? d.getTime() : d;
  let timeoutMs = ctx.queryTimeout;
  if (Number.isFinite(deadline)) timeoutMs = Math.min(timeoutMs > 0 ? timeoutMs : Infinity, Math.max(1, deadline - Date.now()));
  let timer: NodeJS.Timeout | null = null;
  if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => controller.abort(Object.assign(new Error('query timed out'), { name: 'TimeoutError' })), timeoutMs);
    timer.unref();
  }
  return {
    signal: controller.signal,
    timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : 0,
    dispose: () => {
      if (timer !== null) clearTimeout(timer);
    },
  };
}


/** Dedup on only in the --grpc.serve-deduplicated mode; the request's replica labels join the flag's. */
export function dedupPolicy(ctx: StoreApiContext, withoutReplicaLabels: readonly string[]): DedupPolicy {
  return {
    replicaLabels: new Set([...ctx.replicaLabels, ...withoutReplicaLabels]),
    enabled: ctx.serveDeduplicated,
    func: ctx.dedupFunc,
  };
}

/**
 * The requested `without_replica_labels` that are external labels of some endpoint: as Thanos'
 * sidecar and store gateway, only external labels are removed (a series' own label of that name
 * stays).
 */
export function replicaLabelsToDrop(ctx: StoreApiContext, requested: readonly string[]): string[] {
  if (requested.length === 0) return [];
  const external = new Set<string>();
  for (const s of ctx.stores.stores) for (const ls of s.labelSets()) for (const l of ls) external.add(l.name);
  return requested.filter((n) => external.has(n));
}
