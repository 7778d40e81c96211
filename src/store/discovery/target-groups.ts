/**
 * The Prometheus file_sd format: a list of `{targets: [...], labels: {...}}` groups, as JSON or
 * YAML. Checked as strictly as Prometheus does (unknown fields, non-string values are errors), so
 * that a typo is reported rather than silently dropping targets.
 */
import { parse as parseYaml } from 'yaml';
import type { SdFormat } from './glob.js';

export interface TargetGroup {
  readonly targets: readonly string[];
  /** Parsed and checked, but not used: Thanos takes an endpoint's labels from the endpoint itself. */
  readonly labels: Readonly<Record<string, string>>;
}

export class TargetGroupsError extends Error {
  override readonly name = 'TargetGroupsError';
}

export function parseTargetGroups(text: string, format: SdFormat): TargetGroup[] {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new TargetGroupsError(`not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // An empty YAML document is an empty list, as in Prometheus.
  if (doc === null && format === 'yaml') return [];
  if (!Array.isArray(doc)) throw new TargetGroupsError('expected a list of target groups ({targets: [...], labels: {...}})');
  return doc.map((group, i) => parseGroup(group, i));
}

function parseGroup(group: unknown, i: number): TargetGroup {
  const where = `group ${i + 1}`;
  if (typeof group !== 'object' || group === null || Array.isArray(group)) throw new TargetGroupsError(`${where}: expected an object with targets and labels`);
  // Null (`targets:` with nothing after it in YAML) is empty, as missing is.
  const { targets: rawTargets, labels: rawLabels, ...unknown } = group as Record<string, unknown>;
  const targets = rawTargets ?? [];
  const labels = rawLabels ?? {};
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new TargetGroupsError(`${where}: unknown field ${JSON.stringify(extra[0])} (expected targets and labels)`);
  if (!Array.isArray(targets) || !targets.every((t): t is string => typeof t === 'string')) {
    throw new TargetGroupsError(`${where}: targets must be a list of strings`);
  }
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new TargetGroupsError(`${where}: labels must be a map of strings`);
  for (const [name, value] of Object.entries(labels)) {
    if (typeof value !== 'string') throw new TargetGroupsError(`${where}: label ${JSON.stringify(name)} must have a string value`);
  }
  return { targets, labels: labels as Record<string, string> };
}
