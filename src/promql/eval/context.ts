/** Per-query evaluation state shared by every node evaluator. */
import type { AtModifier, VectorSelector } from '../ast.js';
import type { Series } from '../../model/samples.js';
import { ErrorCodes } from '../../model/errors.js';
import { PromQLError } from '../errors.js';
import type { PromQLCompat } from '../types.js';
import type { Annotations } from './annotations.js';

export interface EvalContext {
  readonly compat: PromQLCompat;
  /** Lookback delta in ms after the per-query override. */
  readonly lookback: number;
  readonly defaultEvalInterval: number;
  readonly maxSamples: number;
  readonly signal: AbortSignal;
  /** performance.now() deadline (Infinity when none); see QueryOptions.deadline. */
  readonly deadline: number;
  /** See QueryOptions.interrupted. */
  readonly interrupted?: (() => boolean) | undefined;
  /** Query start/end in ms, for `@ start()` / `@ end()`. */
  readonly queryStart: number;
  readonly queryEnd: number;
  /** Query step in ms, 0 for instant queries. */
  readonly queryStep: number;
  /** Prometheus 3.x delayed `__name__` removal (the behaviour its test suite pins). */
  readonly delayedNameRemoval: boolean;
  /** Series fetched for each selector node during planning. */
  readonly data: Map<VectorSelector, Series[]>;
  readonly annotations: Annotations;
  /** Samples currently held by evaluated node outputs (Prometheus' currentSamples, approximately). */
  samples: number;
}

export function resolveAt(at: AtModifier | null, ctx: { queryStart: number; queryEnd: number }): number | null {
  if (at === null) return null;
  switch (at.kind) {
    case 'time':
      return at.ms;
    case 'start':
      return ctx.queryStart;
    case 'end':
      return ctx.queryEnd;
  }
}

export const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution';

/** Prometheus' 422 for --query.max-samples. */
export function tooManySamples(): PromQLError {
  return new PromQLError('execution', TOO_MANY_SAMPLES, ErrorCodes.TOO_MANY_SAMPLES);
}

/** Adds `n` samples to the live count; throws Prometheus' 422 when over the limit. */
export function holdSamples(ctx: EvalContext, n: number): void {
  ctx.samples += n;
  if (ctx.samples > ctx.maxSamples) throw tooManySamples();
}

export function releaseSamples(ctx: EvalContext, n: number): void {
  ctx.samples -= n;
}

/** Throws `canceled` / `timeout` when the caller aborted or the deadline passed (checked between nodes and series). */
export function checkAbort(ctx: Pick<EvalContext, 'signal' | 'deadline' | 'interrupted'>): void {
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  if (ctx.interrupted?.() === true) throw new PromQLError('canceled', 'query was canceled in expression evaluation');
  if (performance.now() > ctx.deadline) throw new PromQLError('timeout', 'query timed out in expression evaluation');
}

export function abortError(signal: AbortSignal): PromQLError {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason && reason.name === 'TimeoutError') {
    return new PromQLError('timeout', 'query timed out in expression evaluation');
  }
  return new PromQLError('canceled', 'query was canceled in expression evaluation');
}
