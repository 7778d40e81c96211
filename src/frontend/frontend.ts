/**
 * The query frontend's HTTP face: range queries are split at --query-range.split-interval
 * boundaries, answered from the results cache where it can and from the downstream in parallel
 * where it cannot, and merged; every other request passes through to the downstream unchanged.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { Coalescer } from '../query/coalesce.js';
import { ApiError } from '../api/errors.js';
import { Params, parseBoolParam, parseDurationParam, parseTime } from '../api/params.js';
import { registerCompression } from '../api/compress.js';
import { errorBody } from '../promql/json.js';
import type { Logger } from '../util/log.js';
import { WebConfigHolder } from '../api/web-config.js';
import { clipExtents, compactExtents, joinExtents, partition, type Extent } from './cache.js';
import { forwardableHeaders, type Downstream, type Headers } from './downstream.js';
import { decodeMetadata, encodeMetadata, mergeMetadata, splitByInterval, type MetadataAnswer } from './metadata.js';
import { decodeAnswer, encodeAnswer, goDuration, mergeAnswers, splitRange, type RangeAnswer } from './range.js';
import type { ResultsCache } from './results-cache.js';
import type { AnswerDecoder } from './decoder.js';
import { FrontendMetrics, operation } from './metrics.js';

export interface FrontendConfig {
  readonly splitIntervalMs: number;
  readonly alignRangeWithStep: boolean;
  readonly maxRetries: number;
  readonly maxQueryLengthMs: number;
  readonly maxQueryParallelism: number;
  readonly maxFreshnessMs: number;
  readonly logQueriesLongerThanMs: number;
  readonly compressResponses: boolean;
  /** The default of partial_response when a request does not say (--query-range.partial-response). */
  readonly partialResponse: boolean;
  readonly labels: LabelsConfig;
}

/** Labels and series requests (Thanos' --labels.* flags). */
export interface LabelsConfig {
  readonly splitIntervalMs: number;
  readonly maxRetries: number;
  readonly maxQueryParallelism: number;
  readonly maxFreshnessMs: number;
  readonly partialResponse: boolean;
  /** The range assumed when a request gives no start or end; 0: all time (such requests pass through). */
  readonly defaultTimeRangeMs: number;
}

export interface FrontendDeps {
  readonly downstream: Downstream;
  readonly cache: ResultsCache<Extent[]> | null;
  /** Answers (body text) of labels and series sub-requests. */
  readonly labelsCache: ResultsCache<string> | null;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly now?: () => number;
  /** --http.config: TLS, basic auth and response headers of the frontend's own server. */
  readonly web?: WebConfigHolder;
  /** Decodes range answers (large ones on worker threads); inline without one. */
  readonly decoder?: AnswerDecoder;
}

/** A downstream answer read in full. */
interface Fetched {
  readonly statusCode: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** A range sub-query's downstream answer and, when it is a success, the answer decoded (shared by coalesced callers). */
interface FetchedRange {
  readonly fetched: Fetched;
  readonly answer: RangeAnswer | null;
}

/** A sub-query failed: its downstream answer goes to the client as it came. */
class DownstreamFailure extends Error {
  constructor(readonly fetched: Fetched) {
    super(`downstream answered ${fetched.statusCode}`);
  }
}

/** Sub-ranges of one labels or series request beyond which it is passed through whole. */
const MAX_METADATA_PIECES = 400;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Runs `tasks` with at most `limit` at once; the first failure rejects (and aborts the rest through `abort`). */
async function parallel<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  return out;
}

