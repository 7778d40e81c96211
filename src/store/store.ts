import type { Labels } from '../model/labels.js';
import type { LabelMatcher } from '../model/matcher.js';
import type { Series } from '../model/samples.js';
import type { SelectHints } from '../storage/querier.js';

/** One select sent to one store (a Prometheus over remote read, or a StoreAPI endpoint). */
export interface StoreSelectRequest {
  /** Inclusive sample window in ms; stores return only samples inside it. */
  readonly minTime: number;
  readonly maxTime: number;
  readonly matchers: readonly LabelMatcher[];
  readonly hints: SelectHints;
}

export interface StoreSelectResult {
  /** Series with the store's external labels included, in any order. */
  readonly series: Series[];
  readonly warnings: string[];
}

/** A backend the querier fans selects out to. */
export interface Store {
  /** Stable human-readable identity, e.g. the endpoint URL; used in warnings and metrics. */
  readonly name: string;
  /** The store's external label sets as last seen (empty array = unknown, matches everything). */
  labelSets(): readonly Labels[];
  /** Starts background refresh of metadata (external labels); resolves after the first attempt. */
  start(): Promise<void>;
  stop(): Promise<void>;
  select(req: StoreSelectRequest, signal: AbortSignal): Promise<StoreSelectResult>;
  /** Label names / values / series metadata for the metadata endpoints. */
  labelNames(req: LabelsRequest, signal: AbortSignal): Promise<string[]>;
  labelValues(name: string, req: LabelsRequest, signal: AbortSignal): Promise<string[]>;
  /** Label sets of the matching series, external labels included (`/api/v1/series`). */
  series(req: LabelsRequest, signal: AbortSignal): Promise<Labels[]>;
  /** Metric metadata as Prometheus' `/api/v1/metadata` returns it. */
  metadata(metric: string, limit: number, signal: AbortSignal): Promise<Record<string, MetricMetadata[]>>;
}

export interface MetricMetadata {
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

export interface LabelsRequest {
  readonly minTime: number;
  readonly maxTime: number;
  /** Series selectors (`match[]`), each a list of matchers; empty = all series. */
  readonly matchers: readonly (readonly LabelMatcher[])[];
  readonly limit: number;
}
