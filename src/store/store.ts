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
  /** Replica labels the store may drop itself (StoreAPI `without_replica_labels`); empty = dedup off. */
  readonly withoutReplicaLabels?: readonly string[];
  /** Thanos' max_resolution_window in ms (0 = raw data only). */
  readonly maxResolutionMs?: number;
  /** Partial response on: the store turns failures behind it into warnings (Thanos WARN). */
  readonly partialResponse?: boolean;
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
  /** 'thanos-series': frames of [u32 LE select][u32 LE length][SeriesResponse] (store/grpc). */
  readonly codec: 'prometheus-remote-read' | 'thanos-series';
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
  /** Health and metadata as last checked (endpoints page, pruning, warnings). */
  status(): StoreStatus;
  /** Starts background refresh of metadata (external labels); resolves after the first attempt. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One read for all the given selects; null when none of them can match on this store. */
  openRead(reqs: readonly StoreSelectRequest[], signal: AbortSignal): Promise<RawRead | null>;
  /** Asks the store to re-read its external labels now (they changed under a read). */
  refreshExternalLabels(): Promise<void>;
  /**
   * Label names / values / series metadata for the metadata endpoints. `warn` receives the
   * warnings of a partial answer (e.g. a StoreAPI endpoint whose own stores failed).
   */
  labelNames(req: LabelsRequest, signal: AbortSignal, warn?: (message: string) => void): Promise<string[]>;
  labelValues(name: string, req: LabelsRequest, signal: AbortSignal, warn?: (message: string) => void): Promise<string[]>;
  /** Label sets of the matching series, external labels included (`/api/v1/series`). */
  series(req: LabelsRequest, signal: AbortSignal, warn?: (message: string) => void): Promise<Labels[]>;
  /** Metric metadata as Prometheus' `/api/v1/metadata` returns it. */
  metadata(metric: string, limit: number, signal: AbortSignal): Promise<Record<string, MetricMetadata[]>>;
  /**
   * Exemplars of the series the selectors pick in [minTime, maxTime] (`/api/v1/query_exemplars`),
   * series labels with the external labels included. Absent on stores without exemplars.
   */
  exemplars?(
    selectors: readonly (readonly LabelMatcher[])[],
    minTime: number,
    maxTime: number,
    signal: AbortSignal,
    warn?: (message: string) => void,
  ): Promise<ExemplarSeries[]>;
  /**
   * Rule groups as the endpoint's `/api/v1/rules` answers them (`params` passed on), rule and alert
   * labels with the external labels included (a StoreAPI endpoint's as it sent them: Thanos'
   * sidecar adds them). Absent on stores without rules.
   */
  rules?(params: readonly [string, string][], signal: AbortSignal, warn?: (message: string) => void): Promise<JsonObject[]>;
  /** Active alerts (`/api/v1/alerts`), labels with the external labels included. */
  alerts?(signal: AbortSignal, warn?: (message: string) => void): Promise<JsonObject[]>;
  /**
   * Scrape targets (`/api/v1/targets`, `params` passed on): the answer's `data`, target and
   * discovered labels with the external labels included.
   */
  targets?(params: readonly [string, string][], signal: AbortSignal, warn?: (message: string) => void): Promise<JsonObject>;
  /**
   * Whether the endpoint serves that API as last seen (a StoreAPI endpoint's Info says so); absent
   * = every API whose method is present. `warn` above receives an endpoint's partial answer.
   */
  serves?(api: StoreApi): boolean;
}

export type StoreApi = 'rules' | 'alerts' | 'targets' | 'exemplars';

/** A JSON object of an endpoint's answer, its key order kept; label maps are Labels (sorted). */
export type JsonObject = Record<string, unknown>;

export interface Exemplar {
  readonly labels: Labels;
  /** As the endpoint formatted it. */
  readonly value: string;
  readonly timestampMs: number;
}

export interface ExemplarSeries {
  readonly seriesLabels: Labels;
  readonly exemplars: Exemplar[];
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
  /** Partial response on (default): a StoreAPI endpoint turns failures behind it into warnings. */
  readonly partialResponse?: boolean;
}

/** What the querier knows about an endpoint (Thanos' endpoint status). */
export interface StoreStatus {
  /** Thanos component type ("sidecar", "store", "query", ...) or "prometheus". */
  readonly componentType: string;
  /** May be asked now. A StoreAPI endpoint whose last Info failed is not (unless strict). */
  readonly queryable: boolean;
  readonly strict: boolean;
  /** ms since the epoch of the last check and of the last successful one; 0 = never. */
  readonly lastCheck: number;
  readonly lastSuccess: number;
  readonly lastError: string | null;
  /** Inclusive range of the data held, ms; ±Infinity when unknown (all time). */
  readonly minTime: number;
  readonly maxTime: number;
  /** Supports `without_replica_labels` (Thanos StoreInfo); remote read always strips nothing. */
  readonly withoutReplicaLabels: boolean;
}