export function buildFrontendApp(config: FrontendConfig, deps: FrontendDeps): FastifyInstance {
  const { downstream, cache, labelsCache, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = new FrontendMetrics(deps.registry, [cache, labelsCache]);
  // Answers are immutable: every caller gets the same one.
  const share = <T>(v: T, n: number): T[] => Array.from({ length: n }, () => v);
  const rangeCoalescer = new Coalescer<FetchedRange>({ share, onJoin: () => metrics.coalesced.inc({ op: 'query_range' }) });
  const metadataCoalescer = new Coalescer<Fetched>({ share, onJoin: () => metrics.coalesced.inc({ op: 'metadata' }) });
  const instantCoalescer = new Coalescer<Fetched>({ share, onJoin: () => metrics.coalesced.inc({ op: 'query' }) });
  const decodeRange = (body: Buffer): Promise<RangeAnswer | null> => (deps.decoder !== undefined ? deps.decoder.range(body) : Promise.resolve(decodeAnswer(body.toString('utf8'))));

  const web = deps.web ?? WebConfigHolder.none();
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024, return503OnClosing: true, routerOptions: { maxParamLength: 1 << 20 }, serverFactory: (handler) => web.createServer(handler) });
  web.install(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  if (config.compressResponses) registerCompression(app);

  if (config.logQueriesLongerThanMs !== 0) {
    app.addHook('onResponse', async (req, reply) => {
      const ms = reply.elapsedTime;
      if (config.logQueriesLongerThanMs > 0 && ms < config.logQueriesLongerThanMs) return;
      const params = paramsOf(req);
      logger.info('slow query detected', {
        method: req.method,
        path: req.url.split('?')[0],
        time_taken: `${ms.toFixed(1)}ms`,
        status: reply.statusCode,
        query: params.get('query'),
        start: params.get('start'),
        end: params.get('end'),
        step: params.get('step'),
      });
    });
  }

  app.get('/-/healthy', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  app.get('/-/ready', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('OK'));
  app.get('/metrics', async (_req, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));

  /** One downstream request, retried on 5xx and network errors (`maxRetries` attempts in all). */
  async function fetchRetrying(op: string, maxRetries: number, method: string, path: string, headers: Headers, body: Buffer | undefined, signal: AbortSignal): Promise<Fetched> {
    let wait = 200;
    for (let attempt = 1; ; attempt++) {
      try {
        metrics.downstream.inc({ op });
        const res = await downstream.send(method, path, headers, body, signal);
        const fetched = { statusCode: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
        if (res.statusCode < 500 || attempt >= maxRetries) return fetched;
        logger.warn('downstream request failed; retrying', { status: res.statusCode, try: attempt, wait_ms: wait });
      } catch (err) {
        if (signal.aborted || attempt >= maxRetries) throw err;
        logger.warn('downstream request failed; retrying', { err: err instanceof Error ? err.message : String(err), try: attempt, wait_ms: wait });
      }
      metrics.retries.inc({ op });
      await sleep(wait * (0.5 + Math.random() / 2), signal);
      wait = Math.min(wait * 2, 2000);
    }
  }

  async function passThrough(req: FastifyRequest, reply: FastifyReply, op: string): Promise<FastifyReply> {
    metrics.downstream.inc({ op });
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    const body = Buffer.isBuffer(req.body) ? req.body : undefined;
    let res;
    try {
      res = await downstream.send(req.method, req.url, forwardableHeaders(req.headers), body, controller.signal);
    } catch (err) {
      logger.warn('downstream request failed', { path: req.url.split('?')[0], err: err instanceof Error ? err.message : String(err) });
      return sendUnreachable(err, reply);
    }
    reply.code(res.statusCode);
    for (const [k, v] of Object.entries(res.headers)) reply.header(k, v);
    return reply.send(res.body);
  }

  /**
   * Instant queries pass through, but identical ones in flight at once (same method, URL, body,
   * tenant, credentials and Accept-Encoding) share one downstream request: N HA Grafanas evaluating
   * the same alert rule at the same tick cost one, whatever the downstream is.
   */
  async function instantQuery(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = Buffer.isBuffer(req.body) ? req.body : undefined;
    const headers = forwardableHeaders(req.headers);
    const key = [identityOf(req), req.method, req.url, String(req.headers['content-type'] ?? ''), String(req.headers['accept-encoding'] ?? ''), body?.toString('latin1') ?? ''].join('\0');
    const { signal } = clientSignal(reply);
    let fetched: Fetched;
    try {
      fetched = await instantCoalescer.run(key, signal, (shared) => fetchRetrying('query', 1, req.method, req.url, headers, body, shared));
    } catch (err) {
      return sendFailure(err, reply, 'instant query');
    }
    reply.code(fetched.statusCode);
    for (const [k, v] of Object.entries(fetched.headers)) reply.header(k, v);
    return reply.send(fetched.body);
  }

  function paramsOf(req: FastifyRequest): Params {
    const q = req.url.indexOf('?');
    const url = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
    const form = /application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? '')) && Buffer.isBuffer(req.body) ? new URLSearchParams(req.body.toString('utf8')) : null;
    return form !== null ? new Params(form, url) : new Params(url);
  }

  /** The client's parameters for sub-requests (form first, as Go reads them), without start and end. */
  function subRequestParams(req: FastifyRequest): URLSearchParams {
    const base = new URLSearchParams();
    const q = req.url.indexOf('?');
    const urlParams = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
    const isForm = /application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? '')) && Buffer.isBuffer(req.body);
    for (const src of isForm ? [new URLSearchParams((req.body as Buffer).toString('utf8')), urlParams] : [urlParams]) {
      for (const [k, v] of src) if (k !== 'start' && k !== 'end') base.append(k, v);
    }
    return base;
  }

  function subRequestHeaders(req: FastifyRequest, contentType: string | null): Headers {
    const headers = forwardableHeaders(req.headers);
    delete headers['content-type'];
    delete headers['accept-encoding'];
    if (contentType !== null) headers['content-type'] = contentType;
    return headers;
  }

  /** Who asks (tenant and credentials, hashed): part of every cache and coalescing key. */
  function identityOf(req: FastifyRequest): string {
    return createHash('sha256')
      .update(String(req.headers['x-scope-orgid'] ?? ''))
      .update('\0')
      .update(String(req.headers['authorization'] ?? ''))
      .digest('hex')
      .slice(0, 16);
  }

  /** Aborted when the client goes away before its answer is written. */
  function clientSignal(reply: FastifyReply): { controller: AbortController; signal: AbortSignal } {
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(Object.assign(new Error('query was canceled'), { name: 'AbortError' }));
    });
    return { controller, signal: controller.signal };
  }

  /** A failed sub-request: the downstream's own answer as it came, or 502 when it could not be reached. */
  function sendFailure(err: unknown, reply: FastifyReply, what: string): FastifyReply {
    if (err instanceof DownstreamFailure) {
      const f = err.fetched;
      reply.code(f.statusCode);
      for (const [k, v] of Object.entries(f.headers)) if (k !== 'content-encoding') reply.header(k, v);
      return reply.send(f.body);
    }
    if (reply.raw.destroyed) return reply;
    logger.warn(`${what} failed`, { err: err instanceof Error ? err.message : String(err) });
    return sendUnreachable(err, reply);
  }

  /** No answer from the downstream: 504 when it timed out (response_header_timeout, connecting), 502 otherwise. */
  function sendUnreachable(err: unknown, reply: FastifyReply): FastifyReply {
    const code = (err as { code?: unknown } | null)?.code;
    const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    const message = `downstream: ${err instanceof Error ? err.message : String(err)}`;
    return reply.code(timedOut ? 504 : 502).type('application/json').send(errorBody(timedOut ? 'timeout' : 'unavailable', message));
  }

  async function queryRange(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const params = paramsOf(req);
    let start: number, end: number, step: number;
    try {
      const query = params.get('query');
      const s = params.get('start');
      const e = params.get('end');
      const st = params.get('step');
      if (query === undefined || s === undefined || e === undefined || st === undefined) return passThrough(req, reply, 'query_range');
      // Answers carrying more than the matrix (provenance, query analysis, Prometheus' stats) are not split: merging would drop it.
      if (params.get('dedup') === 'explain' || (params.get('analyze') ?? '') !== '' || params.get('stats') !== undefined) return passThrough(req, reply, 'query_range');
      start = parseTime('start', s);
      end = parseTime('end', e);
      step = parseDurationParam('step', st);
      parseBoolParam('dedup', params.get('dedup'), true);
      parseBoolParam('partial_response', params.get('partial_response'), config.partialResponse);
    } catch (err) {
      // The downstream's own answer to a bad request, word for word.
      if (err instanceof ApiError) return passThrough(req, reply, 'query_range');
      throw err;
    }
    if (step <= 0 || end < start || (end - start) / step > 11000) return passThrough(req, reply, 'query_range');
    if (config.alignRangeWithStep) {
      start = Math.floor(start / step) * step;
      end = Math.floor(end / step) * step;
    }
    if (config.maxQueryLengthMs > 0 && end - start > config.maxQueryLengthMs) {
      return reply
        .code(400)
        .type('application/json')
        .send(errorBody('bad_data', `the query time range exceeds the limit (query length: ${goDuration(end - start)}, limit: ${goDuration(config.maxQueryLengthMs)})`));
    }

    const base = subRequestParams(req);
    const headers = subRequestHeaders(req, 'application/x-www-form-urlencoded');
    const path = req.url.split('?')[0]!;
    const identity = identityOf(req);

    const dedup = parseBoolParam('dedup', params.get('dedup'), true);
    const query = params.get('query')!;
    const cacheable = cache !== null && config.splitIntervalMs > 0 && dedup && !/@|offset\s*-/.test(query);
    const replicaLabels = [...params.getAll('replicaLabels[]'), ...params.getAll('replicaLabels')].sort();
    const partial = parseBoolParam('partial_response', params.get('partial_response'), config.partialResponse);
    // Everything that changes the answer besides the range, and the step grid's offset.
    const others = [...base].filter(([k]) => !['query', 'step', 'dedup', 'replicaLabels[]', 'replicaLabels', 'partial_response'].includes(k)).sort();
    const keyBase = JSON.stringify([identity, path, query, step, ((start % step) + step) % step, replicaLabels, partial, others, config.splitIntervalMs]);

    const { controller, signal } = clientSignal(reply);

    const fetchRange = async (s: number, e: number): Promise<{ answer: RangeAnswer; storable: boolean }> => {
      const form = new URLSearchParams(base);
      form.set('start', String(s / 1000));
      form.set('end', String(e / 1000));
      const body = Buffer.from(form.toString());
      const { fetched, answer } = await rangeCoalescer.run(`${identity}\0${path}\0${body.toString()}`, signal, async (shared) => {
        const f = await fetchRetrying('query_range', config.maxRetries, 'POST', path, headers, body, shared);
        return { fetched: f, answer: f.statusCode === 200 ? await decodeRange(f.body) : null };
      });
      if (answer === null) throw new DownstreamFailure(fetched);
      const noStore = String(fetched.headers['cache-control'] ?? '').includes('no-store');
      return { answer, storable: !noStore && answer.warnings.length === 0 };
    };

    const runSub = async (s: number, e: number): Promise<RangeAnswer> => {
      const maxCacheTime = now() - config.maxFreshnessMs;
      if (!cacheable || s > maxCacheTime) {
        metrics.cache.inc({ kind: 'query_range', result: 'uncacheable' });
        return (await fetchRange(s, e)).answer;
      }
      const key = `${keyBase}:${Math.floor(s / config.splitIntervalMs)}`;
      const extents = (await cache!.get(key)) ?? [];
      const { cached, missing } = partition(s, e, step, extents);
      metrics.cache.inc({ kind: 'query_range', result: missing.length === 0 ? 'hit' : cached.length === 0 ? 'miss' : 'partial' });
      const fetched = await Promise.all(missing.map(([ms, me]) => fetchRange(ms, me).then((r) => ({ ...r, start: ms, end: me }))));
      const added: Extent[] = fetched.filter((f) => f.storable).map((f) => ({ start: f.start, end: f.end, answer: f.answer }));
      if (added.length > 0) {
        // Only what is older than the max freshness is kept, cut at the last step on the grid before it.
        const lastCacheable = s + Math.floor((maxCacheTime - s) / step) * step;
        const kept = compactExtents(clipExtents(joinExtents([...extents, ...added], step), lastCacheable));
        if (kept.length > 0) cache!.put(key, kept);
      }
      return mergeAnswers([...cached, ...fetched.map((f) => f.answer)]);
    };

    // `@ start()` / `@ end()` mean the whole range's ends: such a query is not split (Thanos rewrites them to constants).
    const ranges = /@/.test(query) ? [[start, end] as [number, number]] : splitRange(start, end, step, config.splitIntervalMs);
    metrics.split.inc({ op: 'query_range' }, ranges.length);
    let answers: RangeAnswer[];
    try {
      answers = await parallel(
        ranges.map(([s, e]) => () => runSub(s, e)),
        config.maxQueryParallelism,
      );
    } catch (err) {
      controller.abort(err);
      return sendFailure(err, reply, 'range query');
    }
    const merged = mergeAnswers(answers);
    reply.code(200).type('application/json');
    if (merged.warnings.length > 0) reply.header('Cache-Control', 'no-store');
    return reply.send(encodeAnswer(merged));
  }

  /**
   * Labels and series requests: split at --labels.split-interval boundaries, each sub-range
   * answered from the labels cache when that exact sub-range was answered before (a cached answer
   * for a wider range could list labels the asked range does not have), merged.
   */
  async function metadataRequest(req: FastifyRequest, reply: FastifyReply, op: 'label_names' | 'label_values' | 'series'): Promise<FastifyReply> {
    const lc = config.labels;
    const params = paramsOf(req);
    // `limit` cuts each answer: a union of cut answers is not the cut union.
    if (params.get('limit') !== undefined) return passThrough(req, reply, op);
    if (op === 'series' && params.getAll('match[]').length === 0) return passThrough(req, reply, op);
    const s = params.get('start');
    const e = params.get('end');
    if ((s === undefined || e === undefined) && lc.defaultTimeRangeMs === 0) return passThrough(req, reply, op);
    let start: number, end: number;
    try {
      const t = now();
      start = s !== undefined ? parseTime('start', s) : t - lc.defaultTimeRangeMs;
      end = e !== undefined ? parseTime('end', e) : t;
      parseBoolParam('partial_response', params.get('partial_response'), lc.partialResponse);
      parseBoolParam('dedup', params.get('dedup'), true);
    } catch (err) {
      if (err instanceof ApiError) return passThrough(req, reply, op);
      throw err;
    }
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return passThrough(req, reply, op);
    const pieces = lc.splitIntervalMs > 0 ? splitByInterval(start, end, lc.splitIntervalMs) : [[start, end] as [number, number]];
    // Prometheus' all-time sentinels and the like: one request, not thousands.
    if (pieces.length > MAX_METADATA_PIECES) return passThrough(req, reply, op);

    const base = subRequestParams(req);
    // Label values are GET only in Prometheus; labels and series take a form.
    const method = op === 'label_values' ? 'GET' : 'POST';
    const headers = subRequestHeaders(req, method === 'POST' ? 'application/x-www-form-urlencoded' : null);
    const path = req.url.split('?')[0]!;
    const identity = identityOf(req);
    const dedup = parseBoolParam('dedup', params.get('dedup'), true);
    const partial = parseBoolParam('partial_response', params.get('partial_response'), lc.partialResponse);
    const others = [...base].filter(([k]) => k !== 'partial_response').map(([k, v]) => `${k}=${v}`).sort();
    const keyBase = JSON.stringify([identity, path, partial, others]);
    const { controller, signal } = clientSignal(reply);

    const fetchPiece = async (ps: number, pe: number): Promise<{ text: string; answer: MetadataAnswer; storable: boolean }> => {
      const form = new URLSearchParams(base);
      form.set('start', String(ps / 1000));
      form.set('end', String(pe / 1000));
      const query = form.toString();
      const body = method === 'POST' ? Buffer.from(query) : undefined;
      const target = method === 'POST' ? path : `${path}?${query}`;
      const fetched = await metadataCoalescer.run(`${identity}\0${method}\0${path}\0${query}`, signal, (shared) => fetchRetrying(op, lc.maxRetries, method, target, headers, body, shared));
      const text = fetched.body.toString('utf8');
      const answer = fetched.statusCode === 200 ? decodeMetadata(text) : null;
      if (answer === null) throw new DownstreamFailure(fetched);
      const noStore = String(fetched.headers['cache-control'] ?? '').includes('no-store');
      return { text, answer, storable: !noStore && answer.warnings.length === 0 };
    };

    const runPiece = async (ps: number, pe: number): Promise<{ text: string; answer: MetadataAnswer }> => {
      if (labelsCache === null || !dedup || pe > now() - lc.maxFreshnessMs) {
        metrics.cache.inc({ kind: op, result: 'uncacheable' });
        return fetchPiece(ps, pe);
      }
      const key = `${keyBase}:${ps}:${pe}`;
      const hit = await labelsCache.get(key);
      const answer = hit !== undefined ? decodeMetadata(hit) : null;
      if (hit !== undefined && answer !== null) {
        metrics.cache.inc({ kind: op, result: 'hit' });
        return { text: hit, answer };
      }
      metrics.cache.inc({ kind: op, result: 'miss' });
      const fetched = await fetchPiece(ps, pe);
      if (fetched.storable) labelsCache.put(key, fetched.text);
      return fetched;
    };

    metrics.split.inc({ op }, pieces.length);
    let parts: { text: string; answer: MetadataAnswer }[];
    try {
      parts = await parallel(
        pieces.map(([ps, pe]) => () => runPiece(ps, pe)),
        lc.maxQueryParallelism,
      );
    } catch (err) {
      controller.abort(err);
      return sendFailure(err, reply, `${op} request`);
    }
    reply.code(200).type('application/json');
    // One piece: the downstream's own bytes.
    if (parts.length === 1) {
      if (parts[0]!.answer.warnings.length > 0) reply.header('Cache-Control', 'no-store');
      return reply.send(parts[0]!.text);
    }
    const merged = mergeMetadata(parts.map((p) => p.answer));
    if (merged.warnings.length > 0) reply.header('Cache-Control', 'no-store');
    return reply.send(encodeMetadata(merged));
  }

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'],
    url: '/*',
    handler: async (req, reply) => {
      const path = req.url.split('?')[0]!;
      const op = operation(req.method, path);
      metrics.queries.inc({ op });
      if (op === 'query_range') return queryRange(req, reply);
      if (op === 'query') return instantQuery(req, reply);
      if (op === 'label_names' || op === 'label_values' || op === 'series') return metadataRequest(req, reply, op);
      return passThrough(req, reply, op);
    },
  });
  return app;
}
