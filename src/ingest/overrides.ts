/**
 * Per-tenant HA settings, as Mimir's per-tenant limits: the flags give every tenant's defaults and
 * the runtime config file's `overrides:` section changes them for single tenants:
 *
 *     overrides:
 *       tenant-a:
 *         accept_ha_samples: false
 *         ha_replica_label: prom_replica
 *         ha_tracker_failover_timeout: 1m
 *
 * Keys are Mimir's limit names. A key a tenant leaves out keeps the flag's value; as in Mimir, a
 * zero update timeout, jitter or failover timeout also means "the flag's value".
 */
import { parseAllDocuments } from 'yaml';
import { parseDuration } from '../promql/parser.js';
import { validateTimings, type HaTrackerTenantLimits } from './tracker/config.js';

/** Everything the receiver and the tracker look up per tenant. Durations in ms. */
export interface TenantHaLimits extends HaTrackerTenantLimits {
  /** false: requests are forwarded unchanged (no election, replica label kept) and counted as non-HA. */
  readonly acceptHaSamples: boolean;
  readonly clusterLabel: string;
  readonly replicaLabel: string;
}

/** A runtime config file that cannot be used; the message says where and why. */
export class RuntimeConfigError extends Error {
  override readonly name = 'RuntimeConfigError';
}

/** The parsed runtime config: tenant → its complete settings (defaults filled in). */
export type TenantOverrides = ReadonlyMap<string, Readonly<TenantHaLimits>>;

type LimitKey =
  | 'accept_ha_samples'
  | 'ha_cluster_label'
  | 'ha_replica_label'
  | 'ha_max_clusters'
  | 'ha_tracker_update_timeout'
  | 'ha_tracker_update_timeout_jitter_max'
  | 'ha_tracker_failover_timeout'
  | 'ha_tracker_sample_failover_timeout';

const LIMIT_KEYS: readonly LimitKey[] = [
  'accept_ha_samples',
  'ha_cluster_label',
  'ha_replica_label',
  'ha_max_clusters',
  'ha_tracker_update_timeout',
  'ha_tracker_update_timeout_jitter_max',
  'ha_tracker_failover_timeout',
  'ha_tracker_sample_failover_timeout',
];

const TOP_LEVEL_KEYS = ['overrides'];

/**
 * Parses a runtime config file's text. Strict as Mimir's loader (unknown keys and several YAML
 * documents are refused, so a typo never silently falls back to a default); an empty file means
 * no overrides. Every tenant's effective timeouts must obey failover >= update + jitter max + 1s.
 */
