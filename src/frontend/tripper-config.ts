/**
 * `--query-frontend.downstream-tripper-config(-file)`: Thanos' YAML for the frontend's HTTP client
 * to the downstream, with a Prometheus-style `tls_config` for a downstream behind TLS:
 *
 *   idle_conn_timeout: 90s          keep-alive connections idle longer are closed
 *   response_header_timeout: 0s     a sub-request whose headers take longer fails (0: no limit)
 *   tls_handshake_timeout: 10s      connecting, TCP and TLS together
 *   max_conns_per_host: 0           connections to the downstream at once (0: no limit)
 *   expect_continue_timeout, max_idle_conns, max_idle_conns_per_host: accepted, no effect
 *   tls_config: { ca_file, cert_file, key_file, server_name, insecure_skip_verify }
 */
import { readFileSync } from 'node:fs';
import { ClientConfigError, parseSecretYaml, parseTlsConfig, type HttpClientSettings } from '../store/prometheus/client-config.js';

export interface DownstreamOptions {
  readonly idleConnTimeoutMs: number;
  /** 0: none (the caller's own timeout and cancellation still apply). */
  readonly responseHeaderTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** 0: no limit. */
  readonly maxConnsPerHost: number;
  readonly tls: HttpClientSettings['tls'];
}

/** Go's http.Transport defaults as Thanos sets them for the downstream. */
export const DEFAULT_DOWNSTREAM_OPTIONS: DownstreamOptions = {
  idleConnTimeoutMs: 90_000,
  responseHeaderTimeoutMs: 0,
  connectTimeoutMs: 10_000,
  maxConnsPerHost: 0,
  tls: {},
};

const DURATIONS = ['idle_conn_timeout', 'response_header_timeout', 'tls_handshake_timeout', 'expect_continue_timeout'] as const;
const COUNTS = ['max_idle_conns', 'max_idle_conns_per_host', 'max_conns_per_host'] as const;
const KNOWN: readonly string[] = [...DURATIONS, ...COUNTS, 'tls_config'];

/** Parses the YAML text; `where` names it in errors. `parseDuration` is PromQL's (e.g. "90s", "1m30s"). */
export function parseTripperConfig(
  text: string,
  where: string,
  parseDuration: (s: string) => number,
  read: (f: string) => Buffer = readFileSync,
): DownstreamOptions {
  const doc = parseSecretYaml(text, where);
  if (doc === null || doc === undefined) return DEFAULT_DOWNSTREAM_OPTIONS;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ClientConfigError(`${where}: expected a mapping`);
  const c = doc as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!KNOWN.includes(k)) throw new ClientConfigError(`${where}: unknown field ${k} (known: ${KNOWN.join(', ')})`);

  const duration = (field: (typeof DURATIONS)[number], fallback: number): number => {
    const v = c[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' && v !== 0) throw new ClientConfigError(`${where}.${field}: expected a duration such as 30s`);
    if (v === 0 || v === '0') return fallback;
    try {
      const ms = parseDuration(v);
      // Go's transport: zero or unset keeps the default.
      return ms > 0 ? ms : fallback;
    } catch (err) {
      throw new ClientConfigError(`${where}.${field}: ${(err as Error).message}`);
    }
  };
  const count = (field: (typeof COUNTS)[number], fallback: number): number => {
    const v = c[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ClientConfigError(`${where}.${field}: expected an integer >= 0`);
    return v;
  };
  duration('expect_continue_timeout', 0);
  count('max_idle_conns', 0);
  count('max_idle_conns_per_host', 0);
  return {
    idleConnTimeoutMs: duration('idle_conn_timeout', DEFAULT_DOWNSTREAM_OPTIONS.idleConnTimeoutMs),
    responseHeaderTimeoutMs: duration('response_header_timeout', DEFAULT_DOWNSTREAM_OPTIONS.responseHeaderTimeoutMs),
    connectTimeoutMs: duration('tls_handshake_timeout', DEFAULT_DOWNSTREAM_OPTIONS.connectTimeoutMs),
    maxConnsPerHost: count('max_conns_per_host', DEFAULT_DOWNSTREAM_OPTIONS.maxConnsPerHost),
    tls: parseTlsConfig(`${where}.tls_config`, c['tls_config'], read),
  };
}
