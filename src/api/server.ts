import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { registerCompression } from './compress.js';
import { HttpMetrics } from './metrics.js';
import type { ApiContext } from './context.js';
import { errorBody } from '../promql/json.js';
import { statusFor, toApiError } from './errors.js';
import { registerMetadataRoutes } from './routes/metadata.js';
import { registerQueryRoutes } from './routes/query.js';
import { registerRulesRoutes } from './routes/rules.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerStoresRoutes } from './routes/stores.js';
import { parseCorsOrigin, registerCors, type CorsOrigin } from './cors.js';
import { WebConfigHolder } from './web-config.js';

/** How the server is reached: the --http.config file in force and --web.cors.origin. */
export interface HttpServing {
  /** TLS, basic auth and response headers; default none. */
  readonly web?: WebConfigHolder;
  /** Default `.*`, as Prometheus. */
  readonly cors?: CorsOrigin;
}

/**
 * Go's net/http limit on request headers (DefaultMaxHeaderBytes plus its 4096 bytes of slack), so
 * a GET with a long query string that Prometheus accepts is accepted here too (Node's default is
 * 16 KiB, answered with 431).
 */
const MAX_HEADER_BYTES = (1 << 20) + 4096;

/** The Prometheus-compatible HTTP API. */
export function buildHttpApi(ctx: ApiContext, serving: HttpServing = {}): FastifyInstance {
  const web = serving.web ?? WebConfigHolder.none();
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => web.createServer(handler, MAX_HEADER_BYTES),
    // Label names in /api/v1/label/<name>/values may be long (fastify's default cut is 100).
    routerOptions: { maxParamLength: MAX_HEADER_BYTES },
    bodyLimit: 16 * 1024 * 1024,
    return503OnClosing: true,
    // Router-level failures (e.g. a malformed %-escape in the path) get Prometheus' envelope too.
    frameworkErrors: (err, _req, res) => {
      const reply = res as unknown as FastifyReply; // the hook's generic reply type has no plain code()
      void reply.code(400).type('application/json').send(errorBody('bad_data', err.message));
    },
  });

  // Forms are parsed to URLSearchParams so repeated keys (match[]) keep every value.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });

  // Headers and authentication first: with basic_auth_users every path (health and readiness too)
  // asks for credentials, as Prometheus does.
  web.install(app);
  registerCors(app, serving.cors ?? parseCorsOrigin('.*'));

  new HttpMetrics(ctx.registry).instrument(app);

  app.setErrorHandler(async (err, req, reply) => {
    const apiError = toApiError(err);
    // Fastify's own client errors (bad body, unsupported media type) keep their 4xx status.
    const fastifyStatus = (err as { statusCode?: number }).statusCode;
    const status = fastifyStatus && fastifyStatus >= 400 && fastifyStatus < 500 ? fastifyStatus : statusFor(apiError.errorType);
    const errorType = fastifyStatus && fastifyStatus >= 400 && fastifyStatus < 500 ? 'bad_data' : apiError.errorType;
    if (status >= 500) ctx.logger.warn('request failed', { path: req.url.split('?')[0], err: apiError.message });
    reply.code(status).type('application/json').header('Cache-Control', 'no-store');
    return errorBody(errorType, apiError.message);
  });

  // Prometheus answers CORS preflights on every API path with 204.
  app.options('/api/v1/*', async (_req, reply) => {
    reply.code(204);
    return '';
  });

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const allow = allowedMethods(path);
    if (allow !== null) {
      // A known path with another method: 405 with Allow, word for word as Prometheus' router.
      reply.code(405).header('Allow', allow).header('X-Content-Type-Options', 'nosniff').type('text/plain; charset=utf-8');
      return 'Method Not Allowed\n';
    }
    reply.code(404).type('application/json').header('Cache-Control', 'no-store');
    return errorBody('not_found', `no handler for ${req.method} ${path}`);
  });

  // Fastify appends "; charset=utf-8" to JSON types; Prometheus sends plain application/json.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.header('content-type', 'application/json');
    return payload;
  });
  registerCompression(app);
  registerQueryRoutes(app, ctx);
  registerMetadataRoutes(app, ctx);
  registerStatusRoutes(app, ctx);
  registerStoresRoutes(app, ctx);
  registerRulesRoutes(app, ctx);
  return app;
}

/** Methods served on a known API path (as Prometheus' Allow header lists them), null for unknown paths. */
function allowedMethods(path: string): string | null {
  if (/^\/api\/v1\/(query|query_range|series|labels|query_exemplars|format_query|parse_query)$/.test(path)) return 'GET, OPTIONS, POST';
  if (/^\/api\/v1\/(label\/[^/]+\/values|metadata|status\/buildinfo|status\/flags|status\/runtimeinfo|rules|alerts|targets)$/.test(path)) return 'GET, OPTIONS';
  return null;
}
