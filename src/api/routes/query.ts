import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { encodeQueryData } from '../encode.js';
import { ApiError } from '../errors.js';
import { nsToMs, parseDurationParam, parseDurationParamNs, parseTime, type Params } from '../params.js';
import { clientGoneSignal, requestParams, requestQuerier, sendSuccess } from '../request.js';
import { PromQLError } from '../../promql/errors.js';
import type { QueryOptions, QueryResult } from '../../promql/types.js';
import type { Querier } from '../../storage/querier.js';
import { linkedSignal } from '../../util/signal.js';

const MAX_POINTS = 11_000;

/** `/api/v1/query` and `/api/v1/query_range`, GET and POST. */
export function registerQueryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const instant = (req: FastifyRequest, reply: FastifyReply) => handleInstant(ctx, req, reply);
  const range = (req: FastifyRequest, reply: FastifyReply) => handleRange(ctx, req, reply);
  app.get('/api/v1/query', instant);
  app.post('/api/v1/query', instant);
  app.get('/api/v1/query_range', range);
  app.post('/api/v1/query_range', range);
}

async function handleInstant(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const query = params.get('query') ?? '';
  const timeText = params.get('time');
  const time = timeText !== undefined && timeText !== '' ? parseTime('time', timeText) : Date.now();
  const result = await evaluate(ctx, params, reply, 'instant', (querier, opts) =>
    ctx.engine.instantQuery(querier, query, time, opts),
  );
  return send(reply, result);
}

async function handleRange(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const query = params.get('query') ?? '';
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
  const result = await evaluate(ctx, params, reply, 'range', (querier, opts) =>
    ctx.engine.rangeQuery(querier, query, start, end, step, opts),
  );
  return send(reply, result);
}

type Run = (querier: Querier, opts: QueryOptions) => Promise<QueryResult>;

async function evaluate(
  ctx: ApiContext,
  params: Params,
  reply: FastifyReply,
  type: 'instant' | 'range',
  run: Run,
): Promise<QueryResult> {
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
  const started = performance.now();
  const querier = requestQuerier(ctx, params);
  const deadline = linkedSignal([clientGoneSignal(reply)], timeout);
  const signal = deadline.signal;
  try {
    const result = await ctx.gate.run(
      () =>
        run(querier, {
          compat: ctx.compat(),
          annotations: ctx.annotations(),
          lookbackDelta,
          signal,
          ...(timeout > 0 ? { deadline: started + timeout } : {}),
        }),
      signal,
    );
    ctx.metrics.queries.inc({ type, outcome: 'success' });
    return result;
  } catch (err) {
    ctx.metrics.queries.inc({ type, outcome: 'error' });
    // Prometheus reports a query it cannot parse or type-check as a bad "query" parameter.
    if (err instanceof PromQLError && err.kind === 'bad_data') {
      throw new ApiError('bad_data', `invalid parameter "query": ${err.message}`);
    }
    throw err;
  } finally {
    deadline.dispose();
  }
}

function send(reply: FastifyReply, result: QueryResult): string {
  return sendSuccess(reply, encodeQueryData(result.value), result.warnings, result.infos);
}
