import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Everything promdedup exports on /metrics, on one registry per process component. */
export class QueryMetrics {
  readonly registry = new Registry();

  /** Same name and labels as Prometheus/Thanos, so the Thanos mixin's dashboards and alerts apply. */
  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Latency of HTTP requests by handler.',
    labelNames: ['handler', 'code', 'method'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly storeSelectDuration = new Histogram({
    name: 'promdedup_store_select_duration_seconds',
    help: 'Latency of selects sent to one endpoint, successful or not.',
    labelNames: ['endpoint'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly storeSelectErrors = new Counter({
    name: 'promdedup_store_select_errors_total',
    help: 'Selects to one endpoint that failed or timed out.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  readonly dedupSamplesIn = new Counter({
    name: 'promdedup_dedup_samples_in_total',
    help: 'Samples fed into replica deduplication.',
    registers: [this.registry],
  });

  readonly dedupSamplesOut = new Counter({
    name: 'promdedup_dedup_samples_out_total',
    help: 'Samples left after replica deduplication.',
    registers: [this.registry],
  });

  readonly queries = new Counter({
    name: 'promdedup_queries_total',
    help: 'PromQL queries evaluated, by type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
