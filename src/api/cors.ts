/**
 * `--web.cors.origin` as Prometheus applies it (web/api/v1 and util/httputil.SetCORS): on API
 * responses to a request with an Origin header, the CORS headers are set, and
 * Access-Control-Allow-Origin is `*` for the default `.*` or the request's Origin when the anchored
 * regexp matches it.
 */
import type { FastifyInstance } from 'fastify';

const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Headers': 'Accept, Authorization, Content-Type, Origin',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Expose-Headers': 'Date',
  Vary: 'Origin',
};

export interface CorsOrigin {
  /** As given, unanchored. */
  readonly source: string;
  readonly re: RegExp;
  /** The default `.*`: answered with `*`. */
  readonly any: boolean;
}

export class CorsOriginError extends Error {}

/** Compiles a --web.cors.origin value, anchored as Prometheus does (`^(?:re)$`). */
export function parseCorsOrigin(source: string): CorsOrigin {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, 's');
  } catch (err) {
    throw new CorsOriginError(`--web.cors.origin ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
  return { source, re, any: source === '.*' };
}

/** The CORS headers for a request with `origin` (undefined: none). */
export function corsHeaders(cors: CorsOrigin, origin: string | undefined): Record<string, string> {
  if (origin === undefined || origin === '') return {};
  const out: Record<string, string> = { ...CORS_HEADERS };
  if (cors.any) out['Access-Control-Allow-Origin'] = '*';
  else if (cors.re.test(origin)) out['Access-Control-Allow-Origin'] = origin;
  return out;
}

/** Sets the headers on every /api/v1 response (including errors and preflights). */
export function registerCors(app: FastifyInstance, cors: CorsOrigin): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/v1/')) return;
    const origin = req.headers.origin;
    for (const [k, v] of Object.entries(corsHeaders(cors, typeof origin === 'string' ? origin : undefined))) reply.header(k, v);
  });
}
