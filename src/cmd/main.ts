#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864 node
// The shebang sets glibc's malloc to serve buffers up to 32 MiB from its heap and to keep up to
// 64 MiB free for reuse: mapping and unmapping every large typed array serialised the query
// threads' page faults (two threads allocating 2 MiB arrays ran 2.2x slower each than one; 1.2x
// with these settings). Started as `node dist/src/cmd/main.js`, set them in the environment.
import { availableParallelism } from 'node:os';
import { Command, CommanderError } from 'commander';
import { startQueryService } from './query.js';
import { createLogger, type LogFormat, type LogLevel, type Logger } from '../util/log.js';
import { parseIngestFlags, startIngestService, type RawIngestFlags } from './ingest.js';
import { VERSION } from '../version.js';
import { FlagError, parseQueryFlags, type RawQueryFlags } from './flags.js';
import { watchFile, unwatchFile } from 'node:fs';
import { WebConfigError, WebConfigHolder } from '../api/web-config.js';
import { parseFrontendFlags, startQueryFrontend, type RawFrontendFlags } from './query-frontend.js';

const HTTP_CONFIG_HELP =
  'Prometheus web-config file (as --web.config.file) for the HTTP server: tls_server_config, basic_auth_users (bcrypt), http_server_config.headers. Re-read on SIGHUP and when it changes.';

/** Reads --http.config at start: a problem is a flag error (exit 2 with the reason). */
function loadWebConfig(path: string): WebConfigHolder {
  try {
    return WebConfigHolder.load(path);
  } catch (err) {
    if (err instanceof WebConfigError) throw new FlagError(`--http.config: ${err.message}`);
    throw err;
  }
}

/** SIGHUP re-reads --http.config (a failure keeps the configuration in force). */
function reloadWebConfigOnSighup(web: WebConfigHolder, logger: Logger): void {
  process.on('SIGHUP', () => {
    try {
      if (web.reload()) logger.info('reloaded --http.config on SIGHUP', { file: web.path, tls: web.tls, basic_auth_users: web.config.users.size });
    } catch (err) {
      logger.error('reloading --http.config failed; keeping the previous configuration', { err: String(err instanceof Error ? err.message : err) });
    }
  });
}

