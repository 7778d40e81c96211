import type { Store } from '../store/store.js';
import { unavailableMessage } from './stores.js';
import { ErrorCodes } from '../model/errors.js';
import { PromQLError } from '../promql/errors.js';
import { linkedSignal } from '../util/signal.js';

/** Per-request fan-out policy shared by selects and metadata calls. */
export interface FanoutPolicy {
  /** true: a failing endpoint becomes a warning (Thanos WARN); false: the request fails (ABORT). */
  readonly partialResponse: boolean;
  /**
   * --store.response-timeout in ms (0 = none, only the query's own deadline applies): for selects
   * the longest wait for the next piece of an endpoint's answer (Thanos' meaning), for metadata
   * calls the whole call.
   */
  readonly storeTimeout: number;
  /** Replica labels StoreAPI endpoints may drop themselves (dedup on); empty/absent = none. */
  readonly withoutReplicaLabels?: readonly string[];
  /** max_source_resolution in ms (0 = raw data only). */
  readonly maxSourceResolution?: number;
}

/**
 * Unhealthy endpoints that would have served a request: warnings naming them (partial response
 * on), or the request fails (off). Never a silently partial answer.
 */
export function unavailableWarnings(stores: readonly Store[], policy: FanoutPolicy): string[] {
  const warnings = stores.map(unavailableMessage);
  if (warnings.length > 0 && !policy.partialResponse) throw new PromQLError('execution', warnings[0]!, ErrorCodes.ENDPOINT);
  return warnings;
}

export interface FanoutOutcome<T> {
  readonly results: T[];
  readonly warnings: string[];
}

/**
 * Calls every store in parallel under the request's signal plus the per-store timeout. Failures
 * become warnings or abort the whole request, depending on the policy. A cancellation of the
 * request itself is always rethrown.
 */
export async function fanOut<T>(
  stores: readonly Store[],
  policy: FanoutPolicy,
  signal: AbortSignal,
  call: (store: Store, signal: AbortSignal) => Promise<T>,
  observe?: (store: Store, seconds: number, failed: boolean) => void,
): Promise<FanoutOutcome<T>> {
  const settled = await Promise.allSettled(
    stores.map(async (store) => {
      const linked = policy.storeTimeout > 0 ? linkedSignal([signal], policy.storeTimeout) : null;
      const storeSignal = linked?.signal ?? signal;
      const started = performance.now();
      try {
        const value = await call(store, storeSignal);
        observe?.(store, (performance.now() - started) / 1000, false);
        return value;
      } catch (err) {
        observe?.(store, (performance.now() - started) / 1000, true);
        throw describeStoreError(store, err, storeSignal, signal);
      } finally {
        linked?.dispose();
      }
    }),
  );
  if (signal.aborted) throw signal.reason;
  const results: T[] = [];
  const warnings: string[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') {
      results.push(s.value);
    } else if (policy.partialResponse) {
      warnings.push((s.reason as Error).message);
    } else {
      throw new PromQLError('execution', (s.reason as Error).message, ErrorCodes.ENDPOINT);
    }
  }
  return { results, warnings };
}

function describeStoreError(store: Store, err: unknown, storeSignal: AbortSignal, requestSignal: AbortSignal): Error {
  if (storeSignal.aborted && !requestSignal.aborted) {
    return new Error(`endpoint ${store.name}: no response within the store response timeout`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`endpoint ${store.name}: ${message}`);
}
