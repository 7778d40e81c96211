import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { jsonString, successBody } from '../../promql/json.js';
import { VERSION } from '../../version.js';


/** Build info, flags, health, readiness and the process' own metrics. */
export function registerStatusRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/status/buildinfo', async (_req, reply) => {
    reply.type('application/json');
    const data = {
      version: VERSION,
      revision: '',
      branch: '',
      buildUser: '',
      buildDate: '',
      goVersion: `node ${process.version}`,
    };
    return successBody(JSON.stringify(data), []);
  });
  app.get('/api/v1/status/flags', async (_req, reply) => {
    reply.type('application/json');
    const entries = Object.entries(ctx.config.flags).map(([k, v]) => `${jsonString(k)}:${jsonString(v)}`);
    return successBody(`{${entries.join(',')}}`, []);
  });
  app.get('/-/healthy', async (_req, reply) => {
    reply.type('text/plain');
    return 'promdedup is Healthy.\n';
  });
  app.get('/-/ready', async (_req, reply) => {
    reply.type('text/plain');
    if (!ctx.ready()) {
      reply.code(503);
      return 'promdedup is not ready yet: endpoints not yet contacted.\n';
    }
    return 'promdedup is Ready.\n';
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(ctx.registry.contentType);
    return ctx.registry.metrics();
  });
}
