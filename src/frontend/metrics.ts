/** The query frontend's metrics (Thanos' names where Thanos has one) and the kind of each request. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResultsCache } from './results-cache.js';

export const OPS = ['query', 'query_range', 'label_names', 'label_values', 'series', 'other'] as const;

export function operation(method: string, path: string): (typeof OPS)[number] {
  if (method !== 'GET' && method !== 'POST') return 'other';
  if (path.endsWith('/api/v1/query')) return 'query';
  if (path.endsWith('/api/v1/query_range')) return 'query_range';
  if (path.endsWith('/api/v1/labels')) return 'label_names';
  if (path.endsWith('/api/v1/series')) return 'series';
  if (/\/api\/v1\/label\/.+\/values$/.test(path)) return 'label_values';
  return 'other';
}

export class FrontendMetrics {
  readonly queries: Counter<'op'>;
  readonly split: Counter<'op'>;
  readonly cache: Counter<'kind' | 'result'>;
  readonly retries: Counter<'op'>;
  readonly downstream: Counter<'op'>;
  readonly coalesced: Counter<'op'>;

  constructor(registry: Registry, caches: readonly (ResultsCache<unknown> | null)[]) {
    this.queries = new Counter({ name: 'thanos_query_frontend_queries_total', help: 'Total queries passing through query frontend', labelNames: ['op'], registers: [registry] });
    for (const op of OPS) this.queries.inc({ op }, 0);
    this.split = new Counter({ name: 'thanos_frontend_split_queries_total', help: 'Total number of underlying query requests after the split by interval is applied', labelNames: ['op'], registers: [registry] });
    this.cache = new Counter({
      name: 'promdedup_frontend_cache_requests_total',
      help: 'Sub-requests by kind (query_range, label_names, label_values, series) and by what the results cache did: hit (answered from cache), partial (part fetched), miss (nothing cached), uncacheable (bypassed).',
      labelNames: ['kind', 'result'],
      registers: [registry],
    });
    for (const kind of ['query_range', 'label_names', 'label_values', 'series']) {
      for (const result of kind === 'query_range' ? ['hit', 'partial', 'miss', 'uncacheable'] : ['hit', 'miss', 'uncacheable']) this.cache.inc({ kind, result }, 0);
    }
    this.retries = new Counter({ name: 'promdedup_frontend_retries_total', help: 'Downstream requests retried after a 5xx or network error.', labelNames: ['op'], registers: [registry] });
    this.downstream = new Counter({ name: 'promdedup_frontend_downstream_requests_total', help: 'Requests sent to the downstream, by operation.', labelNames: ['op'], registers: [registry] });
    this.coalesced = new Counter({ name: 'promdedup_frontend_coalesced_total', help: 'Sub-requests that joined an identical one already in flight.', labelNames: ['op'], registers: [registry] });
    new Gauge({
      name: 'promdedup_frontend_cache_entries',
      help: 'Keys held by the in-memory results caches.',
      registers: [registry],
      collect() {
        this.set(caches.reduce((n, c) => n + (c?.entries ?? 0), 0));
      },
    });
  }
}
