/**
 * analyze=true: Thanos' `analysis` field of a query answer (the operator tree with `name`,
 * `executionTime` as a Go duration, `totalSamples`, `children`; empty ones left out as Go's
 * omitempty does), plus promdedup's own `endpoints` on the root: what each endpoint sent.
 */
import { goDuration, type OperatorNode } from '../promql/explain.js';
import { jsonString } from '../promql/json.js';

export interface EndpointFetch {
  readonly endpoint: string;
  readonly series: number;
  readonly samples: number;
}

export function analysisField(tree: OperatorNode, evalMs: number, fetchMs: number, dedupMs: number, endpoints: readonly EndpointFetch[]): string {
  const root = nodeJson(tree, evalMs).slice(0, -1);
  const fetched = endpoints.map((e) => `{"endpoint":${jsonString(e.endpoint)},"series":${e.series},"samples":${e.samples}}`).join(',');
  return `"analysis":${root},"fetchTime":${jsonString(goDuration(fetchMs))},"dedupTime":${jsonString(goDuration(dedupMs))},"endpoints":[${fetched}]}`;
}

/** `rootMs`: the root's time when the profile has none for it (an instant range selector). */
function nodeJson(n: OperatorNode, rootMs?: number): string {
  const ms = n.ms ?? rootMs;
  let out = `{"name":${jsonString(n.name)}`;
  if (ms !== undefined && ms > 0) out += `,"executionTime":${jsonString(goDuration(ms))}`;
  if (n.samples !== undefined && n.samples > 0) out += `,"totalSamples":${n.samples}`;
  if (n.children.length > 0) out += `,"children":[${n.children.map((c) => nodeJson(c)).join(',')}]`;
  return out + '}';
}
