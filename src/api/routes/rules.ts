import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Expr } from '../../promql/ast.js';
import { parseExpr, parseMetricSelector } from '../../promql/parser.js';
import { prettyExpr, withSortedMatchers } from '../../promql/printer.js';
import { encodeLabels, jsonString } from '../../promql/json.js';
import { formatTimestampSeconds } from '../../promql/format.js';
import type { LabelMatcher } from '../../model/matcher.js';
import { encodeJson } from '../../promql/json-value.js';
import { translateAst } from '../parse-query.js';
import type { ExemplarSeries } from '../../store/store.js';
import { RulesQuerier, type RulesFilter } from '../../query/rules.js';
import type { ApiContext } from '../context.js';
import { ApiError, toApiError } from '../errors.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseBoolParam, parseTime, type Params } from '../params.js';
import { fanoutPolicy, metadataSignal, requestDedupPolicy, requestParams, sendSuccess } from '../request.js';

/**
 * The endpoints Grafana calls besides queries and metadata: `/api/v1/query_exemplars`,
 * `/api/v1/rules`, `/api/v1/alerts` (fanned out and merged by the querier, src/query/rules.ts) and
 * `/api/v1/targets`, and `/api/v1/format_query`, `/api/v1/parse_query` (answered here).
 */
export function registerRulesRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const querier = new RulesQuerier(ctx.stores);
  const exemplars = (req: FastifyRequest, reply: FastifyReply) => handleExemplars(ctx, querier, req, reply);
  app.get('/api/v1/query_exemplars', exemplars);
  app.post('/api/v1/query_exemplars', exemplars);
  app.get('/api/v1/rules', (req, reply) => handleRules(ctx, querier, req, reply));
  app.get('/api/v1/alerts', (req, reply) => handleAlerts(ctx, querier, req, reply));
  app.get('/api/v1/targets', (req, reply) => handleTargets(ctx, querier, req, reply));
  const format = async (req: FastifyRequest, reply: FastifyReply) => handleFormatQuery(ctx, req, reply);
  app.get('/api/v1/format_query', format);
  app.post('/api/v1/format_query', format);
  const parse = async (req: FastifyRequest, reply: FastifyReply) => handleParseQuery(ctx, req, reply);
  app.get('/api/v1/parse_query', parse);
  app.post('/api/v1/parse_query', parse);
}

async function withDeadline<T>(ctx: ApiContext, reply: FastifyReply, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = metadataSignal(ctx, reply);
  try {
    return await f(deadline.signal);
  } finally {
    deadline.dispose();
  }
}

/** Prometheus' parser.ExtractSelectors: the matchers of every vector selector (range selectors' too). */
export function extractSelectors(e: Expr): LabelMatcher[][] {
  const out: LabelMatcher[][] = [];
  const visit = (x: unknown): void => {
    if (typeof x !== 'object' || x === null) return;
    if (Array.isArray(x)) {
      for (const y of x) visit(y);
      return;
    }
    const node = x as { kind?: unknown; matchers?: readonly LabelMatcher[] };
    if (node.kind === 'VectorSelector') {
      out.push([...node.matchers!]);
      return;
    }
    for (const [k, v] of Object.entries(x)) if (k !== 'pos' && k !== 'func') visit(v);
  };
  visit(e);
  return out;
}

async function handleExemplars(ctx: ApiContext, querier: RulesQuerier, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const startText = params.get('start');
  const endText = params.get('end');
  const start = startText ? parseTime('start', startText) : MIN_TIME_MS;
  const end = endText ? parseTime('end', endText) : MAX_TIME_MS;
  if (end < start) throw new ApiError('bad_data', 'end timestamp must not be before start timestamp');
  let expr: Expr;
  try {
    expr = parseExpr(params.get('query') ?? '', { compat: ctx.compat() });
  } catch (err) {
    throw new ApiError('bad_data', toApiError(err).message);
  }
  const selectors = extractSelectors(expr);
  // Prometheus answers a query without selectors with 204 and no body (its handler returns no data).
  if (selectors.length === 0) {
    reply.code(204);
    return '';
  }
  const { data, warnings } = await withDeadline(ctx, reply, (signal) =>
    querier.exemplars(selectors, start, end, fanoutPolicy(ctx, params), requestDedupPolicy(ctx, params), signal),
  );
  return sendSuccess(reply, `[${data.map(encodeExemplarSeries).join(',')}]`, warnings);
}

