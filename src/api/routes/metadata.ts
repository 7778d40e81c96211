import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { compareLabels, compareStrings, dropLabels, labelsKey, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../model/matcher.js';
import { parseMetricSelector } from '../../promql/parser.js';
import { fanOut, type FanoutOutcome } from '../../query/partial.js';
import type { LabelsRequest, MetricMetadata, Store } from '../../store/store.js';
import type { ApiContext } from '../context.js';
import { encodeLabels, jsonString } from '../encode.js';
import { ApiError, toApiError } from '../errors.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseLimitParam, parseTime, type Params } from '../params.js';
import { decodeLabelName } from '../label-name.js';
import { fanoutPolicy, metadataSignal, requestDedupPolicy, requestParams, sendSuccess } from '../request.js';

const TRUNCATED = 'results truncated due to limit';

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

/**
 * The request as sent to each store: one item over the limit, so a store whose answer was cut
 * shows it (its list comes back longer than the limit) and the truncation warning is not lost when
 * the stores' answers overlap.
 */
function storeRequest(request: LabelsRequest): LabelsRequest {
  return request.limit > 0 ? { ...request, limit: request.limit + 1 } : request;
}

/** True when some store had more items than the limit (its answer, and so the result, was cut). */
function storeTruncated(lists: readonly (readonly unknown[])[], limit: number): boolean {
  return limit > 0 && lists.some((l) => l.length > limit);
}

/** Asks every given store under the request's deadline (client gone or --query.timeout). */
async function askStores<T>(
  ctx: ApiContext,
  params: Params,
  reply: FastifyReply,
  stores: readonly Store[],
  call: (store: Store, signal: AbortSignal) => Promise<T>,
): Promise<FanoutOutcome<T>> {
  const deadline = metadataSignal(ctx, reply);
  try {
    return await fanOut(stores, fanoutPolicy(ctx, params), deadline.signal, call);
  } finally {
    deadline.dispose();
  }
}

/** Endpoints that can hold series for at least one of the selectors (all when there are none). */
function storesFor(ctx: ApiContext, matchers: readonly (readonly LabelMatcher[])[]): Store[] {
  if (matchers.length === 0) return [...ctx.stores.stores];
  const picked = new Set<Store>();
  for (const m of matchers) for (const s of ctx.stores.matching(m)) picked.add(s);
  return ctx.stores.stores.filter((s) => picked.has(s));
}

async function handleSeries(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const request = labelsRequest(params, true);
  const { replicaLabels, enabled } = requestDedupPolicy(ctx, params);
  const dedup = enabled && replicaLabels.size > 0;
  const { results, warnings } = await askStores(ctx, params, reply, storesFor(ctx, request.matchers), (store, signal) =>
    store.series(storeRequest(request), signal),
  );
  const unique = new Map<string, Labels>();
  for (const list of results) {
    for (const ls of list) {
      const out = dedup ? dropLabels(ls, replicaLabels) : ls;
      unique.set(labelsKey(out), out);
    }
  }
  let sets = [...unique.values()].sort(compareLabels);
  if (request.limit > 0 && (sets.length > request.limit || storeTruncated(results, request.limit))) {
    sets = sets.slice(0, request.limit);
    warnings.push(TRUNCATED);
  }
  return sendSuccess(reply, `[${sets.map(encodeLabels).join(',')}]`, warnings);
}

async function handleLabels(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const request = labelsRequest(params, false);
  const { results, warnings } = await askStores(ctx, params, reply, storesFor(ctx, request.matchers), (store, signal) =>
    store.labelNames(storeRequest(request), signal),
  );
  return sendStrings(reply, results, request.limit, warnings);
}

async function handleLabelValues(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const name = decodeLabelName((req.params as { name: string }).name);
  if (name === '') throw new ApiError('bad_data', `invalid label name: ""`);
  const request = labelsRequest(params, false);
  const { results, warnings } = await askStores(ctx, params, reply, storesFor(ctx, request.matchers), (store, signal) =>
    store.labelValues(name, storeRequest(request), signal),
  );
  return sendStrings(reply, results, request.limit, warnings);
}

async function handleMetadata(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const metric = params.get('metric') ?? '';
  const limit = parseLimitParam(params.get('limit'));
  const { results, warnings } = await askStores(ctx, params, reply, ctx.stores.stores, (store, signal) =>
    store.metadata(metric, limit, signal),
  );
  const merged = new Map<string, MetricMetadata[]>();
  for (const r of results) {
    for (const [name, entries] of Object.entries(r)) {
      const list = merged.get(name) ?? [];
      for (const e of entries) {
        if (!list.some((x) => x.type === e.type && x.help === e.help && x.unit === e.unit)) list.push(e);
      }
      merged.set(name, list);
    }
  }
  let names = [...merged.keys()].sort(compareStrings);
  if (limit > 0) names = names.slice(0, limit);
  const body = names
    .map(
      (n) =>
        `${jsonString(n)}:[${merged
          .get(n)!
          .map((e) => `{"type":${jsonString(e.type)},"help":${jsonString(e.help)},"unit":${jsonString(e.unit)}}`)
          .join(',')}]`,
    )
    .join(',');
  return sendSuccess(reply, `{${body}}`, warnings);
}

function sendStrings(reply: FastifyReply, lists: string[][], limit: number, warnings: string[]): string {
  const all = new Set<string>();
  for (const list of lists) for (const v of list) all.add(v);
  let sorted = [...all].sort(compareStrings);
  if (limit > 0 && (sorted.length > limit || storeTruncated(lists, limit))) {
    sorted = sorted.slice(0, limit);
    warnings.push(TRUNCATED);
  }
  return sendSuccess(reply, `[${sorted.map(jsonString).join(',')}]`, warnings);
}
