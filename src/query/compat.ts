import type { PromQLCompat } from '../promql/types.js';

/**
 * The PromQL dialect that matches what users get from their own Prometheus servers: 2.x and 3.x
 * differ at window boundaries and in a few functions. In auto mode 3.x semantics apply unless every
 * endpoint whose version is known is a 2.x server. Versions come from each endpoint's own refresh.
 */
export function compatFor(mode: 'auto' | PromQLCompat, versions: readonly (string | null)[]): PromQLCompat {
  if (mode !== 'auto') return mode;
  const seen = versions.filter((v): v is string => v !== null);
  return seen.length > 0 && seen.every((v) => v.startsWith('2.')) ? '2' : '3';
}

/**
 * PromQL annotations (warnings such as "quantile value should be between 0 and 1") arrived in
 * Prometheus 2.48; older servers answer the same queries without them. They are reported unless
 * every endpoint whose version is known is older than 2.48.
 */
export function annotationsFor(versions: readonly (string | null)[]): boolean {
  const seen = versions.filter((v): v is string => v !== null);
  return seen.length === 0 || !seen.every((v) => hasNoAnnotations(v));
}

/** True for a Prometheus version before 2.48.0 (no PromQL annotations); unparsable versions count as new. */
export function hasNoAnnotations(version: string): boolean {
  const m = /^(\d+)\.(\d+)\./.exec(version);
  if (m === null) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major < 2 || (major === 2 && minor < 48);
}
