import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { jsonString, successBody } from '../../promql/json.js';
import { VERSION } from '../../version.js';
import { availableParallelism } from 'node:os';

/** A time as Go's time.Time marshals it in UTC (RFC 3339, fraction without trailing zeros). */
export function goTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** When the process started (ms since the epoch), for runtimeinfo. */
const STARTED_MS = Date.now() - process.uptime() * 1000;


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
  app.get('/api/v1/status/runtimeinfo', async (_req, reply) => {
    reply.type('application/json');
    // Prometheus' fields (2.42), promdedup's values: no TSDB (no corruption, no retention), no config reload.
    const started = goTime(STARTED_MS);
    const data =
      `{"startTime":${jsonString(started)},"CWD":${jsonString(process.cwd())},"reloadConfigSuccess":true,` +
      `"lastConfigTime":${jsonString(started)},"corruptionCount":0,` +
      `"goroutineCount":${process.getActiveResourcesInfo().length},"GOMAXPROCS":${availableParallelism()},` +
      `"GOGC":${jsonString(process.env.GOGC ?? '')},"GODEBUG":${jsonString(process.env.GODEBUG ?? '')},"storageRetention":""}`;
    return successBody(data, []);
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
