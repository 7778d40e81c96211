import type { LabelMatcher } from '../model/matcher.js';
import type { Series } from '../model/samples.js';

/**
 * What the PromQL engine tells storage about a select, as Prometheus' `storage.SelectHints`.
 * The dedup layer reads `func` to decide whether counter adjustment applies.
 */
export interface SelectHints {
  /** Inclusive window of sample timestamps the engine needs, in ms. */
  readonly start: number;
  readonly end: number;
  /** Step of the query in ms (0 for instant queries). */
  readonly step: number;
  /** Name of the function the selector feeds (e.g. "rate"), or "" when none. */
  readonly func: string;
  /** Range of a matrix selector in ms, 0 for instant selectors. */
  readonly range: number;
  /** Grouping of the aggregation around the selector, when any. */
  readonly grouping: readonly string[];
  readonly by: boolean;
}

export interface SelectResult {
  /** Series sorted by labels (compareLabels), each with samples inside [hints.start, hints.end]. */
  readonly series: Series[];
  /** Partial-response warnings and the like; surfaced in the API response's `warnings`. */
  readonly warnings: string[];
}

/** The engine's view of storage: one query's worth of selects. */
export interface Querier {
  select(matchers: readonly LabelMatcher[], hints: SelectHints, signal: AbortSignal): Promise<SelectResult>;
}
