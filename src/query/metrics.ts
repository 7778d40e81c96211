import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Store } from '../store/store.js';

/** The query side's metrics (fan-out, dedup, queries, workers), registered on the process' registry. */
export class QueryMetrics {
  readonly storeSelectDuration: Histogram<'endpoint'>;
  readonly storeSelectErrors: Counter<'endpoint'>;
  readonly coalesced: Counter;
  readonly dedupSamplesIn: Counter;
  readonly dedupSamplesOut: Counter;
  readonly queries: Counter<'type' | 'outcome'>;
  readonly workers: Gauge<'state'>;
  readonly workersRecycled: Counter<'reason'>;
  private endpointsUp: Gauge<'endpoint' | 'type'> | null = null;

  constructor(registry: Registry) {
    const registers = [registry];
    this.storeSelectDuration = new Histogram({
      name: 'promdedup_store_select_duration_seconds',
      help: 'Latency of reads sent to one endpoint, successful or not.',
      labelNames: ['endpoint'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.storeSelectErrors = new Counter({
      name: 'promdedup_store_select_errors_total',
      help: 'Reads to one endpoint that failed or timed out.',
      labelNames: ['endpoint'] as const,
      registers,
    });
    this.coalesced = new Counter({
      name: 'promdedup_query_coalesced_total',
      help: 'Queries answered by joining an identical query already in flight (one evaluation and fan-out for all of them).',
      registers,
    });
    this.dedupSamplesIn = new Counter({ name: 'promdedup_dedup_samples_in_total', help: 'Samples fed into replica deduplication.', registers });
    this.dedupSamplesOut = new Counter({ name: 'promdedup_dedup_samples_out_total', help: 'Samples left after replica deduplication.', registers });
    this.queries = new Counter({
      name: 'promdedup_queries_total',
      help: 'PromQL queries evaluated, by type and outcome.',
      labelNames: ['type', 'outcome'] as const,
      registers,
    });
    this.workers = new Gauge({
      name: 'promdedup_query_workers',
      help: 'Query worker threads by state (busy: evaluating a query; idle: started and waiting).',
      labelNames: ['state'] as const,
      registers,
    });
    this.workersRecycled = new Counter({
      name: 'promdedup_query_workers_stopped_total',
      help: 'Query workers stopped, by reason (cancel: a query was cancelled or timed out; memory: grew large; idle; failed).',
      labelNames: ['reason'] as const,
      registers,
    });
  }

  /** promdedup_endpoint_up{endpoint,type}: 1 while an endpoint's last check passed; read at each scrape. */
  watchEndpoints(registry: Registry, stores: () => readonly Store[]): void {
    if (this.endpointsUp !== null) return;
    this.endpointsUp = new Gauge({
      name: 'promdedup_endpoint_up',
      help: 'Whether the last health check of an endpoint (StoreAPI Info, Prometheus config) passed.',
      labelNames: ['endpoint', 'type'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of stores()) {
          const st = s.status();
          this.set({ endpoint: s.name, type: st.componentType || 'unknown' }, st.queryable && st.lastError === null ? 1 : 0);
        }
      },
    });
  }
}
