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

/**
 * An endpoint's answer to several selects at once, not yet read: the body is moved as raw bytes
 * to a query worker, which decodes it with `codec`.
 */
export interface RawRead {
  readonly codec: 'prometheus-remote-read';
  readonly responseType: number;
  readonly contentEncoding: string;
  readonly body: AsyncIterable<Uint8Array>;
  /** Stops reading the body and releases the connection. */
  destroy(): void;
  /** Index (in the requested list) of the select each query of the read answers, in order. */
  readonly selects: readonly number[];
  /** The store's external labels as cached when the read was sent. */
  readonly externalLabels: Labels;
}

/** A backend the querier fans selects out to. */
export interface Store {
  /** Stable human-readable identity, e.g. the endpoint URL; used in warnings and metrics. */
  readonly name: string;
  /** The store's external label sets as last seen (empty array = unknown, matches everything). */
  labelSets(): readonly Labels[];
  /** The server's Prometheus version (e.g. "2.42.0") as last seen; null when unknown. */
  version(): string | null;
  /** Starts background refresh of metadata (external labels); resolves after the first attempt. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One read for all the given selects; null when none of them can match on this store. */
  openRead(reqs: readonly StoreSelectRequest[], signal: AbortSignal): Promise<RawRead | null>;
  /** Asks the store to re-read its external labels now (they changed under a read). */
  refreshExternalLabels(): Promise<void>;
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
