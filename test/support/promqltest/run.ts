/**
 * Runs a parsed promqltest script against the project's PromQL engine and classifies every eval
 * as pass, fail (with a diff) or skip (with a reason), mirroring Prometheus' reference runner:
 * instant evals are re-checked in range mode and, optionally, with every selector pinned by `@`.
 */
import { compareLabels, formatLabels } from '../../../src/model/labels.js';
import type { Expr } from '../../../src/promql/ast.js';
import { PromQLError } from '../../../src/promql/errors.js';
import type { EngineOptions, QueryOptions, QueryResult, QueryValue, VectorSample } from '../../../src/promql/types.js';
import { MemoryQuerier } from '../memory-querier.js';
import type { Querier } from '../../../src/storage/querier.js';
import { compareResult } from './compare.js';
import { checkAnnotations, checkExpectedFailure, isFailEval, isOrderedEval } from './expectations.js';
import { pinExpr, pinnedEvalTimes, walkExpr } from './pin.js';
import { TestStorage } from './storage.js';
import type { EvalCmd, TestScript } from './types.js';

/** Engine settings of the reference test engine (promqltest.NewTestEngine). */
export const TEST_ENGINE_OPTIONS: EngineOptions = {
  lookbackDelta: 5 * 60_000,
  defaultEvaluationInterval: 60_000,
  maxSamples: 10_000,
  enableExperimentalFunctions: true,
};

export interface EngineLike {
  instantQuery(querier: Querier, query: string, timeMs: number, opts: QueryOptions): Promise<QueryResult> | QueryResult;
  rangeQuery(
    querier: Querier,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    opts: QueryOptions,
  ): Promise<QueryResult> | QueryResult;
}

/** The implementation under test. */
export interface PromqlImpl {
  readonly engine: EngineLike;
  parseExpr(query: string): Expr;
  /** Needed for the `@`-pinning re-check; without it that check is not run. */
  readonly formatExpr?: (expr: Expr) => string;
}

export interface RunOptions {
  /** Run the `@`-pinning re-check (5 extra instant+range queries per instant eval). Default true. */
  readonly atPinning?: boolean;
  /** Per-query timeout in ms (default 30 s). */
  readonly timeoutMs?: number;
}

/** Which check failed: drives the grouping of failures in reports. */
export type FailPhase = 'parse' | 'instant' | 'range' | 'range-mode' | 'at-pinned' | 'crash';

export type EvalOutcome =
  | { readonly status: 'pass'; readonly line: number; readonly expr: string }
  | { readonly status: 'skip'; readonly line: number; readonly expr: string; readonly reason: string }
  | { readonly status: 'fail'; readonly line: number; readonly expr: string; readonly phase: FailPhase; readonly message: string };

/** Parse errors that mean "this syntax is deliberately not supported", which count as skips. */
const EXPERIMENTAL_PARSE = /experimental|not supported|unsupported|not enabled|feature/i;
/** Query-context functions: the reference skips the range-mode re-check for them. */
const QUERY_CONTEXT_FUNCS = /(start|end|range|step)\(\)/;

class CheckFailure extends Error {
  constructor(
    readonly phase: FailPhase,
    message: string,
  ) {
    super(message);
  }
}