export function parseRuntimeConfig(text: string, defaults: Readonly<TenantHaLimits>): TenantOverrides {
  const docs = parseAllDocuments(text);
  if (docs.length > 1) throw new RuntimeConfigError('the runtime config contains several YAML documents; expected one');
  const overrides = new Map<string, Readonly<TenantHaLimits>>();
  const doc = docs[0];
  if (doc === undefined) return overrides;
  // The parser's first line says what and where ("... at line 2, column 1:"); the excerpt after it is noise in a log line.
  if (doc.errors.length > 0) throw new RuntimeConfigError(`invalid YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new RuntimeConfigError(`invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (root === null || root === undefined) return overrides;
  const top = asMapping(root, 'the runtime config');
  for (const key of Object.keys(top)) {
    if (!TOP_LEVEL_KEYS.includes(key)) throw new RuntimeConfigError(`unknown key ${JSON.stringify(key)}; expected ${TOP_LEVEL_KEYS.join(', ')}`);
  }
  if (top['overrides'] === null || top['overrides'] === undefined) return overrides;
  const tenants = asMapping(top['overrides'], 'overrides');
  for (const [tenant, value] of Object.entries(tenants)) {
    // `tenant-a:` with nothing under it is a tenant on the defaults, as in Mimir.
    const raw = value === null ? {} : asMapping(value, `overrides.${tenant}`);
    overrides.set(tenant, Object.freeze(tenantLimits(tenant, raw, defaults)));
  }
  return overrides;
}

function tenantLimits(tenant: string, raw: Record<string, unknown>, defaults: Readonly<TenantHaLimits>): TenantHaLimits {
  const where = (key: string): string => `overrides.${tenant}.${key}`;
  for (const key of Object.keys(raw)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) {
      throw new RuntimeConfigError(`${where(key)}: unknown key; expected one of ${LIMIT_KEYS.join(', ')}`);
    }
  }
  const has = (key: LimitKey): boolean => raw[key] !== undefined && raw[key] !== null;
  const label = (key: LimitKey, fallback: string): string => {
    if (!has(key)) return fallback;
    const v = raw[key];
    if (typeof v !== 'string' || v === '') throw new RuntimeConfigError(`${where(key)}: expected a non-empty label name, got ${show(v)}`);
    return v;
  };
  const durationMs = (key: LimitKey): number | undefined => {
    if (!has(key)) return undefined;
    const v = raw[key];
    if (typeof v !== 'string') throw new RuntimeConfigError(`${where(key)}: expected a duration such as "15s", got ${show(v)}`);
    try {
      return parseDuration(v);
    } catch (err) {
      throw new RuntimeConfigError(`${where(key)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  // Mimir: 0 (or unset) means "the default" for these three.
  const orDefault = (ms: number | undefined, fallback: number): number => (ms === undefined || ms === 0 ? fallback : ms);

  let acceptHaSamples = defaults.acceptHaSamples;
  if (has('accept_ha_samples')) {
    const v = raw['accept_ha_samples'];
    if (typeof v !== 'boolean') throw new RuntimeConfigError(`${where('accept_ha_samples')}: expected true or false, got ${show(v)}`);
    acceptHaSamples = v;
  }
  let maxClusters = defaults.maxClusters;
  if (has('ha_max_clusters')) {
    const v = raw['ha_max_clusters'];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new RuntimeConfigError(`${where('ha_max_clusters')}: expected an integer >= 0 (0: no limit), got ${show(v)}`);
    }
    maxClusters = v;
  }
  const limits: TenantHaLimits = {
    acceptHaSamples,
    clusterLabel: label('ha_cluster_label', defaults.clusterLabel),
    replicaLabel: label('ha_replica_label', defaults.replicaLabel),
    maxClusters,
    updateTimeoutMs: orDefault(durationMs('ha_tracker_update_timeout'), defaults.updateTimeoutMs),
    updateTimeoutJitterMaxMs: orDefault(durationMs('ha_tracker_update_timeout_jitter_max'), defaults.updateTimeoutJitterMaxMs),
    failoverTimeoutMs: orDefault(durationMs('ha_tracker_failover_timeout'), defaults.failoverTimeoutMs),
    failoverSampleTimeoutMs: durationMs('ha_tracker_sample_failover_timeout') ?? defaults.failoverSampleTimeoutMs,
  };
  if (limits.clusterLabel === limits.replicaLabel) {
    throw new RuntimeConfigError(
      `overrides.${tenant}: ha_cluster_label and ha_replica_label are both ${JSON.stringify(limits.clusterLabel)}; the replica label is removed from forwarded series, so they must differ`,
    );
  }
  try {
    validateTimings(limits);
  } catch (err) {
    throw new RuntimeConfigError(
      `overrides.${tenant}: ${err instanceof Error ? err.message : String(err)}; the rule is ha_tracker_failover_timeout >= ha_tracker_update_timeout + ha_tracker_update_timeout_jitter_max + 1s (keys not set take the flags' values)`,
    );
  }
  return limits;
}

function asMapping(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array || value instanceof Map) {
    throw new RuntimeConfigError(`${where}: expected a mapping, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * The settings in force, swapped whole on every successful reload: a lookup sees either the old
 * or the new file, never half of each. Tenants without an override get the defaults.
 */
export class TenantLimits {
  private overrides: TenantOverrides;

  constructor(
    readonly defaults: Readonly<TenantHaLimits>,
    overrides: TenantOverrides = new Map(),
  ) {
    this.overrides = overrides;
  }

  forTenant(tenant: string): Readonly<TenantHaLimits> {
    return this.overrides.get(tenant) ?? this.defaults;
  }

  replace(overrides: TenantOverrides): void {
    this.overrides = overrides;
  }

  /** Tenants with an override, sorted. */
  tenants(): string[] {
    return [...this.overrides.keys()].sort();
  }
}
