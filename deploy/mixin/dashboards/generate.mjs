#!/usr/bin/env node
// Writes promdedup-query.json and promdedup-ingest.json (Grafana dashboards) next to this file.
// Edit the panels here and run `node deploy/mixin/dashboards/generate.mjs`; the mixin test checks
// that the committed JSON is what this prints.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DS = { type: 'prometheus', uid: '${datasource}' };

/** A time-series panel; `targets` are [expr, legend] pairs. */
function panel(title, description, targets, opts = {}) {
  return {
    type: 'timeseries',
    title,
    description,
    datasource: DS,
    fieldConfig: {
      defaults: {
        unit: opts.unit ?? 'short',
        ...(opts.max !== undefined ? { max: opts.max } : {}),
        min: 0,
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: opts.stack ? 30 : 10, stacking: { mode: opts.stack ? 'normal' : 'none' } },
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets.map(([expr, legendFormat], i) => ({ datasource: DS, expr, legendFormat, refId: String.fromCharCode(65 + i) })),
  };
}

function row(title) {
  return { type: 'row', title, collapsed: false, panels: [] };
}

/** Lays rows and their panels out on Grafana's 24-column grid (panels of a row share its width). */
function layout(rows) {
  const out = [];
  let y = 0;
  let id = 1;
  for (const [r, panels] of rows) {
    out.push({ ...r, id: id++, gridPos: { h: 1, w: 24, x: 0, y } });
    y += 1;
    const w = Math.floor(24 / panels.length);
    panels.forEach((p, i) => out.push({ ...p, id: id++, gridPos: { h: 8, w, x: i * w, y } }));
    y += 8;
  }
  return out;
}

function dashboard({ uid, title, tags, jobRegex, rows }) {
  return {
    uid,
    title,
    tags,
    editable: true,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: 'utc',
    graphTooltip: 1,
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'job',
          label: 'job',
          type: 'query',
          datasource: DS,
          query: { query: `label_values(up{job=~"${jobRegex}"}, job)`, refId: 'job' },
          definition: `label_values(up{job=~"${jobRegex}"}, job)`,
          refresh: 2,
          includeAll: true,
          multi: true,
          allValue: jobRegex,
          current: { selected: true, text: 'All', value: '$__all' },
          hide: 0,
        },
        {
          name: 'instance',
          label: 'instance',
          type: 'query',
          datasource: DS,
          query: { query: 'label_values(up{job=~"$job"}, instance)', refId: 'instance' },
          definition: 'label_values(up{job=~"$job"}, instance)',
          refresh: 2,
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { selected: true, text: 'All', value: '$__all' },
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels: layout(rows),
  };
}

const S = 'job=~"$job", instance=~"$instance"';
const RI = '$__rate_interval';

/** Rate, 5xx ratio and quantiles of one HTTP handler (the thanos-mixin's Instant/Range Query API rows). */
function httpRow(title, handler) {
  const h = `${S}, handler="${handler}"`;
  return [
    row(title),
    [
      panel('Rate', `Requests to the ${handler} handler by status code.`, [[`sum by (job, code) (rate(http_requests_total{${h}}[${RI}]))`, '{{job}} {{code}}']], { unit: 'reqps', stack: true }),
      panel('Errors', `Share of ${handler} requests answered with 5xx.`, [
        [`sum by (job) (rate(http_requests_total{${h}, code=~"5.."}[${RI}])) / sum by (job) (rate(http_requests_total{${h}}[${RI}]))`, '{{job}}'],
      ], { unit: 'percentunit', max: 1 }),
      panel('Duration', `Quantiles of the ${handler} latency.`, [0.5, 0.9, 0.99].map((q) => [
        `histogram_quantile(${q}, sum by (job, le) (rate(http_request_duration_seconds_bucket{${h}}[${RI}])))`,
        `p${Math.round(q * 100)} {{job}}`,
      ]), { unit: 's' }),
    ],
  ];
}

function resourcesRow() {
  return [
    row('Resources'),
    [
      panel('Memory', 'Resident memory and V8 heap in use.', [
        [`process_resident_memory_bytes{${S}}`, 'resident {{instance}}'],
        [`nodejs_heap_size_used_bytes{${S}}`, 'heap used {{instance}}'],
      ], { unit: 'bytes' }),
      panel('CPU', 'CPU seconds used per second (all threads, query workers included).', [[`rate(process_cpu_seconds_total{${S}}[${RI}])`, '{{instance}}']], { unit: 'short' }),
      panel('Event loop lag', 'p99 event-loop lag of the main thread: high values delay every request.', [[`nodejs_eventloop_lag_p99_seconds{${S}}`, '{{instance}}']], { unit: 's' }),
    ],
  ];
}

const query = dashboard({
  uid: 'promdedup-query',
  title: 'promdedup / Query',
  tags: ['promdedup'],
  jobRegex: '.*promdedup-query.*',
  rows: [
    httpRow('Instant Query API', 'query'),
    httpRow('Range Query API', 'query_range'),
    [
      row('Other API handlers'),
      [
        panel('Rate', 'Requests to every other handler (labels, series, metadata, status, ...).', [[`sum by (handler) (rate(http_requests_total{${S}, handler!~"query|query_range"}[${RI}]))`, '{{handler}}']], { unit: 'reqps', stack: true }),
        panel('Errors', 'Share answered with 5xx, by handler.', [
          [`sum by (handler) (rate(http_requests_total{${S}, code=~"5.."}[${RI}])) / sum by (handler) (rate(http_requests_total{${S}}[${RI}]))`, '{{handler}}'],
        ], { unit: 'percentunit', max: 1 }),
        panel('Duration p99', 'p99 latency by handler.', [[`histogram_quantile(0.99, sum by (handler, le) (rate(http_request_duration_seconds_bucket{${S}}[${RI}])))`, '{{handler}}']], { unit: 's' }),
      ],
    ],
    [
      row('Endpoints'),
      [
        panel('Up', '1 while the endpoint\'s last health check passed (promdedup_endpoint_up).', [[`promdedup_endpoint_up{${S}}`, '{{endpoint}} ({{type}})']], { unit: 'short', max: 1 }),
        panel('Reads', 'Reads sent to each endpoint.', [[`sum by (endpoint) (rate(promdedup_store_select_duration_seconds_count{${S}}[${RI}]))`, '{{endpoint}}']], { unit: 'reqps' }),
        panel('Read errors', 'Share of the reads to each endpoint that failed or timed out.', [
          [`sum by (endpoint) (rate(promdedup_store_select_errors_total{${S}}[${RI}])) / sum by (endpoint) (rate(promdedup_store_select_duration_seconds_count{${S}}[${RI}]))`, '{{endpoint}}'],
        ], { unit: 'percentunit', max: 1 }),
        panel('Read latency p99', 'p99 latency of the reads to each endpoint.', [
          [`histogram_quantile(0.99, sum by (endpoint, le) (rate(promdedup_store_select_duration_seconds_bucket{${S}}[${RI}])))`, '{{endpoint}}'],
        ], { unit: 's' }),
      ],
    ],
    [
      row('Deduplication'),
      [
        panel('Samples in / out', 'Samples fed into replica deduplication and left after it.', [
          [`sum by (job) (rate(promdedup_dedup_samples_in_total{${S}}[${RI}]))`, 'in {{job}}'],
          [`sum by (job) (rate(promdedup_dedup_samples_out_total{${S}}[${RI}]))`, 'out {{job}}'],
        ], { unit: 'short' }),
        panel('Kept share', 'Samples out / samples in: about 1/replicas when every replica has the data.', [
          [`sum by (job) (rate(promdedup_dedup_samples_out_total{${S}}[${RI}])) / sum by (job) (rate(promdedup_dedup_samples_in_total{${S}}[${RI}]))`, '{{job}}'],
        ], { unit: 'percentunit', max: 1 }),
        panel('Queries', 'PromQL queries evaluated, by type and outcome.', [[`sum by (type, outcome) (rate(promdedup_queries_total{${S}}[${RI}]))`, '{{type}} {{outcome}}']], { unit: 'reqps', stack: true }),
      ],
    ],
    [
      row('Query Concurrency'),
      [
        panel('Concurrent capacity', 'Free query slots (--query.max-concurrent minus queries in flight); 0 means queries wait.', [
          [`max_over_time(thanos_query_concurrent_gate_queries_max{${S}}[${RI}]) - avg_over_time(thanos_query_concurrent_gate_queries_in_flight{${S}}[${RI}])`, '{{instance}}'],
        ], { unit: 'short' }),
        panel('Gate wait p99', 'How long queries waited for a slot.', [
          [`histogram_quantile(0.99, sum by (job, le) (rate(thanos_query_concurrent_gate_queries_duration_seconds_bucket{${S}}[${RI}])))`, '{{job}}'],
        ], { unit: 's' }),
        panel('Query workers', 'Worker threads by state, and the ones stopped by reason.', [
          [`sum by (state) (promdedup_query_workers{${S}})`, '{{state}}'],
          [`sum by (reason) (rate(promdedup_query_workers_stopped_total{${S}}[${RI}]))`, 'stopped: {{reason}}'],
        ], { unit: 'short' }),
      ],
    ],
    [
      row('StoreAPI (gRPC server)'),
      [
        panel('Rate', 'StoreAPI calls handled, by method and code.', [[`sum by (grpc_method, grpc_code) (rate(grpc_server_handled_total{${S}}[${RI}]))`, '{{grpc_method}} {{grpc_code}}']], { unit: 'reqps', stack: true }),
        panel('Errors', 'Share of StoreAPI calls ending with a server error.', [
          [`sum by (job) (rate(grpc_server_handled_total{${S}, grpc_code=~"Unknown|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded"}[${RI}])) / sum by (job) (rate(grpc_server_started_total{${S}}[${RI}]))`, '{{job}}'],
        ], { unit: 'percentunit', max: 1 }),
        panel('Duration p99', 'p99 handling time by method.', [[`histogram_quantile(0.99, sum by (grpc_method, le) (rate(grpc_server_handling_seconds_bucket{${S}}[${RI}])))`, '{{grpc_method}}']], { unit: 's' }),
      ],
    ],
    [
      row('gRPC endpoints (StoreAPI client)'),
      [
        panel('Rate', 'Calls to gRPC endpoints (sidecars, stores, other queriers), by method and code.', [[`sum by (grpc_method, grpc_code) (rate(grpc_client_handled_total{${S}}[${RI}]))`, '{{grpc_method}} {{grpc_code}}']], { unit: 'reqps', stack: true }),
        panel('Errors', 'Share of the calls to gRPC endpoints that did not end OK.', [
          [`sum by (job, grpc_method) (rate(grpc_client_handled_total{${S}, grpc_code!="OK"}[${RI}])) / sum by (job, grpc_method) (rate(grpc_client_started_total{${S}}[${RI}]))`, '{{job}} {{grpc_method}}'],
        ], { unit: 'percentunit', max: 1 }),
        panel('Duration p99', 'p99 time of the calls, by method (Series: the whole stream).', [[`histogram_quantile(0.99, sum by (grpc_method, le) (rate(grpc_client_handling_seconds_bucket{${S}}[${RI}])))`, '{{grpc_method}}']], { unit: 's' }),
      ],
    ],
    [
      row('DNS'),
      [
        panel('Lookups', 'DNS lookups of dns+/dnssrv+ endpoints.', [[`sum by (job) (rate(thanos_query_store_apis_dns_lookups_total{${S}}[${RI}]))`, 'lookups {{job}}']], { unit: 'short' }),
        panel('Failures', 'Share of the lookups that failed (the last good addresses are kept).', [
          [`sum by (job) (rate(thanos_query_store_apis_dns_failures_total{${S}}[${RI}])) / sum by (job) (rate(thanos_query_store_apis_dns_lookups_total{${S}}[${RI}]))`, '{{job}}'],
        ], { unit: 'percentunit', max: 1 }),
      ],
    ],
    resourcesRow(),
  ],
});

const ingest = dashboard({
  uid: 'promdedup-ingest',
  title: 'promdedup / Ingest',
  tags: ['promdedup'],
  jobRegex: '.*promdedup-ingest.*',
  rows: [
    [
      row('Remote write'),
      [
        panel('Requests by outcome', 'accepted: elected replica, forwarded; deduped: follower, answered 202; non-ha; rejected (4xx); failed (5xx or a 4xx from the targets).', [
          [`sum by (outcome) (rate(promdedup_ingest_requests_total{${S}}[${RI}]))`, '{{outcome}}'],
        ], { unit: 'reqps', stack: true }),
        panel('Errors', 'Share of the requests answered with 5xx.', [
          [`sum by (job) (rate(promdedup_ingest_request_duration_seconds_count{${S}, status=~"5.."}[${RI}])) / sum by (job) (rate(promdedup_ingest_request_duration_seconds_count{${S}}[${RI}]))`, '{{job}}'],
        ], { unit: 'percentunit', max: 1 }),
        panel('Latency', 'Quantiles of the request latency.', [0.5, 0.9, 0.99].map((q) => [
          `histogram_quantile(${q}, sum by (job, le) (rate(promdedup_ingest_request_duration_seconds_bucket{${S}}[${RI}])))`,
          `p${Math.round(q * 100)} {{job}}`,
        ]), { unit: 's' }),
      ],
    ],
    [
      row('Samples'),
      [
        panel('Deduped samples', 'Samples of followers dropped as duplicates, by tenant and cluster.', [[`sum by (user, cluster) (rate(promdedup_deduped_samples_total{${S}}[${RI}]))`, '{{user}} {{cluster}}']], { unit: 'short', stack: true }),
        panel('Non-HA samples', 'Samples forwarded without HA handling (no cluster/replica label, or the tenant has it off).', [[`sum by (user) (rate(promdedup_non_ha_samples_received_total{${S}}[${RI}]))`, '{{user}}']], { unit: 'short', stack: true }),
        panel('Discarded samples', 'Samples refused, by reason.', [[`sum by (reason, user) (rate(promdedup_discarded_samples_total{${S}}[${RI}]))`, '{{reason}} {{user}}']], { unit: 'short', stack: true }),
      ],
    ],
    [
      row('HA tracker'),
      [
        panel('Leader changes', 'Elected-replica changes per hour, by tenant and cluster (the highest any instance saw).', [
          [`max by (user, cluster) (increase(promdedup_ha_tracker_elected_replica_changes_total{${S}}[1h]))`, '{{user}} {{cluster}}'],
        ], { unit: 'short' }),
        panel('Elected replica age', 'Time since the elected replica was last stored as seen; it grows toward the failover timeout when the leader stops sending.', [
          [`time() - max by (user, cluster) (promdedup_ha_tracker_elected_replica_timestamp_seconds{${S}})`, '{{user}} {{cluster}}'],
        ], { unit: 's' }),
        panel('Store CAS calls', 'Compare-and-set calls to the election store, and the ones that failed.', [
          [`sum by (instance) (rate(promdedup_ha_tracker_kv_store_cas_total{${S}}[${RI}]))`, 'calls {{instance}}'],
          [`sum by (instance) (rate(promdedup_ha_tracker_kv_store_cas_failures_total{${S}}[${RI}]))`, 'failed {{instance}}'],
        ], { unit: 'short' }),
        panel('Change propagation p99', 'How old a record was when this instance saw another instance\'s change.', [
          [`histogram_quantile(0.99, sum by (job, le) (rate(promdedup_ha_tracker_elected_replica_change_propagation_time_seconds_bucket{${S}}[${RI}])))`, '{{job}}'],
        ], { unit: 's' }),
      ],
    ],
    [
      row('Runtime config'),
      [
        panel('Last reload successful', '1 when the last read of --runtime-config.file was valid.', [[`promdedup_runtime_config_last_reload_successful{${S}}`, '{{instance}}']], { unit: 'short', max: 1 }),
        panel('Config age', 'Time since the file in force was loaded.', [[`time() - promdedup_runtime_config_last_reload_success_timestamp_seconds{${S}}`, '{{instance}}']], { unit: 's' }),
        panel('Cleanup', 'Idle clusters soft-deleted and removed by the cleanup, and failed deletions.', [
          [`sum(rate(promdedup_ha_tracker_replicas_cleanup_marked_for_deletion_total{${S}}[${RI}]))`, 'marked'],
          [`sum(rate(promdedup_ha_tracker_replicas_cleanup_deleted_total{${S}}[${RI}]))`, 'deleted'],
          [`sum(rate(promdedup_ha_tracker_replicas_cleanup_delete_failed_total{${S}}[${RI}]))`, 'failed'],
        ], { unit: 'short' }),
      ],
    ],
    resourcesRow(),
  ],
});

/** The dashboards by file name, as JSON text (2-space indent, trailing newline). */
export function dashboards() {
  return { 'promdedup-query.json': `${JSON.stringify(query, null, 2)}\n`, 'promdedup-ingest.json': `${JSON.stringify(ingest, null, 2)}\n` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = dirname(fileURLToPath(import.meta.url));
  for (const [name, text] of Object.entries(dashboards())) writeFileSync(join(dir, name), text);
}