function encodeExemplarSeries(s: ExemplarSeries): string {
  const exemplars = s.exemplars.map(
    (e) => `{"labels":${encodeLabels(e.labels)},"value":${jsonString(e.value)},"timestamp":${formatTimestampSeconds(e.timestampMs)}}`,
  );
  return `{"seriesLabels":${encodeLabels(s.seriesLabels)},"exemplars":[${exemplars.join(',')}]}`;
}

function rulesFilter(params: Params): RulesFilter {
  const type = (params.get('type') ?? '').toLowerCase();
  if (type !== '' && type !== 'alert' && type !== 'record') {
    throw new ApiError('bad_data', `invalid parameter "type": not supported value ${jsonString(type)}`);
  }
  const matchers = params.getAll('match[]').map((s) => {
    try {
      return parseMetricSelector(s);
    } catch (err) {
      throw new ApiError('bad_data', toApiError(err).message);
    }
  });
  for (const set of matchers) {
    if (!set.some((m) => !m.matchesEmpty())) throw new ApiError('bad_data', 'match[] must contain at least one non-empty matcher');
  }
  return {
    type,
    ruleNames: new Set(params.getAll('rule_name[]')),
    ruleGroups: new Set(params.getAll('rule_group[]')),
    files: new Set(params.getAll('file[]')),
    excludeAlerts: parseBoolParam('exclude_alerts', params.get('exclude_alerts'), false),
    matchers,
  };
}

async function handleRules(ctx: ApiContext, querier: RulesQuerier, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const filter = rulesFilter(params);
  const { data, warnings } = await withDeadline(ctx, reply, (signal) =>
    querier.rules(filter, fanoutPolicy(ctx, params), requestDedupPolicy(ctx, params), signal),
  );
  return sendSuccess(reply, `{"groups":${encodeJson(data)}}`, warnings);
}

async function handleAlerts(ctx: ApiContext, querier: RulesQuerier, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const { data, warnings } = await withDeadline(ctx, reply, (signal) =>
    querier.alerts(fanoutPolicy(ctx, params), requestDedupPolicy(ctx, params), signal),
  );
  return sendSuccess(reply, `{"alerts":${encodeJson(data)}}`, warnings);
}

/**
 * Prometheus' `state` (any, active, dropped; another value gives both lists empty) and
 * `scrapePool`, passed on and applied here too (an older endpoint may not know `scrapePool`).
 */
async function handleTargets(ctx: ApiContext, querier: RulesQuerier, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const params = requestParams(req);
  const state = (params.get('state') ?? '').toLowerCase();
  const pool = params.get('scrapePool') ?? '';
  const showActive = state === '' || state === 'any' || state === 'active';
  const showDropped = state === '' || state === 'any' || state === 'dropped';
  const sent: [string, string][] = [];
  if (state !== '') sent.push(['state', state]);
  if (pool !== '') sent.push(['scrapePool', pool]);
  const { data, warnings } = await withDeadline(ctx, reply, (signal) =>
    querier.targets(sent, fanoutPolicy(ctx, params), requestDedupPolicy(ctx, params), signal),
  );
  const inPool = (t: unknown) => pool === '' || (t as { scrapePool?: unknown }).scrapePool === undefined || (t as { scrapePool?: unknown }).scrapePool === pool;
  if (Array.isArray(data.activeTargets)) data.activeTargets = showActive ? data.activeTargets.filter(inPool) : [];
  if (Array.isArray(data.droppedTargets)) data.droppedTargets = showDropped ? data.droppedTargets.filter(inPool) : [];
  return sendSuccess(reply, encodeJson(data), warnings);
}

function parseQueryParam(ctx: ApiContext, params: Params): Expr {
  try {
    return parseExpr(params.get('query') ?? '', { compat: ctx.compat() });
  } catch (err) {
    throw new ApiError('bad_data', `invalid parameter "query": ${toApiError(err).message}`);
  }
}

/** Prometheus 3.x's parse_query: the AST as its web UI's tree view reads it. */
function handleParseQuery(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): string {
  return sendSuccess(reply, encodeJson(translateAst(parseQueryParam(ctx, requestParams(req)))), []);
}

/** The query parsed and pretty-printed as Prometheus does (`invalid parameter "query": ...` on a bad one). */
function handleFormatQuery(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply): string {
  const expr = parseQueryParam(ctx, requestParams(req));
  return sendSuccess(reply, jsonString(prettyExpr(withSortedMatchers(expr))), []);
}
