/**
 * The store the HA tracker elects through. One record per (tenant, cluster): the elected replica and when it was
 * last seen. Every backend (in-memory today; Redis, etcd later) must give `cas` read-modify-write atomicity per key:
 * that single arbiter is what makes several proxy instances agree on one leader.
 */

/** The stored election record (Mimir's `ReplicaDesc`). All times are Unix milliseconds; 0 means "unset". */
export interface ReplicaDesc {
  readonly replica: string;
  /** When the elected replica was last seen (the real sighting time, not the write time). */
  readonly receivedAt: number;
  /** Soft-delete mark set by cleanup; > 0 means "treat as absent". */
  readonly deletedAt: number;
  /** When this replica became leader. */
  readonly electedAt: number;
  /** How many times the leader changed for this key. */
  readonly electedChanges: number;
}

/**
 * Computes the next value from the current one (null when the key is absent).
 * Return null to leave the key unchanged. Must be synchronous and side-effect free: a backend may call it more
 * than once when it retries after a lost race.
 */
export type ReplicaDescUpdate = (current: ReplicaDesc | null) => ReplicaDesc | null;

/** Called after a key changed; `desc` is null when the key was removed. */
export type ReplicaDescChange = (key: string, desc: ReplicaDesc | null) => void;

export interface ReplicaDescStore {
  /** The current value, or null when the key is absent. */
  get(key: string): Promise<ReplicaDesc | null>;
  /**
   * Atomically applies `update` to the key. Resolves to the value the key holds afterwards: the written value, or
   * the unchanged current value when `update` returned null (null if the key is absent and stays absent).
   * Rejects on backend errors; nothing is written then.
   */
  cas(key: string, update: ReplicaDescUpdate): Promise<ReplicaDesc | null>;
  /** Removes the key unconditionally (cleanup's hard delete is blind by design). Absent keys are not an error. */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix`, with its value. */
  list(prefix: string): Promise<Map<string, ReplicaDesc>>;
  /** Optional change feed for keys under `prefix`; returns the unsubscribe function. */
  watch?(prefix: string, onChange: ReplicaDescChange): () => void;
}

/** Mimir's and Cortex's default key prefix (kept apart from ring keys). */
export const DEFAULT_KEY_PREFIX = 'ha-tracker/';

/** `<prefix><tenant>/<cluster>`. Tenant ids contain no '/', cluster names may. */
export function replicaKey(prefix: string, tenant: string, cluster: string): string {
  return `${prefix}${tenant}/${cluster}`;
}

/** Splits a key on the first '/' after the prefix, like Mimir; null for keys that are not `tenant/cluster`. */
export function parseReplicaKey(prefix: string, key: string): { tenant: string; cluster: string } | null {
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return null;
  return { tenant: rest.slice(0, slash), cluster: rest.slice(slash + 1) };
}
