/**
 * The querier's Thanos-compatible metrics: the HTTP API's `http_requests_total` and
 * `http_request_duration_seconds` with Thanos' `handler` names, the query gate's
 * `thanos_query_concurrent_gate_*` and endpoint discovery's `thanos_query_store_apis_dns_*`.
 * These carry Thanos' names and labels so the thanos-mixin's querier alerts and dashboard apply
 * unchanged; what only promdedup has keeps `promdedup_` names (src/query/metrics.ts).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Gate, GateObserver } from '../util/gate.js';

/**
 * Route → `handler` label, as Thanos' query API instruments its routes (pkg/api/query/v1.go,
 * pkg/api/api.go): note `labels` is `label_names` and the explain routes count as `query`.
 */
const HANDLERS: Readonly<Record<string, string>> = {
  '/api/v1/query': 'query',
  '/api/v1/query_explain': 'query',
  '/api/v1/query_range': 'query_range',
  '/api/v1/query_range_explain': 'query',
  '/api/v1/labels': 'label_names',
  '/api/v1/label/:name/values': 'label_values',
  '/api/v1/series': 'series',
  '/api/v1/metadata': 'metadata',
  '/api/v1/query_exemplars': 'exemplars',
  '/api/v1/rules': 'rules',
  '/api/v1/alerts': 'alerts',
  '/api/v1/targets': 'targets',
  '/api/v1/stores': 'stores',
  '/api/v1/status/flags': 'status_flags',
  '/api/v1/status/buildinfo': 'status_build',
  '/api/v1/status/runtimeinfo': 'status_runtime',
  '/api/v1/status/tsdb': 'status_tsdb',
  '/api/v1/*': 'options',
  '/-/healthy': 'healthy',
  '/-/ready': 'ready',
  '/metrics': 'metrics',
  '/stores': 'stores_ui',
  '/': 'ui',
};

/**
 * The `handler` label for a fastify route pattern (undefined: no route matched, `not_found`).
 * Routes not in Thanos' list get their path after `/api/v1/`, with `/` as `_` and parameters
 * dropped (`/api/v1/format_query` → `format_query`), or the path itself.
 */
export function handlerName(route: string | undefined, method: string): string {
  if (route === undefined) return 'not_found';
  if (route === '/api/v1/*' && method !== 'OPTIONS') return 'not_found';
  const known = HANDLERS[route];
  if (known !== undefined) return known;
  if (route.startsWith('/api/v1/')) {
    return route
      .slice('/api/v1/'.length)
      .split('/')
      .filter((p) => p !== '' && !p.startsWith(':') && p !== '*')
      .join('_');
  }
  return route;
}

/**
 * Thanos' default duration buckets (pkg/extprom/http/metrics.go) plus promdedup's finer ones
 * below a second, and 40 s (the mixin's instant-query p99 threshold; 90 s, the range one, is
 * Thanos' own).
 */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 0.6, 1, 2.5, 3, 6, 9, 20, 30, 40, 60, 90, 120, 240, 360, 720];

/** The HTTP face's metrics, registered on the process' registry. */
export class HttpMetrics {
  /** `code`, `handler`, `method` as Thanos (method in lower case, code the status number). */
  readonly requestsTotal: Counter<'handler' | 'code' | 'method'>;
  readonly requestDuration: Histogram<'handler' | 'code' | 'method'>;

  constructor(registry: Registry) {
    this.requestsTotal = new Counter({
      name: 'http_requests_total',
      help: 'Tracks the number of HTTP requests.',
      labelNames: ['code', 'handler', 'method'] as const,
      registers: [registry],
    });
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Tracks the latencies for HTTP requests.',
      labelNames: ['code', 'handler', 'method'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
  }

  /** Counts and times every answered request of `app` (an onResponse hook). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      const labels = { handler: handlerName(req.routeOptions.url, req.method), code: String(reply.statusCode), method: req.method.toLowerCase() };
      this.requestsTotal.inc(labels);
      this.requestDuration.observe(labels, reply.elapsedTime / 1000);
    });
  }
}

/**
 * Thanos' query gate metrics (`gate.New` under the `thanos_query_concurrent_` prefix): the limit,
 * the queries inside the gate now, every query admitted and how long it waited. promdedup has one
 * gate (`--query.max-concurrent`) shared by the HTTP query endpoints and the StoreAPI Series call.
 */
export class GateMetrics implements GateObserver {
  private readonly total: Counter;
  private readonly waited: Histogram;

  constructor(
    private readonly registry: Registry,
    maxConcurrent: number,
  ) {
    const registers = [registry];
    new Gauge({ name: 'thanos_query_concurrent_gate_queries_max', help: 'Maximum number of concurrent queries.', registers }).set(maxConcurrent);
    this.total = new Counter({ name: 'thanos_query_concurrent_gate_queries_total', help: 'Total number of queries.', registers });
    this.waited = new Histogram({
      name: 'thanos_query_concurrent_gate_queries_duration_seconds',
      help: 'How many seconds it took for queries to wait at the gate.',
      buckets: [0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120, 240, 360, 720],
      registers,
    });
  }

  admitted(waitSeconds: number): void {
    this.total.inc();
    this.waited.observe(waitSeconds);
  }

  /** `thanos_query_concurrent_gate_queries_in_flight`, read from the gate at each scrape. */
  watch(gate: Gate): void {
    new Gauge({
      name: 'thanos_query_concurrent_gate_queries_in_flight',
      help: 'Number of queries that are currently in flight.',
      registers: [this.registry],
      collect() {
        this.set(gate.inFlight);
      },
    });
  }
}

/**
 * Endpoint discovery's DNS lookups under Thanos' names (`dns.NewProvider` under the
 * `thanos_query_store_apis_` prefix): one lookup per `dns+`/`dnssrv+`/`dnssrvnoa+` spec and
 * resolution, a failure when it did not get an answer (the last good addresses are kept then).
 */
export class DnsMetrics {
  private readonly lookups: Counter;
  private readonly failures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.lookups = new Counter({ name: 'thanos_query_store_apis_dns_lookups_total', help: 'The number of DNS lookups resolutions attempts', registers });
    this.failures = new Counter({ name: 'thanos_query_store_apis_dns_failures_total', help: 'The number of DNS lookup failures', registers });
  }

  /** The hook EndpointDiscovery calls after each DNS spec's resolution. */
  readonly looked = (failed: boolean): void => {
    this.lookups.inc();
    if (failed) this.failures.inc();
  };
}
