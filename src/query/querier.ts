import type { Deduplicator, DedupFunc } from '../dedup/index.js';
import { isCounterFunc } from '../dedup/index.js';
import type { LabelMatcher } from '../model/matcher.js';
import type { Series } from '../model/samples.js';
import type { QueryMetrics } from '../metrics.js';
import type { Querier, SelectHints, SelectResult } from '../storage/querier.js';
import type { StoreSet } from './stores.js';
import { fanOut, type FanoutPolicy } from './partial.js';

export interface DedupPolicy {
  /** Replica label names to drop and merge over; dedup is off when empty (as in Thanos). */
  readonly replicaLabels: ReadonlySet<string>;
  readonly enabled: boolean;
  readonly func: DedupFunc;
}

const NO_LABELS: ReadonlySet<string> = new Set();

/**
 * The engine's storage for one request: fans each select out to the matching endpoints and merges
 * what comes back. With dedup on, replica labels are dropped and each group of replicas is merged
 * (penalty or chain) in worker threads. With dedup off, only series whose label sets are exactly
 * equal (e.g. the same series from two endpoints without replica labels) are merged, by union.
 */
export class FanoutQuerier implements Querier {
  constructor(
    private readonly stores: StoreSet,
    private readonly deduplicator: Deduplicator,
    private readonly fanout: FanoutPolicy,
    private readonly dedup: DedupPolicy,
    private readonly metrics: QueryMetrics,
  ) {}

  async select(matchers: readonly LabelMatcher[], hints: SelectHints, signal: AbortSignal): Promise<SelectResult> {
    const { results, warnings } = await fanOut(
      this.stores.matching(matchers),
      this.fanout,
      signal,
      (store, storeSignal) =>
        store.select({ minTime: hints.start, maxTime: hints.end, matchers, hints }, storeSignal),
      (store, seconds, failed) => {
        this.metrics.storeSelectDuration.observe({ endpoint: store.name }, seconds);
        if (failed) this.metrics.storeSelectErrors.inc({ endpoint: store.name });
      },
    );
    const series: Series[] = [];
    for (const r of results) {
      for (const s of r.series) series.push(s);
      for (const w of r.warnings) warnings.push(w);
    }
    const dedupOn = this.dedup.enabled && this.dedup.replicaLabels.size > 0;
    if (dedupOn) this.metrics.dedupSamplesIn.inc(countSamples(series));
    const merged = await this.deduplicator.dedup(
      series,
      dedupOn ? this.dedup.replicaLabels : NO_LABELS,
      { func: dedupOn ? this.dedup.func : 'chain', counter: dedupOn && isCounterFunc(hints.func) },
      signal,
    );
    if (dedupOn) this.metrics.dedupSamplesOut.inc(countSamples(merged));
    return { series: merged, warnings };
  }
}

function countSamples(series: readonly Series[]): number {
  let n = 0;
  for (const s of series) n += s.samples.timestamps.length;
  return n;
}
