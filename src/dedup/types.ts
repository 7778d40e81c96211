import type { SeriesProvenance } from './provenance.js';

/** Options shared by the dedup front end, the packed merge and the worker. */
export type DedupFunc = 'penalty' | 'chain';

export interface DedupOptions {
  /** `penalty` (Thanos default) or `chain` (union of samples). */
  func: DedupFunc;
  /** Counter mode: drop NaN samples, and (penalty only) never let a replica switch lower the value. */
  counter: boolean;
  /** Receives every merged series' provenance (dedup=explain); unset, nothing is traced. */
  explain?: (p: SeriesProvenance) => void;
}
