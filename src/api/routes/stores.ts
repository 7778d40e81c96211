/**
 * `/api/v1/stores` in Thanos' shape (endpoints grouped by component type, with label sets, time
 * range, last check and last error) and `/stores`, the same as a small server-rendered page.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { labelsToRecord } from '../../model/labels.js';
import { successBody } from '../../promql/json.js';
import type { Store } from '../../store/store.js';

interface EndpointJson {
  name: string;
  lastCheck: string | null;
  lastError: string | null;
  labelSets: Record<string, string>[];
  /** ms; Go's MinInt64/MaxInt64 (as JSON numbers, like Thanos) when the endpoint holds all time. */
  minTime: number;
  maxTime: number;
  /** Not in Thanos: whether queries ask it now, and whether it is always asked. */
  queryable: boolean;
  strict: boolean;
}

const MIN_INT64_JSON = -9223372036854775808;
const MAX_INT64_JSON = 9223372036854775807;

function endpointJson(s: Store): EndpointJson {
  const st = s.status();
  const time = (t: number): number => (t === -Infinity ? MIN_INT64_JSON : t === Infinity ? MAX_INT64_JSON : t);
  return {
    name: s.name,
    lastCheck: st.lastCheck > 0 ? new Date(st.lastCheck).toISOString() : null,
    lastError: st.lastError,
    labelSets: s.labelSets().map(labelsToRecord),
    minTime: time(st.minTime),
    maxTime: time(st.maxTime),
    queryable: st.queryable,
    strict: st.strict,
  };
}

function grouped(ctx: ApiContext): Record<string, EndpointJson[]> {
  const out: Record<string, EndpointJson[]> = {};
  for (const s of ctx.stores.stores) {
    const type = s.status().componentType || 'unknown';
    (out[type] ??= []).push(endpointJson(s));
  }
  for (const list of Object.values(out)) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function timeText(t: number): string {
  if (t <= MIN_INT64_JSON || t >= MAX_INT64_JSON) return '∞';
  return new Date(t).toISOString();
}

function page(groups: Record<string, EndpointJson[]>): string {
  const sections = Object.entries(groups)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([type, list]) => {
      const rows = list
        .map((e) => {
          const labels = e.labelSets.map((ls) => `<code>{${escape(Object.entries(ls).map(([k, v]) => `${k}="${v}"`).join(', '))}}</code>`).join('<br>');
          const state = e.lastError === null ? (e.queryable ? 'UP' : 'UNKNOWN') : 'DOWN';
          return (
            `<tr class="${state.toLowerCase()}"><td>${escape(e.name)}${e.strict ? ' (strict)' : ''}</td><td>${state}</td>` +
            `<td>${labels}</td><td>${timeText(e.minTime)}</td><td>${timeText(e.maxTime)}</td>` +
            `<td>${e.lastCheck ?? 'never'}</td><td>${e.lastError === null ? '' : escape(e.lastError)}</td></tr>`
          );
        })
        .join('\n');
      return (
        `<h2>${escape(type)}</h2>\n<table><thead><tr><th>Endpoint</th><th>State</th><th>Label sets</th><th>Min time</th>` +
        `<th>Max time</th><th>Last check</th><th>Last error</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>promdedup: endpoints</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}tr.down td{background:#fdd}tr.up td:nth-child(2){color:#070}</style>
</head><body><h1>Endpoints</h1>
${sections === '' ? '<p>No endpoints.</p>' : sections}
</body></html>
`;
}

export function registerStoresRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/stores', async (_req, reply) => {
    reply.type('application/json');
    return successBody(JSON.stringify(grouped(ctx)), []);
  });
  app.get('/stores', async (_req, reply) => {
    reply.type('text/html; charset=utf-8');
    return page(grouped(ctx));
  });
}
