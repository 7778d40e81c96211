import type { SeriesProvenance } from './provenance.js';

/** Options shared by the dedup front end, the packed merge and the worker. */
export type DedupFunc = 'penalty' | 'chain' | 'stable';

export interface DedupOptions {
  /** `penalty` (Thanos default), `chain` (union of samples) or `stable` (window-stable leader rule). */
  func: DedupFunc;
  /** Counter mode: drop NaN samples, and (penalty, stable) never let a replica switch lower the value. */
  counter: boolean;
  /** Receives every merged series' provenance (dedup=explain); unset, nothing is traced. */
  explain?: (p: SeriesProvenance) => void;
  /** Trace provenance only from this time on (ms; the window the query asked for). */
  explainFrom?: number;
}
