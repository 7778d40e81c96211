import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import type { ApiContext } from '../context.js';
import { ApiError, toApiError } from '../errors.js';
import { nsToMs, parseDurationParam, parseDurationParamNs, parseTime, type Params } from '../params.js';
import { clientGoneSignal, fanoutPolicy, requestDedupPolicy, requestParams, sendSuccess } from '../request.js';
import { operatorTree, type OperatorNode } from '../../promql/explain.js';
import { jsonString } from '../../promql/json.js';
import { parseExpr } from '../../promql/parser.js';
import { rangeQueryTypeError } from '../../promql/eval/run.js';
import { ErrorCodes } from '../../model/errors.js';
import { QueryFailure, type QueryOutcome } from '../../query/pool.js';
import { Coalescer } from '../../query/coalesce.js';
import type { QueryStats } from '../../query/protocol.js';
import { linkedSignal } from '../../util/signal.js';
import type { FanoutPolicy } from '../../query/partial.js';
import { lookbackDeltaFor, parseMaxSourceResolution, parseMaxSourceResolutionWithDefault } from '../../store/grpc/downsample.js';

const MAX_POINTS = 11_000;

/** A query's outcome as a coalesced caller receives it. */
type SharedOutcome = QueryOutcome & { readonly coalesced?: boolean };

/** One answer for n callers: a streamed body becomes n streams of the same bytes. */
function shareOutcome(o: SharedOutcome, n: number): SharedOutcome[] {
  if (o.body instanceof Uint8Array) return Array.from({ length: n }, (_, i) => (i === 0 ? o : { ...o, coalesced: true }));
  const source = o.body;
  return Array.from({ length: n }, (_, i) => {
    const copy = new PassThrough();
    source.pipe(copy);
    return { ...o, body: copy, ...(i > 0 ? { coalesced: true } : {}) };
  });
}

/** `/api/v1/query` and `/api/v1/query_range`, GET and POST. */
export function registerQueryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Identical queries in flight share one evaluation (see evaluate); one coalescer per server.
  const coalescer = new Coalescer<SharedOutcome>({ share: shareOutcome, onJoin: () => ctx.metrics.coalesced.inc() });
  const instant = (req: FastifyRequest, reply: FastifyReply) => handleInstant(ctx, coalescer, req, reply);
  const range = (req: FastifyRequest, reply: FastifyReply) => handleRange(ctx, coalescer, req, reply);
  app.get('/api/v1/query', instant);
  app.post('/api/v1/query', instant);
  app.get('/api/v1/query_range', range);
  app.post('/api/v1/query_range', range);
  // Thanos' explain paths: the operator tree without evaluating (promdedup has one engine, so
  // `engine` may be either of Thanos' values).
  const explain = (kind: 'instant' | 'range') => async (req: FastifyRequest, reply: FastifyReply) => {
    const params = requestParams(req);
    parseEngineParam(params);
    const query = params.get('query') ?? '';
    let expr;
    try {
      expr = parseExpr(query, { compat: ctx.compat() });
    } catch (err) {
      const apiError = toApiError(err);
      throw new ApiError('bad_data', `invalid parameter "query": ${apiError.message}`, apiError.code);
    }
    if (kind === 'range') {
      const typeError = rangeQueryTypeError(expr);
      if (typeError !== null) throw new ApiError('bad_data', `invalid parameter "query": ${typeError.message}`, ErrorCodes.BAD_QUERY);
    }
    return sendSuccess(reply, explainJson(operatorTree(expr)), []);
  };
  app.get('/api/v1/query_explain', explain('instant'));
  app.post('/api/v1/query_explain', explain('instant'));
  app.get('/api/v1/query_range_explain', explain('range'));
  app.post('/api/v1/query_range_explain', explain('range'));
}

