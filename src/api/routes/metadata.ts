import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseMetricSelector } from '../../promql/parser.js';
import type { LabelsRequest } from '../../store/store.js';
import type { ApiContext } from '../context.js';
import { encodeLabels, jsonString } from '../../promql/json.js';
import { ApiError, toApiError } from '../errors.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseLimitParam, parseTime, type Params } from '../params.js';
import { decodeLabelName } from '../label-name.js';
import { fanoutPolicy, metadataSignal, requestDedupPolicy, requestParams, sendSuccess } from '../request.js';

/** `/api/v1/series`, `/api/v1/labels`, `/api/v1/label/:name/values`, `/api/v1/metadata`. */
export function registerMetadataRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const series = (req: FastifyRequest, reply: FastifyReply) => handleSeries(ctx, req, reply);
  const labels = (req: FastifyRequest, reply: FastifyReply) => handleLabels(ctx, req, reply);
  app.get('/api/v1/series', series);
  app.post('/api/v1/series', series);
  app.get('/api/v1/labels', labels);
  app.post('/api/v1/labels', labels);
  app.get('/api/v1/label/:name/values', (req, reply) => handleLabelValues(ctx, req, reply));
  app.get('/api/v1/metadata', (req, reply) => handleMetadata(ctx, req, reply));
}

/**
 * Prometheus' parseMatchersParam: every selector must parse and hold at least one matcher that does
 * not match the empty string (`{a=""}` would select every series). Only /api/v1/series prefixes
 * these errors with `invalid parameter "match[]"`; labels and label values report them bare.
 */
function labelsRequest(params: Params, requireMatch: boolean): LabelsRequest {
  const selectors = params.getAll('match[]');
  if (requireMatch && selectors.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
  const prefix = requireMatch ? 'invalid parameter "match[]": ' : '';
  const matchers = selectors.map((s) => {
    try {
      return parseMetricSelector(s);
    } catch (err) {
      throw new ApiError('bad_data', prefix + toApiError(err).message);
    }
  });
  for (const set of matchers) {
    if (!set.some((m) => !m.matchesEmpty())) {
      throw new ApiError('bad_data', prefix + 'match[] must contain at least one non-empty matcher');
    }
  }
  const startText = params.get('start');
  const endText = params.get('end');
  return {
    minTime: startText ? parseTime('start', startText) : MIN_TIME_MS,
    maxTime: endText ? parseTime('end', endText) : MAX_TIME_MS,
    matchers,
    limit: parseLimitParam(params.get('limit')),
  };
}

async function withDeadline<T>(ctx: ApiContext, reply: FastifyReply, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = metadataSignal(ctx, reply);
  try {
    return await f(deadline.signal);
  } finally {
    deadline.dispose();
  }
}

async function handleSeries(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const request = labelsRequest(params, true);
  const { items, warnings } = await withDeadline(ctx, reply, (signal) =>
    ctx.metadata.series(request, fanoutPolicy(ctx, params), requestDedupPolicy(ctx, params), signal),
  );
  return sendSuccess(reply, `[${items.map(encodeLabels).join(',')}]`, warnings);
}

async function handleLabels(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const request = labelsRequest(params, false);
  const { items, warnings } = await withDeadline(ctx, reply, (signal) =>
    ctx.metadata.labelNames(request, fanoutPolicy(ctx, params), requestDedupPolicy(ctx, params), signal),
  );
  return sendStrings(reply, items, warnings);
}

async function handleLabelValues(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const name = decodeLabelName((req.params as { name: string }).name);
  if (name === '') throw new ApiError('bad_data', `invalid label name: ""`);
  const request = labelsRequest(params, false);
  const { items, warnings } = await withDeadline(ctx, reply, (signal) =>
    ctx.metadata.labelValues(name, request, fanoutPolicy(ctx, params), requestDedupPolicy(ctx, params), signal),
  );
  return sendStrings(reply, items, warnings);
}

async function handleMetadata(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const metric = params.get('metric') ?? '';
  const limit = parseLimitParam(params.get('limit'));
  const { metadata, warnings } = await withDeadline(ctx, reply, (signal) =>
    ctx.metadata.metadata(metric, limit, fanoutPolicy(ctx, params), signal),
  );
  const body = [...metadata]
    .map(
      ([n, entries]) =>
        `${jsonString(n)}:[${entries
          .map((e) => `{"type":${jsonString(e.type)},"help":${jsonString(e.help)},"unit":${jsonString(e.unit)}}`)
          .join(',')}]`,
    )
    .join(',');
  return sendSuccess(reply, `{${body}}`, warnings);
}

function sendStrings(reply: FastifyReply, items: readonly string[], warnings: string[]): string {
  return sendSuccess(reply, `[${items.map(jsonString).join(',')}]`, warnings);
}
