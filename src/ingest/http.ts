/**
 * `promdedup ingest`'s HTTP face: remote-write pushes, the HA tracker status page (Mimir's path),
 * health, readiness and metrics.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { IngestMetrics } from './metrics.js';
import type { HaTracker } from './tracker/tracker.js';
import type { Receiver } from './receiver.js';
import { WebConfigHolder } from '../api/web-config.js';

export interface IngestHttpOptions {
  /** --http.config in force (TLS, basic auth, headers); default none. */
  readonly web?: WebConfigHolder;
  readonly receiver: Receiver;
  readonly tracker: HaTracker;
  readonly registry: Registry;
  readonly metrics: IngestMetrics;
  /** --remote-write.max-request-bytes: compressed body limit (over it: 413). */
  readonly maxRequestBytes: number;
  /** X-Scope-OrgID picks the tenant (else every request is tenant "anonymous"). */
  readonly multitenancy: boolean;
  ready(): boolean;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Mimir's tenant ID rules: at most 150 characters of [A-Za-z0-9!-_.*'()], and not "." or "..". */
export function invalidTenantReason(tenant: string): string | null {
  if (tenant.length > 150) return `tenant ID is too long: max 150 characters`;
  if (tenant === '.' || tenant === '..') return `tenant ID is '.' or '..'`;
  const bad = /[^A-Za-z0-9!\-_.*'()]/.exec(tenant);
  if (bad !== null) return `tenant ID ${JSON.stringify(tenant)} contains unsupported character ${JSON.stringify(bad[0])}`;
  return null;
}

export function buildIngestApi(o: IngestHttpOptions): FastifyInstance {
  const web = o.web ?? WebConfigHolder.none();
  const app = Fastify({ logger: false, bodyLimit: o.maxRequestBytes, return503OnClosing: true, serverFactory: (handler) => web.createServer(handler) });
  // --http.config: response headers, and with basic_auth_users credentials on every path.
  web.install(app);
  // Remote-write bodies are snappy-compressed protobuf: every body is taken as bytes and the
  // receiver checks Content-Type and Content-Encoding itself (415 with a reason).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const push = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply): Promise<string> => {
    const started = performance.now();
    const tenantHeader = req.headers['x-scope-orgid'];
    const tenant = o.multitenancy ? (typeof tenantHeader === 'string' ? tenantHeader : '') : 'anonymous';
    if (tenant === '') {
      reply.code(401);
      return 'no org id';
    }
    const invalid = o.multitenancy ? invalidTenantReason(tenant) : null;
    if (invalid !== null) {
      reply.code(400);
      return invalid;
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await o.receiver.push({
      body,
      contentEncoding: req.headers['content-encoding'],
      contentType: req.headers['content-type'],
      tenant,
      // The tenant travels on, so a multi-tenant store downstream files the data under it.
      ...(o.multitenancy ? { forwardTenant: true } : {}),
    });
    o.metrics.observePush(tenant, answer, (performance.now() - started) / 1000);
    reply.code(answer.status).type('text/plain; charset=utf-8');
    if (answer.written !== undefined) {
      reply.header('X-Prometheus-Remote-Write-Samples-Written', String(answer.written.samples));
      reply.header('X-Prometheus-Remote-Write-Histograms-Written', String(answer.written.histograms));
      reply.header('X-Prometheus-Remote-Write-Exemplars-Written', String(answer.written.exemplars));
    }
    return answer.body;
  };
  app.post('/api/v1/push', push);
  app.post('/api/v1/write', push);

  app.get('/distributor/ha_tracker', async (req, reply) => {
    const rows = o.tracker.status();
    if ((req.headers.accept ?? '').includes('application/json')) {
      reply.type('application/json');
      return JSON.stringify({ elected: rows });
    }
    reply.type('text/html; charset=utf-8');
    const tr = rows
      .map(
        (r) =>
          `<tr><td>${escape(r.tenant)}</td><td>${escape(r.cluster)}</td><td>${escape(r.replica)}</td><td>${new Date(r.electedAt).toISOString()}</td>` +
          `<td>${new Date(r.lastSeen).toISOString()}</td><td>${Math.round(r.untilUpdateMs / 1000)}s</td><td>${Math.round(r.untilFailoverMs / 1000)}s</td></tr>`,
      )
      .join('\n');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>HA tracker</title></head><body><h1>HA tracker</h1>
<table border="1"><thead><tr><th>Tenant</th><th>Cluster</th><th>Elected replica</th><th>Elected at</th><th>Last seen</th><th>Until update</th><th>Until failover</th></tr></thead>
<tbody>${tr}</tbody></table></body></html>\n`;
  });
  app.get('/-/healthy', async (_req, reply) => {
    reply.type('text/plain');
    return 'promdedup ingest is Healthy.\n';
  });
  app.get('/-/ready', async (_req, reply) => {
    reply.type('text/plain');
    if (!o.ready()) {
      reply.code(503);
      return 'promdedup ingest is not ready yet.\n';
    }
    return 'promdedup ingest is Ready.\n';
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(o.registry.contentType);
    return o.registry.metrics();
  });
  return app;
}
