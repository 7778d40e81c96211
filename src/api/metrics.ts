import { Histogram, type Registry } from 'prom-client';

/** The HTTP face's metrics, registered on the process' registry. */
export class HttpMetrics {
  /** Same name and labels as Prometheus/Thanos, so the Thanos mixin's dashboards and alerts apply. */
  readonly requestDuration: Histogram<'handler' | 'code' | 'method'>;

  constructor(registry: Registry) {
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Latency of HTTP requests by handler.',
      labelNames: ['handler', 'code', 'method'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
  }
}
