/**
 * The PromQL queries, evaluation times and range windows of the end-to-end comparison.
 *
 * Timing rules (see test/support/hadata.ts): samples sit at 15 s grid + 123 ms; every evaluation time,
 * range start/end and `@` time below is a whole second at minute phase 50 s, and every range/offset is
 * a whole number of minutes. So (1) no sample is ever on a window boundary, where Prometheus 2.42
 * (closed) and 3.x (left-open) differ; (2) every select start lands at phase 50 s, outside the
 * "unsafe" starts just after a replica switch; (3) subquery grids (steps of 30 s, 1 m, 2 m) never hit
 * the subquery window start (≥ vs >), except for the 37 s range step, which therefore skips subqueries.
 */
import type { HaData } from '../support/hadata.js';

export interface E2eQuery {
  /** PromQL; a function when it needs absolute times from the data. */
  q: string | ((d: HaData) => string);
  /** Instant-vector order is meaningful (sort, topk, …). */
  ordered?: boolean;
  /** Only valid as an instant query (top-level range vector or string). */
  instantOnly?: boolean;
  /** Contains a subquery (skipped for the 37 s step, see above). */
  subquery?: boolean;
}

/** Seconds, for `@` and API times. */
export const sec = (ms: number): number => ms / 1000;
/** Window start + minutes + 50 s. */
export const at50 = (d: HaData, minutes: number): number => d.at(minutes) + 50_000;

export const QUERIES: E2eQuery[] = [
  // Selectors, every matcher kind, external label matcher.
  { q: 'up' },
  { q: 'http_requests_total{job="api"}' },
  { q: 'http_requests_total{code!="200"}' },
  { q: 'http_requests_total{path=~"/api/.*"}' },
  { q: 'http_requests_total{path!~"/api/.*",code="200"}' },
  { q: '{__name__=~"queue_length|jobs_processed_total"}' },
  { q: 'http_requests_total{cluster="eu1",code="500"}' },
  { q: 'room_temperature_celsius' },
  { q: 'sensor_reading' },
  { q: 'memory_usage_bytes{instance=~"10\\\\.0\\\\.0\\\\..*"}' },
  { q: 'http_requests_total{path="/search?q=\\"x\\"&y=1"}' },
  // Raw samples (instant query of a range selector): the deduplicated samples themselves.
  { q: 'http_requests_total{instance="10.0.0.1:8080",path="/",code="200"}[5m]', instantOnly: true },
  { q: 'up{job="api"}[10m]', instantOnly: true },
  { q: 'sensor_reading[3m]', instantOnly: true },
  // Counter functions.
  { q: 'rate(http_requests_total[1m])' },
  { q: 'rate(http_requests_total[5m])' },
  { q: 'rate(http_requests_total[10m])' },
  { q: 'rate(process_cpu_seconds_total[5m])' },
  { q: 'irate(http_requests_total{code="200"}[1m])' },
  { q: 'irate(process_cpu_seconds_total[5m])' },
  { q: 'increase(jobs_processed_total[5m])' },
  { q: 'increase(http_requests_total{code="500"}[30m])' },
  { q: 'resets(http_requests_total[1h])' },
  { q: 'resets(process_cpu_seconds_total[30m])' },
  { q: 'delta(room_temperature_celsius[10m])' },
  { q: 'idelta(queue_length[2m])' },
  { q: 'deriv(memory_usage_bytes[10m])' },
  { q: 'predict_linear(memory_usage_bytes[10m], 3600)' },
  { q: 'changes(queue_length[10m])' },
  { q: 'holt_winters(room_temperature_celsius[10m], 0.5, 0.5)' },
  // *_over_time.
  { q: 'avg_over_time(room_temperature_celsius[10m])' },
  { q: 'min_over_time(room_temperature_celsius[5m])' },
  { q: 'max_over_time(sensor_reading[10m])' },
  { q: 'sum_over_time(queue_length[3m])' },
  { q: 'count_over_time(up[10m])' },
  { q: 'last_over_time(memory_usage_bytes[2m])' },
  { q: 'quantile_over_time(0.9, room_temperature_celsius[15m])' },
  { q: 'stddev_over_time(room_temperature_celsius[10m])' },
  { q: 'stdvar_over_time(queue_length[10m])' },
  { q: 'present_over_time(up[1m])' },
  { q: 'absent_over_time(up{instance="10.0.0.3:8080"}[5m])' },
  // Aggregations.
  { q: 'sum(rate(http_requests_total[5m]))' },
  { q: 'sum by (code) (rate(http_requests_total[5m]))' },
  { q: 'avg by (job) (memory_usage_bytes)' },
  { q: 'max by (instance) (rate(http_requests_total[5m]))' },
  { q: 'min without (path, code) (http_requests_total)' },
  { q: 'count by (job) (up)' },
  { q: 'sum by (cluster) (up)' },
  { q: 'stddev by (job) (memory_usage_bytes)' },
  { q: 'quantile by (job) (0.5, memory_usage_bytes)' },
  { q: 'count_values("v", queue_length)' },
  { q: 'group by (job) (up)' },
  { q: 'topk(3, rate(http_requests_total[5m]))', ordered: true },
  { q: 'bottomk(2, memory_usage_bytes)', ordered: true },
  { q: 'sort_desc(sum by (instance) (rate(http_requests_total[10m])))', ordered: true },
  { q: 'sort(room_temperature_celsius)', ordered: true },
  // Classic histogram.
  { q: 'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))' },
  { q: 'histogram_quantile(0.5, sum by (le, path) (rate(http_request_duration_seconds_bucket[10m])))' },
  { q: 'histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m]))' },
  { q: 'rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])' },
  // Binary operators.
  { q: 'http_requests_total{code="500"} / ignoring(code) http_requests_total{code="200"}' },
  { q: 'rate(http_requests_total[5m]) * on(instance) group_left() (memory_usage_bytes / 1e6)' },
  { q: 'sum by (instance, job) (rate(http_requests_total[5m])) / on(instance) group_left(job) up' },
  { q: 'up == 1' },
  { q: 'queue_length > bool 10' },
  { q: 'room_temperature_celsius < 0' },
  { q: 'memory_usage_bytes and on(instance) (rate(process_cpu_seconds_total[5m]) > 0.04)' },
  { q: 'queue_length or jobs_processed_total' },
  { q: 'memory_usage_bytes unless on(job) up{job="worker"}' },
  { q: '-room_temperature_celsius' },
  { q: 'room_temperature_celsius ^ 2 % 7' },
  { q: 'room_temperature_celsius atan2 2' },
  // offset and @.
  { q: 'rate(http_requests_total[5m] offset 10m)' },
  { q: 'memory_usage_bytes offset 1h' },
  { q: (d) => `sum(http_requests_total @ ${sec(at50(d, 43))})` },
  { q: (d) => `rate(jobs_processed_total[5m] @ ${sec(at50(d, 49))})` },
  { q: (d) => `avg_over_time(room_temperature_celsius[5m] @ ${sec(at50(d, 116))} offset 2m)` },
  { q: 'avg_over_time(room_temperature_celsius[5m] @ start())' },
  { q: 'last_over_time(queue_length[2m] @ end())' },
  // Subqueries.
  { q: 'max_over_time(rate(http_requests_total{code="200"}[1m])[10m:1m])', subquery: true },
  { q: 'avg_over_time(sum(queue_length)[15m:30s])', subquery: true },
  { q: 'min_over_time(deriv(memory_usage_bytes[5m])[30m:2m])', subquery: true },
  { q: 'rate(jobs_processed_total[5m])[10m:1m]', instantOnly: true, subquery: true },
  // Functions on labels, absence, time.
  { q: 'absent(nonexistent_metric{job="x"})' },
  { q: 'absent(up{job="api"})' },
  { q: 'label_replace(up, "host", "$1", "instance", "(.*):.*")' },
  { q: 'label_join(up, "id", "/", "job", "instance")' },
  { q: 'time()' },
  { q: 'vector(1)' },
  { q: 'scalar(sum(up))' },
  { q: 'hour()' },
  { q: 'minute(vector(time()))' },
  { q: 'day_of_week()' },
  { q: 'timestamp(memory_usage_bytes)' },
  { q: 'clamp_max(queue_length, 10)' },
  { q: 'round(room_temperature_celsius)' },
  { q: 'abs(room_temperature_celsius)' },
  { q: 'exp(queue_length / 10)' },
  { q: 'ln(memory_usage_bytes)' },
  { q: 'sqrt(queue_length)' },
  { q: '"hello"', instantOnly: true },
];