/** Thanos' `engine` parameter: `prometheus` or `thanos` (both mean promdedup's engine); anything else is 400. */
function parseEngineParam(params: Params): void {
  const engine = params.get('engine');
  if (engine !== undefined && engine !== '' && engine !== 'prometheus' && engine !== 'thanos') {
    throw new ApiError('bad_data', `'${engine}' bad engine`);
  }
}

/** Thanos' ExplainOutputNode: `name`, and `children` when there are any. */
function explainJson(n: OperatorNode): string {
  const children = n.children.length > 0 ? `,"children":[${n.children.map(explainJson).join(',')}]` : '';
  return `{"name":${jsonString(n.name)}${children}}`;
}

async function handleInstant(ctx: ApiContext, coalescer: Coalescer<SharedOutcome>, req: FastifyRequest, reply: FastifyReply): Promise<Buffer | Readable> {
  const params = requestParams(req);
  const timeText = params.get('time');
  const time = timeText !== undefined && timeText !== '' ? parseTime('time', timeText) : Date.now();
  return evaluate(ctx, coalescer, params, reply, { kind: 'instant', start: time, end: time, step: 0 });
}

async function handleRange(ctx: ApiContext, coalescer: Coalescer<SharedOutcome>, req: FastifyRequest, reply: FastifyReply): Promise<Buffer | Readable> {
  const params = requestParams(req);
  // Checks in Prometheus' order, with its messages.
  const start = parseTime('start', params.get('start') ?? '');
  const end = parseTime('end', params.get('end') ?? '');
  if (end < start) {
    throw new ApiError('bad_data', 'invalid parameter "end": end timestamp must not be before start time');
  }
  const stepNs = parseDurationParamNs('step', params.get('step') ?? '');
  const step = nsToMs(stepNs);
  // A sub-millisecond step passes Prometheus' check and then fails in its engine (integer divide by
  // zero, 422): refused here with the zero-step message instead.
  if (step <= 0) {
    throw new ApiError(
      'bad_data',
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
  }
  // Prometheus divides the range by the step in nanoseconds.
  if (Math.floor(((end - start) * 1e6) / stepNs) > MAX_POINTS) {
    throw new ApiError(
      'bad_data',
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
  }
  return evaluate(ctx, coalescer, params, reply, { kind: 'range', start, end, step });
}

interface Window {
  readonly kind: 'instant' | 'range';
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/** Runs the query in a query worker under the gate and the timeout; the worker sends the body. */
async function evaluate(ctx: ApiContext, coalescer: Coalescer<SharedOutcome>, params: Params, reply: FastifyReply, w: Window): Promise<Buffer | Readable> {
  const query = params.get('query') ?? '';
  parseEngineParam(params);
  // Thanos: analyze=true (or 1) adds the operator telemetry; anything else means no.
  const analyze = params.get('analyze') === 'true' || params.get('analyze') === '1';
  const timeoutText = params.get('timeout');
  let timeout = ctx.config.queryTimeout;
  if (timeoutText !== undefined && timeoutText !== '') {
    const requested = parseDurationParam('timeout', timeoutText);
    if (requested > 0 && (timeout === 0 || requested < timeout)) timeout = requested;
  }
  const lookbackText = params.get('lookback_delta');
  const lookbackDelta =
    lookbackText !== undefined && lookbackText !== '' ? parseDurationParam('lookback_delta', lookbackText) : 0;
  if (lookbackDelta < 0) {
    throw new ApiError('bad_data', 'invalid parameter "lookback_delta": lookback delta must not be negative');
  }
  const dedup = requestDedupPolicy(ctx, params);
  // Thanos: range queries default to step/5 with --query.auto-downsampling, instant ones to raw.
  const maxSourceResolution =
    w.kind === 'range'
      ? parseMaxSourceResolution(params.get('max_source_resolution'), ctx.config.autoDownsampling, w.step)
      : parseMaxSourceResolutionWithDefault(params.get('max_source_resolution'), false, 0);
  const policy: FanoutPolicy = {
    ...fanoutPolicy(ctx, params),
    withoutReplicaLabels: dedup.enabled ? [...dedup.replicaLabels] : [],
    maxSourceResolution,
  };
  // Downsampled data has a sample per 5m or 1h: the lookback grows with it (Thanos' dynamic lookback).
  const effectiveLookback = lookbackDelta > 0 ? lookbackDelta : maxSourceResolution > 0 ? lookbackDeltaFor(ctx.config.lookbackDelta, maxSourceResolution) : 0;
  const started = performance.now();
  const deadline = linkedSignal([clientGoneSignal(reply)], timeout);
  let stats: QueryStats | null = null;
  let status = 'success';
  let code: string | undefined;
  try {
    // Byte-identical requests (the same query, time or range, step, dedup, partial response and
    // other parameters, from the same tenant and credentials) in flight at once share one
    // evaluation and fan-out, outside the gate: joining callers take no slot. An instant query
    // without `time` joins one started moments earlier and gets its answer.
    const headers = reply.request.headers;
    const key = JSON.stringify([
      w.kind,
      w.kind === 'instant' ? (params.get('time') ?? '') : [w.start, w.end, w.step],
      query,
      effectiveLookback,
      dedup.enabled,
      [...dedup.replicaLabels],
      dedup.func,
      dedup.explain,
      analyze,
      policy.partialResponse,
      maxSourceResolution,
      headers.authorization ?? '',
      headers['x-scope-orgid'] ?? '',
    ]);
    const outcome = await coalescer.run(key, deadline.signal, (shared) => ctx.gate.run(
      () =>
        ctx.runQuery(
          {
            ...w,
            query,
            lookbackDelta: effectiveLookback === ctx.config.lookbackDelta ? 0 : effectiveLookback,
            compat: ctx.compat(),
            annotations: ctx.annotations(),
            timeoutMs: timeout > 0 ? Math.max(1, timeout - (performance.now() - started)) : 0,
            replicaLabels: [...dedup.replicaLabels],
            dedup: dedup.enabled,
            dedupFunc: dedup.func,
            explain: dedup.explain,
            analyze,
            partialResponse: policy.partialResponse,
          },
          policy,
          shared,
        ),
      shared,
    ));
    stats = outcome.stats;
    ctx.metrics.queries.inc({ type: w.kind, outcome: 'success' });
    // The work is counted once: by the caller that got the original answer.
    if (outcome.coalesced !== true && outcome.stats.samplesIn > 0) {
      ctx.metrics.dedupSamplesIn.inc(outcome.stats.samplesIn);
      ctx.metrics.dedupSamplesOut.inc(outcome.stats.samplesOut);
    }
    reply.type('application/json');
    if (outcome.warned) reply.header('Cache-Control', 'no-store');
    const body = outcome.body;
    return body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.length) : body;
  } catch (err) {
    ctx.metrics.queries.inc({ type: w.kind, outcome: 'error' });
    if (err instanceof QueryFailure) stats = err.stats;
    const apiError = toApiError(err);
    status = apiError.errorType;
    code = apiError.code;
    // Prometheus reports a query it cannot parse or type-check as a bad "query" parameter.
    if (apiError.code === ErrorCodes.BAD_QUERY) {
      throw new ApiError('bad_data', `invalid parameter "query": ${apiError.message}`, apiError.code);
    }
    throw apiError;
  } finally {
    deadline.dispose();
    ctx.logger.info('query', {
      query,
      type: w.kind,
      ...(w.kind === 'instant' ? { time: w.start / 1000 } : { start: w.start / 1000, end: w.end / 1000, step: w.step / 1000 }),
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      series: stats?.series,
      samples: stats?.samples,
      endpoints: stats?.endpoints,
      // Inside the worker: waiting for the endpoints, decoding + merging, everything until encoded.
      fetch_ms: stats?.fetchMs,
      dedup_ms: stats?.dedupMs,
      worker_ms: stats?.totalMs,
      status,
      code,
    });
  }
}