/** A JS runtime error (or an engine 'internal' error wrapping one) is a bug, never an expected failure. */
function isCrash(err: unknown): boolean {
  if (err instanceof PromQLError) return err.kind === 'internal';
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || !(err instanceof Error);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runScript(script: TestScript, impl: PromqlImpl, opts: RunOptions = {}): Promise<EvalOutcome[]> {
  const storage = new TestStorage();
  const out: EvalOutcome[] = [];
  for (const cmd of script.commands) {
    if (cmd.kind === 'clear') storage.clear();
    else if (cmd.kind === 'load') storage.load(cmd);
    else out.push(await runEval(cmd, storage, impl, opts));
  }
  return out;
}

async function runEval(cmd: EvalCmd, storage: TestStorage, impl: PromqlImpl, opts: RunOptions): Promise<EvalOutcome> {
  const base = { line: cmd.line, expr: cmd.expr };
  if (cmd.unsupported) return { status: 'skip', ...base, reason: cmd.unsupported };
  let ast: Expr;
  try {
    ast = impl.parseExpr(cmd.expr);
  } catch (err) {
    const msg = errText(err);
    if (!isCrash(err) && EXPERIMENTAL_PARSE.test(msg)) return { status: 'skip', ...base, reason: `experimental syntax not parsed: ${msg}` };
    return { status: 'fail', ...base, phase: isCrash(err) ? 'crash' : 'parse', message: msg };
  }
  if (storage.hasUnsupported()) {
    for (const n of walkExpr(ast)) {
      if (n.kind !== 'VectorSelector') continue;
      const reason = storage.unsupportedMatch(n.matchers);
      if (reason) return { status: 'skip', ...base, reason };
    }
  }
  const ctx: Ctx = { cmd, impl, opts, querier: new MemoryQuerier(storage.series()) };
  try {
    if (cmd.isRange) await runRange(ctx);
    else await runInstant(ctx, ast);
    return { status: 'pass', ...base };
  } catch (err) {
    if (err instanceof CheckFailure) return { status: 'fail', ...base, phase: err.phase, message: err.message };
    return { status: 'fail', ...base, phase: 'crash', message: errText(err) };
  }
}

interface Ctx {
  readonly cmd: EvalCmd;
  readonly impl: PromqlImpl;
  readonly opts: RunOptions;
  readonly querier: Querier;
}

function queryOptions(ctx: Ctx): QueryOptions {
  return { compat: '3', lookbackDelta: 0, signal: AbortSignal.timeout(ctx.opts.timeoutMs ?? 30_000) };
}

type Outcome = { ok: true; res: QueryResult } | { ok: false; err: unknown };

async function attempt(f: () => Promise<QueryResult> | QueryResult): Promise<Outcome> {
  try {
    return { ok: true, res: await f() };
  } catch (err) {
    return { ok: false, err };
  }
}

/**
 * Shared handling of one query's outcome. Returns the result when the eval expects success and
 * the checks should go on; null when an expected failure occurred (nothing more to check).
 */
function settle(ctx: Ctx, o: Outcome, phase: FailPhase, what: string): QueryResult | null {
  const { cmd } = ctx;
  if (!o.ok) {
    if (isCrash(o.err)) throw new CheckFailure('crash', `${what}: ${errText(o.err)}`);
    if (isFailEval(cmd)) {
      const diff = checkExpectedFailure(cmd, errText(o.err));
      if (diff) throw new CheckFailure(phase, `${what}: ${diff}`);
      return null;
    }
    throw new CheckFailure(phase, `${what}: unexpected error: ${errText(o.err)}`);
  }
  if (isFailEval(cmd)) throw new CheckFailure(phase, `${what}: expected an error, got none`);
  const anno = checkAnnotations(cmd, o.res);
  if (anno) throw new CheckFailure(phase, `${what}: ${anno}`);
  const diff = compareResult(cmd, o.res.value, isOrderedEval(cmd));
  if (diff) throw new CheckFailure(phase, `${what}: ${diff}`);
  return o.res;
}

async function runRange(ctx: Ctx): Promise<void> {
  const { cmd } = ctx;
  const o = await attempt(() =>
    ctx.impl.engine.rangeQuery(ctx.querier, cmd.expr, cmd.start, cmd.end, cmd.step, queryOptions(ctx)),
  );
  settle(ctx, o, 'range', 'range query');
}

async function runInstant(ctx: Ctx, ast: Expr): Promise<void> {
  const { cmd, impl } = ctx;
  await instantCase(ctx, cmd.expr, cmd.evalTime, 'instant');
  if (ctx.opts.atPinning === false || !impl.formatExpr) return;
  let pinnedText: string | null;
  try {
    const pinned = pinExpr(ast, cmd.evalTime);
    pinnedText = pinned === null ? null : impl.formatExpr(pinned);
  } catch (err) {
    throw new CheckFailure('at-pinned', `cannot build @-pinned query: ${errText(err)}`);
  }
  if (pinnedText === null) return;
  for (const t of pinnedEvalTimes(cmd.evalTime)) {
    await instantCase(ctx, pinnedText, t, 'at-pinned');
  }
}

/** One instant query plus its range-mode re-check (as the reference's runInstantQuery). */
async function instantCase(ctx: Ctx, expr: string, t: number, phase: 'instant' | 'at-pinned'): Promise<void> {
  const { cmd } = ctx;
  const what = phase === 'instant' ? 'instant query' : `@-pinned query ${JSON.stringify(expr)} at t=${t}`;
  const o = await attempt(() => ctx.impl.engine.instantQuery(ctx.querier, expr, t, queryOptions(ctx)));
  const res = settle(ctx, o, phase, what);
  if (res === null || cmd.excludeFromRangeQuery || QUERY_CONTEXT_FUNCS.test(expr)) return;
  const r = await attempt(() => ctx.impl.engine.rangeQuery(ctx.querier, expr, t - 60_000, t + 60_000, 60_000, queryOptions(ctx)));
  const rphase: FailPhase = phase === 'instant' ? 'range-mode' : phase;
  const rwhat = `${what} in range mode`;
  if (!r.ok) throw new CheckFailure(isCrash(r.err) ? 'crash' : rphase, `${rwhat}: error: ${errText(r.err)}`);
  if (isOrderedEval(cmd)) return;
  const asVector = pointAt(r.res.value, t);
  if (typeof asVector === 'string') throw new CheckFailure(rphase, `${rwhat}: ${asVector}`);
  let value: QueryValue = asVector;
  if (res.value.type === 'scalar') {
    const first = asVector.samples[0];
    if (!first) throw new CheckFailure(rphase, `${rwhat}: no point at t=${t} for the scalar result`);
    value = { type: 'scalar', t, v: first.v };
  }
  const diff = compareResult(cmd, value, false);
  if (diff) throw new CheckFailure(rphase, `${rwhat}: ${diff}`);
}

/** The samples of a range-query matrix at time t, as a vector (or an error text). */
function pointAt(v: QueryValue, t: number): Extract<QueryValue, { type: 'vector' }> | string {
  if (v.type !== 'matrix') return `range query returned ${v.type}, not matrix`;
  const samples: VectorSample[] = [];
  for (let i = 1; i < v.series.length; i++) {
    if (compareLabels(v.series[i - 1]!.labels, v.series[i]!.labels) > 0) {
      return `matrix not sorted: ${formatLabels(v.series[i]!.labels)} after ${formatLabels(v.series[i - 1]!.labels)}`;
    }
  }
  for (const s of v.series) {
    const i = s.timestamps.indexOf(t);
    if (i >= 0) samples.push({ labels: s.labels, t, v: s.values[i]! });
  }
  return { type: 'vector', samples };
}
