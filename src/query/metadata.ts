/**
 * Fan-out of the metadata requests (series, label names, label values, metric metadata), with
 * dedup applied as for queries: with dedup on, the answers are those of one Prometheus holding the
 * deduplicated data (no replica labels, no replica values); with it off, every replica shows.
 * The HTTP API and (later) the StoreAPI server both answer from here.
 */
import type { DedupFunc } from '../dedup/types.js';
import { compareLabels, compareStrings, dropLabels, labelsKey, type Labels } from '../model/labels.js';
import type { LabelsRequest, MetricMetadata, Store } from '../store/store.js';
import { fanOut, unavailableWarnings, type FanoutPolicy } from './partial.js';
import { ErrorCodes } from '../model/errors.js';
import { PromQLError } from '../promql/errors.js';
import type { StoreSet } from './stores.js';

export interface DedupPolicy {
  /** Replica label names to drop and merge over; dedup is off when empty (as in Thanos). */
  readonly replicaLabels: ReadonlySet<string>;
  readonly enabled: boolean;
  readonly func: DedupFunc;
}

export interface ListAnswer<T> {
  readonly items: T[];
  readonly warnings: string[];
}

export const TRUNCATED = 'results truncated due to limit';

export class MetadataQuerier {
  constructor(private readonly stores: StoreSet) {}

  async series(req: LabelsRequest, policy: FanoutPolicy, dedup: DedupPolicy, signal: AbortSignal): Promise<ListAnswer<Labels>> {
    const drop = droppedLabels(dedup);
    const { results, warnings } = await this.fanOutFor(req, policy, signal, (store, s, warn) =>
      store.series(storeRequest(req, 0, policy), s, warn),
    );
    const unique = new Map<string, Labels>();
    for (const list of results) {
      for (const ls of list) {
        const out = drop.size > 0 ? dropLabels(ls, drop) : ls;
        unique.set(labelsKey(out), out);
      }
    }
    return limited([...unique.values()].sort(compareLabels), results, req.limit, warnings);
  }

  async labelNames(req: LabelsRequest, policy: FanoutPolicy, dedup: DedupPolicy, signal: AbortSignal): Promise<ListAnswer<string>> {
    const drop = droppedLabels(dedup);
    const { results, warnings } = await this.fanOutFor(req, policy, signal, (store, s, warn) =>
      store.labelNames(storeRequest(req, drop.size, policy), s, warn),
    );
    const lists = results.map((names) => (drop.size > 0 ? names.filter((n) => !drop.has(n)) : names));
    return limited(union(lists), lists, req.limit, warnings);
  }

  async labelValues(
    name: string,
    req: LabelsRequest,
    policy: FanoutPolicy,
    dedup: DedupPolicy,
    signal: AbortSignal,
  ): Promise<ListAnswer<string>> {
    // No deduplicated series carries a replica label.
    if (droppedLabels(dedup).has(name)) return { items: [], warnings: [] };
    const { results, warnings } = await this.fanOutFor(req, policy, signal, (store, s, warn) =>
      store.labelValues(name, storeRequest(req, 0, policy), s, warn),
    );
    return limited(union(results), results, req.limit, warnings);
  }

  async metadata(metric: string, limit: number, policy: FanoutPolicy, signal: AbortSignal): Promise<{ metadata: Map<string, MetricMetadata[]>; warnings: string[] }> {
    const all: LabelsRequest = { minTime: -Infinity, maxTime: Infinity, matchers: [], limit: 0 };
    const { results, warnings } = await this.fanOutFor(all, policy, signal, (store, s) => store.metadata(metric, limit, s));
    const merged = new Map<string, MetricMetadata[]>();
    for (const r of results) {
      for (const [name, entries] of Object.entries(r)) {
        const list = merged.get(name) ?? [];
        for (const e of entries) {
          if (!list.some((x) => x.type === e.type && x.help === e.help && x.unit === e.unit)) list.push(e);
        }
        merged.set(name, list);
      }
    }
    let names = [...merged.keys()].sort(compareStrings);
    if (limit > 0) names = names.slice(0, limit);
    return { metadata: new Map(names.map((n) => [n, merged.get(n)!])), warnings };
  }

  /**
   * Endpoints that can hold series for at least one of the selectors (all when there are none) in
   * the request's time range. Unhealthy ones that could have answered make the answer partial.
   */
  private storesFor(req: LabelsRequest, policy: FanoutPolicy): { stores: Store[]; warnings: string[] } {
    const picked = new Set<Store>();
    const missing = new Set<Store>();
    for (const m of req.matchers.length > 0 ? req.matchers : [[]]) {
      const { stores, unavailable } = this.stores.matching(m, req.minTime, req.maxTime);
      for (const s of stores) picked.add(s);
      for (const s of unavailable) missing.add(s);
    }
    const warnings = unavailableWarnings([...missing], policy);
    return { stores: this.stores.stores.filter((s) => picked.has(s)), warnings };
  }

  private async fanOutFor<T>(
    req: LabelsRequest,
    policy: FanoutPolicy,
    signal: AbortSignal,
    call: (store: Store, signal: AbortSignal, warn: (message: string) => void) => Promise<T>,
  ): Promise<{ results: T[]; warnings: string[] }> {
    const { stores, warnings } = this.storesFor(req, policy);
    const fromStores: string[] = [];
    const out = await fanOut(stores, policy, signal, (store, s) => call(store, s, (m) => fromStores.push(`${store.name}: ${m}`)));
    // A store's own partial answer is a failure when partial response is off.
    if (fromStores.length > 0 && !policy.partialResponse) throw new PromQLError('execution', fromStores[0]!, ErrorCodes.ENDPOINT);
    return { results: out.results, warnings: [...warnings, ...out.warnings, ...fromStores] };
  }
}

function droppedLabels(dedup: DedupPolicy): ReadonlySet<string> {
  return dedup.enabled ? dedup.replicaLabels : new Set();
}

/**
 * The request as sent to each store: one item over the limit (plus the names dedup removes), so a
 * store whose answer was cut shows it and the truncation warning is not lost when the stores'
 * answers overlap.
 */
function storeRequest(req: LabelsRequest, removed: number, policy: FanoutPolicy): LabelsRequest {
  return { ...req, limit: req.limit > 0 ? req.limit + 1 + removed : 0, partialResponse: policy.partialResponse };
}


function union(lists: readonly (readonly string[])[]): string[] {
  const all = new Set<string>();
  for (const list of lists) for (const v of list) all.add(v);
  return [...all].sort(compareStrings);
}

/** Cuts at the limit, warning when the result or some store's answer had more. */
function limited<T>(items: T[], lists: readonly (readonly unknown[])[], limit: number, warnings: string[]): ListAnswer<T> {
  if (limit > 0 && (items.length > limit || lists.some((l) => l.length > limit))) {
    warnings.push(TRUNCATED);
    return { items: items.slice(0, limit), warnings };
  }
  return { items, warnings };
}
