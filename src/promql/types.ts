import type { OperatorNode } from './explain.js';
import type { Labels } from '../model/labels.js';

/**
 * Which Prometheus release's PromQL the engine follows where releases differ (see
 * docs/promql-compat.md): '3' is current Prometheus; '2' is 2.x (e.g. Debian's 2.42): closed
 * lookback/range windows, inclusive subquery grid start, the pre-2.51 zero clamp in rate,
 * no Kahan in sum/avg, atan2 keeps __name__, holt_winters, legacy label-name charset.
 */
export type PromQLCompat = '2' | '3';

export interface EngineOptions {
  /** Default lookback delta in ms (5m). */
  readonly lookbackDelta: number;
  /** Default subquery step in ms when `[range:]` omits it (1m). */
  readonly defaultEvaluationInterval: number;
  /** Most samples a query may hold in memory at once (Prometheus default 50,000,000). */
  readonly maxSamples: number;
  /** Allow Prometheus' experimental functions (3.x: promql-experimental-functions). */
  readonly enableExperimentalFunctions: boolean;
}

export interface QueryOptions {
  readonly compat: PromQLCompat;
  /**
   * Whether PromQL annotations (evaluation warnings and infos) are reported; default true. Prometheus
   * before 2.48 had none, so a 2.42 backend answers the same queries without warnings.
   */
  readonly annotations?: boolean;
  /** Per-request override of the lookback delta in ms; 0 = engine default. */
  readonly lookbackDelta: number;
  readonly signal: AbortSignal;
  /**
   * performance.now() time after which evaluation stops with a timeout. Evaluation is synchronous,
   * so a timer-based AbortSignal cannot fire while it runs; the evaluator checks this clock instead.
   */
  readonly deadline?: number;
  /**
   * Polled with the deadline: true when the query was cancelled from outside the thread (a query
   * worker's shared cancel flag), since a synchronous evaluation cannot see an abort event.
   */
  readonly interrupted?: () => boolean;
  /** analyze=true: time and samples per operator come back in `QueryResult.analysis`. */
  readonly analyze?: boolean;
}

/** One output sample of an instant vector. */
export interface VectorSample {
  readonly labels: Labels;
  /** ms */
  readonly t: number;
  readonly v: number;
}

/** One output series of a matrix: columns of ms timestamps and values. */
export interface MatrixSeries {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

export type QueryValue =
  | { readonly type: 'scalar'; readonly t: number; readonly v: number }
  | { readonly type: 'string'; readonly t: number; readonly v: string }
  | { readonly type: 'vector'; readonly samples: readonly VectorSample[] }
  /** Range query results (sorted by labels) and instant queries of a range selector. */
  | { readonly type: 'matrix'; readonly series: readonly MatrixSeries[] };

export interface QueryResult {
  readonly value: QueryValue;
  /** Storage warnings and PromQL annotations (warn level), in order of occurrence, unique. */
  readonly warnings: readonly string[];
  /** PromQL info-level annotations. */
  readonly infos: readonly string[];
  /** With QueryOptions.analyze: the operator tree with time and samples per operator, and the whole evaluation's time. */
  readonly analysis?: { readonly tree: OperatorNode; readonly evalMs: number };
}
