/**
 * The parsed form of a Prometheus promqltest script (`*.test`). Times and durations are in ms from
 * the Unix epoch (the scripts' clock starts at 0).
 */
import type { Labels } from '../../../src/model/labels.js';

/** One slot of a value sequence: a number, a staleness marker, or an omitted sample. */
export type SeqValue =
  | { readonly kind: 'value'; readonly v: number }
  | { readonly kind: 'stale' }
  | { readonly kind: 'omitted' };

/** A series line of a `load` block: labels and the slots at 0, interval, 2·interval, … */
export interface SeriesDef {
  readonly labels: Labels;
  readonly values: readonly SeqValue[];
  readonly line: number;
  /** Set when the series cannot be represented (native histograms, start timestamps). */
  readonly unsupported: string | null;
}

export interface LoadCmd {
  readonly kind: 'load';
  readonly line: number;
  readonly intervalMs: number;
  /** `load_with_nhcb`: classic histograms are also loaded as custom-bucket native histograms. */
  readonly withNhcb: boolean;
  readonly series: readonly SeriesDef[];
}

export interface ClearCmd {
  readonly kind: 'clear';
  readonly line: number;
}

/** `expect fail|warn|info|…` with an optional exact message or regex (null = any text). */
export interface ExpectAnno {
  readonly message: string | null;
  readonly regex: RegExp | null;
}

export interface ExpectedSeries {
  readonly labels: Labels;
  readonly values: readonly SeqValue[];
  /** 1-based position among the expectation lines (for ordered checks). */
  readonly pos: number;
  readonly line: number;
}

export interface EvalCmd {
  readonly kind: 'eval';
  readonly line: number;
  readonly expr: string;
  readonly isRange: boolean;
  /** Instant queries run at this time (for range evals it equals `end`). */
  readonly evalTime: number;
  /** Range evals and `expect range vector`: the expected points lie at start, start+step, … ≤ end. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
  /** `expect range vector from … to … step …`: the instant result is a range vector. */
  readonly expectRangeVector: boolean;
  readonly fail: boolean;
  readonly warn: boolean;
  readonly info: boolean;
  readonly ordered: boolean;
  readonly expectedFailMessage: string | null;
  readonly expectedFailRegexp: RegExp | null;
  readonly expectFail: readonly ExpectAnno[];
  readonly expectWarn: readonly ExpectAnno[];
  readonly expectInfo: readonly ExpectAnno[];
  readonly expectNoWarn: boolean;
  readonly expectNoInfo: boolean;
  readonly expectOrdered: boolean;
  /** A bare number line: the expected scalar. */
  readonly expectedScalar: number | null;
  /** `expect string "…"`. */
  readonly expectedString: string | null;
  readonly expected: readonly ExpectedSeries[];
  /** Skip the range-mode re-check (expect string / expect range vector). */
  readonly excludeFromRangeQuery: boolean;
  /** Set when the eval cannot be run faithfully (e.g. a native-histogram expectation). */
  readonly unsupported: string | null;
}

export type Command = LoadCmd | ClearCmd | EvalCmd;

export interface TestScript {
  readonly commands: readonly Command[];
}

/** A malformed script. `line` is 1-based. */
export class DslError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
    this.name = 'DslError';
  }
}