/** Instant evaluation times (ms), with what is special about each. */
export function instantTimes(d: HaData): { name: string; t: number }[] {
  return [
    { name: 'near data start', t: at50(d, 4) },
    { name: 'normal', t: at50(d, 30) },
    { name: 'inside a outage', t: at50(d, 43) },
    { name: 'just after switch back to a', t: at50(d, 46) },
    { name: 'inside b outage', t: at50(d, 49) },
    { name: 'after a counter reset', t: at50(d, 63) },
    { name: 'inside b-only outage', t: at50(d, 72) },
    { name: 'second rolling restart, a down', t: at50(d, 112) },
    { name: 'second rolling restart, b down', t: at50(d, 118) },
    { name: 'after the last sample', t: at50(d, 180) },
    { name: 'past the lookback', t: at50(d, 186) },
  ];
}

export interface RangeWindow {
  name: string;
  start: number;
  end: number;
  stepMs: number;
}

/** Range windows: start/end at phase 50 s. */
export function rangeWindows(d: HaData): RangeWindow[] {
  return [
    { name: 'whole history, 60 s', start: at50(d, -10), end: at50(d, 190), stepMs: 60_000 },
    { name: 'first rolling restart, 15 s', start: at50(d, 35), end: at50(d, 56), stepMs: 15_000 },
    { name: 'counter reset and b-only outage, 15 s', start: at50(d, 58), end: at50(d, 77), stepMs: 15_000 },
    { name: 'second rolling restart and reset, 37 s', start: at50(d, 100), end: at50(d, 100) + 60 * 37_000, stepMs: 37_000 },
  ];
}

/** Every `@` time used by QUERIES (they must be safe select starts too). */
export function pinnedTimes(d: HaData): number[] {
  return [at50(d, 43), at50(d, 49), at50(d, 116)];
}

/** Queries compared with dedup=false against the "all replicas" Prometheus. */
export const RAW_QUERIES: E2eQuery[] = [
  { q: 'up' },
  { q: 'http_requests_total{code="500"}' },
  { q: 'rate(http_requests_total[5m])' },
  { q: 'sum by (replica) (rate(http_requests_total[5m]))' },
  { q: 'count_over_time(up[10m])' },
  { q: 'max by (replica, instance) (memory_usage_bytes)' },
  { q: 'up{job="api"}[10m]', instantOnly: true },
  { q: 'http_requests_total{replica="b",code="200",path="/"}' },
  { q: 'histogram_quantile(0.9, sum by (le, replica) (rate(http_request_duration_seconds_bucket[5m])))' },
];