/** Re-reads the --http.config file when its modification time or size changes (checked every 2 s). */
function watchWebConfig(web: WebConfigHolder, logger: Logger): () => void {
  if (web.path === '') return () => {};
  const path = web.path;
  const listener = (cur: { mtimeMs: number; size: number }, prev: { mtimeMs: number; size: number }): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
    try {
      web.reload();
      logger.info('reloaded --http.config after a change', { file: path, tls: web.tls, basic_auth_users: web.config.users.size });
    } catch (err) {
      logger.error('reloading --http.config failed; keeping the previous configuration', { err: String(err instanceof Error ? err.message : err) });
    }
  };
  watchFile(path, { interval: 2000, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}

const collect = (value: string, previous: string[]): string[] => previous.concat(value);

/** SIGINT/SIGTERM close the service, then exit (1 when closing failed). */
function exitOnSignals(service: { close(): Promise<void> }, logger: Logger): void {
  const shutdown = (signal: string): void => {
    logger.info('shutting down', { signal });
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

function buildProgram(): Command {
  const program = new Command('promdedup')
    .description('One deduplicated Prometheus view over Prometheus HA pairs.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  program
    .command('query')
    .description('Prometheus-compatible query API over Prometheus replicas, merged with Thanos-style deduplication.')
    .option('--http-address <host:port>', 'Listen address for the HTTP API, /metrics and health endpoints.', '0.0.0.0:10902')
    .option('--grpc-address <host:port>', 'Listen address of the StoreAPI gRPC server (thanos.Store, thanos.info.Info, health).', '0.0.0.0:10901')
    .option(
      '--endpoint <spec>',
      'Endpoint to query: http(s)://host:port[/prefix] is a Prometheus, host:port a StoreAPI (sidecar, store gateway, querier); dns+host:port and dnssrv+_grpc._tcp.name are resolved every --store.sd-dns-interval. Repeatable.',
      collect,
      [],
    )
    .option('--endpoint-strict <spec>', 'Like --endpoint, but always asked, even while its Info checks fail. Repeatable.', collect, [])
    .option('--store.sd-files <path>', 'Prometheus file_sd files (JSON or YAML; globs) listing endpoints; re-read on change. Repeatable.', collect, [])
    .option('--store.sd-interval <duration>', 'Re-read the --store.sd-files at least this often.', '5m')
    .option('--store.sd-dns-interval <duration>', 'Re-resolve dns+ and dnssrv+ endpoints this often.', '30s')
    .option('--store.unhealthy-timeout <duration>', 'Stop warning about a StoreAPI endpoint that has failed its Info checks this long.', '5m')
    .option('--endpoint.info-timeout <duration>', 'Period and timeout of the StoreAPI Info checks.', '5s')
    .option('--grpc-client-tls-secure', 'Use TLS to reach StoreAPI endpoints.', false)
    .option('--grpc-client-tls-skip-verify', 'Do not verify the StoreAPI endpoints\' certificates.', false)
    .option('--grpc-client-tls-ca <file>', 'CA bundle (PEM) to verify StoreAPI endpoints with (default: system roots).', '')
    .option('--grpc-client-tls-cert <file>', 'Client certificate (PEM) presented to StoreAPI endpoints.', '')
    .option('--grpc-client-tls-key <file>', 'Key (PEM) of --grpc-client-tls-cert.', '')
    .option('--grpc-client-server-name <name>', 'Server name checked against the StoreAPI endpoints\' certificates.', '')
    .option('--grpc-server-tls-cert <file>', 'Serve the gRPC API over TLS with this certificate (PEM).', '')
    .option('--grpc-server-tls-key <file>', 'Key (PEM) of --grpc-server-tls-cert.', '')
    .option('--grpc-server-tls-client-ca <file>', 'Require client certificates signed by this CA (PEM) on the gRPC API.', '')
    .option(
      '--grpc.serve-deduplicated',
      'The StoreAPI server sends promdedup\'s merged series (replica labels dropped) instead of every replica\'s, for clients that cannot deduplicate.',
      false,
    )
    .option('--query.auto-downsampling', 'Read downsampled data from store gateways when max_source_resolution is not given (step/5), as Thanos.', false)
    .option(
      '--query.replica-label <name>',
      'Label that tells replicas apart; dropped and merged over when deduplicating. Repeatable and comma-separated.',
      collect,
      [],
    )
    .option('--deduplication.func <func>', 'How replicas are merged: penalty (Thanos default, for HA pairs), stable (window-stable: split and cached answers are exact) or chain (union by timestamp).', 'penalty')
    .option('--query.workers <n>', 'Query worker threads (default: CPUs, at least 4), plus one spare: up to n + 1 queries evaluate at once, more wait for a worker.')
    .option('--deduplication.workers <n>', 'Old name of --query.workers.')
    .option('--query.timeout <duration>', 'Maximum time to process a query.', '2m')
    .option('--query.lookback-delta <duration>', 'How far back an instant selector looks for the newest sample.', '5m')
    .option('--query.max-concurrent <n>', 'Maximum number of queries admitted at once (evaluating or waiting for a worker); more wait.', '20')
    .option('--query.partial-response [bool]', 'Answer from the endpoints that respond, with a warning for the others.', true)
    .option('--no-query.partial-response', 'Fail a query when any endpoint fails.')
    .option('--query.promql-compat <mode>', 'PromQL dialect: auto (follow the endpoints\' Prometheus major version), 2 or 3.', 'auto')
    .option('--query.max-samples <n>', 'Most samples a query may fetch from one endpoint or hold in memory at once.', '50000000')
    .option('--store.limits.request-series <n>', 'Most series one endpoint read may return (0 = no limit).', '0')
    .option('--store.limits.request-samples <n>', 'Most samples one endpoint read may return (0 = no limit).', '0')
    .option('--store.response-timeout <duration>', 'Give up on an endpoint that sends nothing for this long (0 = only the query timeout applies).', '0ms')
    .option('--http.config <file>', HTTP_CONFIG_HELP, '')
    .option('--web.cors.origin <regex>', 'Regexp for CORS origins (anchored); API responses to matching Origins carry Access-Control-Allow-Origin. As Prometheus.', '.*')
    .option(
      '--endpoint.sd-config-file <file>',
      'YAML listing endpoints (Thanos\' shape: endpoints: [{address, strict}]) with per-endpoint client_config for Prometheus endpoints: tls_config, basic_auth, authorization, headers. Re-read on SIGHUP and every --endpoint.sd-config-reload-interval. See docs/security.md.',
      '',
    )
    .option('--endpoint.sd-config-reload-interval <duration>', 'Re-read --endpoint.sd-config-file this often (and on SIGHUP).', '5m')
    .option('--endpoint.sd-config <yaml>', 'The content of an --endpoint.sd-config-file, inline (shown as <secret> in /api/v1/status/flags).', '')
    .option('--log.level <level>', 'Log level: debug, info, warn, error.', 'info')
    .option('--log.format <format>', 'Log format: logfmt or json.', 'logfmt')
    .action(async (raw: RawQueryFlags) => {
      const config = parseQueryFlags(raw);
      const web = loadWebConfig(config.httpConfigFile);
      const logger = createLogger(config.logLevel, config.logFormat);
      const service = await startQueryService(config, logger, web);
      watchWebConfig(web, logger);
      exitOnSignals(service, logger);
      // SIGHUP reloads, as Prometheus and Thanos do; the rest of the configuration lives in flags.
      process.on('SIGHUP', () => {
        logger.info('reloading on SIGHUP: --http.config, --endpoint.sd-config-file, endpoints\' external labels and versions');
        service.reload().then(
          () => logger.info('reload done'),
          (err: unknown) => logger.error('reload failed', { err: String(err instanceof Error ? err.message : err) }),
        );
      });
    });
  program
    .command('ingest')
    .description('Remote-write proxy for HA pairs: elects one replica per cluster (Mimir HA tracker) and forwards only its samples.')
    .option('--http-address <host:port>', 'Listen address for remote write (/api/v1/push, /api/v1/write), the tracker page, /metrics and health.', '0.0.0.0:8080')
    .option('--remote-write.url <url>', 'Where accepted requests are written (a Prometheus with --web.enable-remote-write-receiver, Mimir, …). Repeatable.', collect, [])
    .option('--remote-write.max-request-bytes <n>', 'Largest compressed request body (over it: 413).', String(10 * 1024 * 1024))
    .option(
      '--remote-write.worker-min-bytes <n>',
      'Requests that decode to at least this many bytes are decoded and rewritten in worker threads, so the event loop keeps serving (0: every request).',
      String(1024 * 1024),
    )
    .option('--remote-write.worker-threads <n>', 'Worker threads for those requests (default: cores - 1, at least 1).', String(Math.max(1, availableParallelism() - 1)))
    .option('--remote-write.header <header>', 'Header sent to the remote-write URLs, "Name: value". Repeatable.', collect, [])
    .option('--remote-write.basic-auth.username <user>', 'Basic auth for the remote-write URLs.', '')
    .option('--remote-write.basic-auth.password <password>', 'Basic auth password.', '')
    .option('--remote-write.bearer-token <token>', 'Bearer token for the remote-write URLs.', '')
    .option('--remote-write.bearer-token-file <file>', 'File holding the bearer token.', '')
    .option('--remote-write.tls.ca-file <file>', 'CA (PEM) to verify the remote-write URLs with.', '')
    .option('--remote-write.tls.cert-file <file>', 'Client certificate (PEM) for the remote-write URLs.', '')
    .option('--remote-write.tls.key-file <file>', 'Key (PEM) of the client certificate.', '')
    .option('--remote-write.tls.insecure-skip-verify', 'Do not verify the remote-write URLs\' certificates.', false)
    .option('--ha-tracker.cluster <label>', 'Label naming the HA cluster.', 'cluster')
    .option('--ha-tracker.replica <label>', 'Label naming the replica; removed from forwarded series.', '__replica__')
    .option('--ha-tracker.update-timeout <duration>', 'Write the elected replica\'s last-seen time to the store at most this often.', '15s')
    .option('--ha-tracker.update-timeout-jitter-max <duration>', 'Random jitter added to the update timeout.', '5s')
    .option('--ha-tracker.failover-timeout <duration>', 'Elect another replica after the elected one sent nothing for this long.', '30s')
    .option('--ha-tracker.max-clusters <n>', 'Most HA clusters per tenant (0 = no limit).', '100')
    .option('--ha-tracker.failover-sample-timeout <duration>', 'Also require the new replica\'s samples to be this much newer (0 = off; Mimir\'s sample-time failover).', '0s')
    .option('--ha-tracker.enable [bool]', 'HA deduplication on (the point of this command); false: every request is forwarded unchanged and no store is used.', true)
    .option(
      '--ha-tracker.enable-for-all-users [bool]',
      'Elect replicas for every tenant (Mimir\'s accept_ha_samples default); false: forward every request unchanged unless a tenant\'s override sets accept_ha_samples: true.',
      true,
    )
    .option('--ha-tracker.store <kind>', 'Where elections are kept: memory (one instance), redis or etcd (shared by several instances).', 'memory')
    .option('--ha-tracker.redis.address <host:port>', 'Redis server of --ha-tracker.store=redis.', '')
    .option('--ha-tracker.redis.password <password>', 'Redis password.', '')
    .option('--ha-tracker.redis.db <n>', 'Redis database number.', '0')
    .option('--ha-tracker.redis.tls', 'Connect to Redis over TLS.', false)
    .option('--ha-tracker.etcd.endpoints <endpoints>', 'etcd endpoints of --ha-tracker.store=etcd (host:port or URL; repeatable and comma-separated).', collect, [])
    .option('--ha-tracker.etcd.username <name>', 'etcd user.', '')
    .option('--ha-tracker.etcd.password <password>', 'etcd password.', '')
    .option('--ha-tracker.etcd.tls-ca-path <file>', 'CA to verify etcd with (turns TLS on).', '')
    .option('--ha-tracker.etcd.tls-cert-path <file>', 'Client certificate for etcd.', '')
    .option('--ha-tracker.etcd.tls-key-path <file>', 'Key of the client certificate.', '')
    .option('--ha-tracker.prefix <prefix>', 'Key prefix in the store.', 'ha-tracker/')
    .option('--auth.multitenancy-enabled', 'Take the tenant from X-Scope-OrgID (else every request is tenant "anonymous").', false)
    .option(
      '--runtime-config.file <file>',
      'YAML file with per-tenant overrides (Mimir\'s "overrides:" section: accept_ha_samples, ha_cluster_label, ha_replica_label, ha_max_clusters, ha_tracker_* timeouts); re-read every reload period.',
      '',
    )
    .option('--runtime-config.reload-period <duration>', 'How often --runtime-config.file is checked for changes.', '10s')
    .option('--http.config <file>', HTTP_CONFIG_HELP, '')
    .option('--log.level <level>', 'Log level: debug, info, warn, error.', 'info')
    .option('--log.format <format>', 'Log format: logfmt or json.', 'logfmt')
    .action(async (raw: RawIngestFlags & { 'log.level': string; 'log.format': string; 'http.config'?: string }) => {
      const config = parseIngestFlags(raw);
      const web = loadWebConfig(raw['http.config'] ?? '');
      const logger = createLogger(raw['log.level'] as LogLevel, raw['log.format'] as LogFormat);
      exitOnSignals(await startIngestService(config, logger, web), logger);
      watchWebConfig(web, logger);
      reloadWebConfigOnSighup(web, logger);
    });
  program
    .command('query-frontend')
    .description('Thanos-style query frontend in front of any Prometheus-compatible API: splits range queries by interval, caches their results, passes the rest through.')
    .option('--http-address <host:port>', 'Listen host:port for HTTP endpoints.', '0.0.0.0:10902')
    .option('--query-frontend.downstream-url <url>', 'URL of downstream Prometheus Query compatible API.', 'http://localhost:9090')
    .option('--query-frontend.downstream-tripper-config <yaml>', 'HTTP client to the downstream (Thanos\' YAML: idle_conn_timeout, response_header_timeout, tls_handshake_timeout, max_conns_per_host; tls_config with ca_file, cert_file, key_file, server_name, insecure_skip_verify).', '')
    .option('--query-frontend.downstream-tripper-config-file <file>', 'File with the downstream HTTP client configuration (wins over --query-frontend.downstream-tripper-config).', '')
    .option('--query-range.split-interval <duration>', 'Split query range requests by an interval and execute in parallel; 0 disables splitting (and the results cache).', '24h')
    .option('--query-range.align-range-with-step [bool]', 'Align start and end of range queries with their step for better cache-ability.', true)
    .option('--no-query-range.align-range-with-step', 'Do not align range queries with their step.')
    .option('--query-range.max-retries-per-request <n>', 'Maximum attempts for a single range sub-query (5xx and network errors are retried); beyond this, the downstream error is returned.', '5')
    .option('--query-range.max-query-length <duration>', 'Limit the query time range (end - start time); 0 disables it.', '0')
    .option('--query-range.max-query-parallelism <n>', 'Maximum number of range sub-queries scheduled in parallel per query.', '14')
    .option('--query-range.response-cache-max-freshness <duration>', 'Most recent allowed cacheable result, to prevent caching very recent results that might still be in flux.', '1m')
    .option('--query-range.partial-response [bool]', 'Default of partial_response for requests that do not give it (part of the cache key).', true)
    .option('--no-query-range.partial-response', 'Default partial_response=false.')
    .option('--query-range.response-cache-config <yaml>', 'Response cache configuration (Thanos\' YAML: type IN-MEMORY, MEMCACHED or REDIS and its config). Default: IN-MEMORY, max_size 256MB.', '')
    .option('--query-range.response-cache-config-file <file>', 'File with the response cache configuration (wins over --query-range.response-cache-config).', '')
    .option('--labels.split-interval <duration>', 'Split labels and series requests by an interval and execute in parallel; 0 disables splitting.', '24h')
    .option('--labels.max-retries-per-request <n>', 'Maximum attempts for a single labels or series sub-request; beyond this, the downstream error is returned.', '5')
    .option('--labels.max-query-parallelism <n>', 'Maximum number of labels or series sub-requests scheduled in parallel per request.', '14')
    .option('--labels.response-cache-max-freshness <duration>', 'Most recent allowed cacheable result for labels and series requests.', '1m')
    .option('--labels.partial-response [bool]', 'Default of partial_response for labels and series requests that do not give it.', true)
    .option('--no-labels.partial-response', 'Default partial_response=false for labels and series requests.')
    .option('--labels.default-time-range <duration>', 'The range assumed for labels and series requests without start or end; 0: all time (such requests pass through unsplit).', '24h')
    .option('--labels.response-cache-config <yaml>', 'Labels and series response cache configuration (Thanos\' YAML, as --query-range.response-cache-config). Default: IN-MEMORY, max_size 256MB.', '')
    .option('--labels.response-cache-config-file <file>', 'File with the labels response cache configuration (wins over --labels.response-cache-config).', '')
    .option('--cache-compression-type <type>', 'Compression of results stored in memcached or Redis: "" (none) or snappy.', '')
    .option('--query-frontend.log-queries-longer-than <duration>', 'Log queries slower than this; 0 disables, < 0 logs all.', '0')
    .option('--query-frontend.compress-responses', 'Compress HTTP responses (gzip) for clients that accept it.', false)
    .option('--http.config <file>', HTTP_CONFIG_HELP, '')
    .option('--log.level <level>', 'Log level: debug, info, warn, error.', 'info')
    .option('--log.format <format>', 'Log format: logfmt or json.', 'logfmt')
    .action(async (raw: RawFrontendFlags & { 'log.level': string; 'log.format': string; 'http.config'?: string }) => {
      const config = parseFrontendFlags(raw);
      const logger = createLogger(raw['log.level'] as LogLevel, raw['log.format'] as LogFormat);
      const web = loadWebConfig(raw['http.config'] ?? '');
      exitOnSignals(await startQueryFrontend(config, logger, web), logger);
      watchWebConfig(web, logger);
      reloadWebConfigOnSighup(web, logger);
    });
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) process.exit(0); // --help, --version
      process.stderr.write(`promdedup: error: ${err.message.replace(/^error: /, '')}\n`);
      process.exit(2);
    }
    if (err instanceof FlagError) {
      process.stderr.write(`promdedup: error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`promdedup: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

void main(process.argv);
