/**
 * Messages between the main thread and a query worker. The main thread sends a query task and the
 * raw bytes of the endpoints' answers; the worker asks for selects, decodes, deduplicates,
 * evaluates and sends back the encoded JSON body. Byte payloads are transferred, never copied
 * through JSON or structured clone of arrays of numbers.
 */
import type { ErrorCode } from '../model/errors.js';
import type { Label } from '../model/labels.js';
import type { MatchType } from '../model/matcher.js';
import type { DedupFunc } from '../dedup/types.js';
import type { PromQLErrorKind } from '../promql/errors.js';
import type { PromQLCompat } from '../promql/types.js';
import type { SelectHints } from '../storage/querier.js';
import type { SeriesShard } from '../store/grpc/series-encoder.js';

/** Settings every worker starts with (workerData). */
export interface WorkerSettings {
  readonly lookbackDelta: number;
  readonly defaultEvaluationInterval: number;
  /** --query.max-samples: samples a query may fetch or hold at once. */
  readonly maxSamples: number;
  /** Thanos' --store.limits.request-series / request-samples, per endpoint read (0 = off). */
  readonly requestSeries: number;
  readonly requestSamples: number;
  readonly delayedNameRemoval: boolean;
}

/** What a worker starts with (workerData). */
export interface WorkerData {
  readonly settings: WorkerSettings;
  /**
   * One Int32 shared with the main thread: the id of the query to cancel. A synchronous evaluation
   * polls it (it cannot receive messages), so a cancelled query stops without losing the worker.
   */
  readonly cancel: Int32Array;
  /** Run at the main thread's priority (the pool's last-resort worker) instead of below it. */
  readonly urgent: boolean;
}

export interface QueryTask {
  /** 'series': a StoreAPI Series request (see `series`); the answer is Series frames, not JSON. */
  readonly kind: 'instant' | 'range' | 'series';
  readonly query: string;
  /** ms; for instant queries start = end = the evaluation time and step = 0. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly lookbackDelta: number;
  readonly compat: PromQLCompat;
  readonly annotations: boolean;
  /** ms of evaluation time left when the task was sent (0 = no timeout). */
  readonly timeoutMs: number;
  readonly replicaLabels: readonly string[];
  readonly dedup: boolean;
  readonly dedupFunc: DedupFunc;
  /** dedup=explain: the answer also carries every select's dedup provenance. */
  readonly explain?: boolean;
  /** analyze=true: the answer also carries the operator tree with time and samples per operator. */
  readonly analyze?: boolean;
  readonly partialResponse: boolean;
  /** For kind 'series'. */
  readonly series?: SeriesTaskSpec;
}

/**
 * A Series request of the StoreAPI server: one select, answered as length-prefixed SeriesResponse
 * frames. Replicas are merged only when the task has dedup on (the server's deduplicated mode).
 */
export interface SeriesTaskSpec {
  readonly matchers: readonly WireMatcher[];
  readonly hints: SelectHints;
  readonly withoutReplicaLabels: readonly string[];
  readonly limit: number;
  readonly skipChunks: boolean;
  /** response_batch_size (0 or 1: a frame per series). */
  readonly batchSize: number;
  /** shard_info: only the series of this shard (null = all). */
  readonly shard: SeriesShard | null;
}


export interface WireMatcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

export interface WireSelect {
  readonly matchers: readonly WireMatcher[];
  readonly hints: SelectHints;
}

/** One endpoint's read, answering some of a batch's selects. */
export interface StreamBegin {
  readonly type: 'stream-begin';
  readonly batch: number;
  readonly stream: number;
  readonly endpoint: string;
  /** How the body is decoded (see RawRead). */
  readonly codec: 'prometheus-remote-read' | 'thanos-series';
  readonly responseType: number;
  readonly contentEncoding: string;
  /** Batch select index answered by each query of the read, in query_index order. */
  readonly selects: readonly number[];
  readonly externalLabels: readonly Label[];
}

export type ToWorker =
  | { readonly type: 'query'; readonly id: number; readonly task: QueryTask }
  /** The query was cancelled (the shared flag says so too): fail its pending selects now. */
  | { readonly type: 'cancel'; readonly id: number }
  /** Body bytes of the query written out: the worker may encode that much more. */
  | { readonly type: 'body-ack'; readonly id: number; readonly bytes: number }
  | StreamBegin
  | { readonly type: 'stream-data'; readonly stream: number; readonly bytes: Uint8Array }
  | { readonly type: 'stream-end'; readonly stream: number }
  /** The read failed on the main thread (HTTP, timeout); the worker drops what it decoded of it. */
  | { readonly type: 'stream-error'; readonly stream: number; readonly message: string }
  /**
   * Every endpoint of the batch has answered or failed. `warnings`: endpoints that failed with
   * partial response on; `error`: the batch failed (partial response off).
   */
  | { readonly type: 'batch-done'; readonly batch: number; readonly warnings: readonly string[]; readonly error: string | null };

export interface QueryStats {
  readonly selects: number;
  readonly reads: number;
  readonly endpoints: number;
  readonly series: number;
  readonly samples: number;
  readonly samplesIn: number;
  readonly samplesOut: number;
  readonly bytes: number;
  /** Wall ms: from the batch's request to the endpoints' last byte; decoding and merging; all of the query until the body is encoded. */
  readonly fetchMs: number;
  readonly dedupMs: number;
  readonly totalMs: number;
}

export type FromWorker =
  /** Modules loaded: the worker can take a query without a cold start. */
  | { readonly type: 'ready' }
  | { readonly type: 'select'; readonly batch: number; readonly selects: readonly WireSelect[] }
  /**
   * Bytes of a stream decoded: the main thread may send that much more. `buffer` is the message's
   * buffer handed back for reuse once nothing refers to it any more.
   */
  | { readonly type: 'ack'; readonly stream: number; readonly bytes: number; readonly buffer: ArrayBuffer | null }
  /** The worker could not decode a stream: stop reading it. */
  | { readonly type: 'stream-cancel'; readonly stream: number }
  /** Heap plus buffers after the collection that follows a big query. */
  | { readonly type: 'heap'; readonly bytes: number }
  /** An endpoint labelled series with other external labels than the cached ones. */
  | { readonly type: 'refresh-labels'; readonly endpoint: string }
  /**
   * The query succeeded: the start of its JSON body (all of it when `done`). A large body follows in
   * `body` messages under the main thread's acks, then `done`.
   */
  | {
      readonly type: 'head';
      readonly id: number;
      readonly body: Uint8Array;
      readonly done: boolean;
      /** True when the body has warnings (not cacheable). */
      readonly warned: boolean;
      readonly stats: QueryStats;
      /** Heap plus buffers at the end (when `done`). */
      readonly heapBytes: number;
    }
  | { readonly type: 'body'; readonly id: number; readonly bytes: Uint8Array }
  | { readonly type: 'done'; readonly id: number; readonly heapBytes: number }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly kind: PromQLErrorKind;
      readonly code: ErrorCode;
      readonly message: string;
      readonly stats: QueryStats;
      readonly heapBytes: number;
      /** Inline runs only: over the inline budget, run the task again in a worker (inline.ts). */
      readonly retry?: boolean;
    };
