/**
 * Fan-out of the rules, alerts, targets and exemplars requests to the endpoints that serve them
 * (Prometheus endpoints over their HTTP API; StoreAPI endpoints whose Info announces Thanos' Rules,
 * Targets or Exemplars API over gRPC), merged as Thanos' Rules and Exemplars APIs merge them. With dedup on, replica labels are dropped from rule, alert and
 * series labels and what is then the same shows once:
 * - a rule group is one per file and name; a rule one per type, name, labels, query and `for`,
 *   the most critical replica's copy kept (firing over pending over inactive, then the latest
 *   evaluation), as Thanos' dedupRules;
 * - an alert is one per label set: the most advanced state, and of the replicas in that state the
 *   earliest activeAt;
 * - an exemplar series is one per label set, its exemplars the union (same labels, value and
 *   timestamp once), sorted by time.
 */
import { compareLabels, compareStrings, dropLabels, labelsKey, type Labels } from '../model/labels.js';
import type { LabelMatcher } from '../model/matcher.js';
import { LabelSet } from '../promql/json-value.js';
import { ErrorCodes } from '../model/errors.js';
import { PromQLError } from '../promql/errors.js';
import type { Exemplar, ExemplarSeries, JsonObject, Store, StoreApi } from '../store/store.js';
import type { DedupPolicy } from './metadata.js';
import { fanOut, unavailableWarnings, type FanoutPolicy } from './partial.js';
import type { StoreSet } from './stores.js';

export interface RulesFilter {
  /** '' (both), 'alert' or 'record'. */
  readonly type: '' | 'alert' | 'record';
  readonly ruleNames: ReadonlySet<string>;
  readonly ruleGroups: ReadonlySet<string>;
  readonly files: ReadonlySet<string>;
  readonly excludeAlerts: boolean;
  /** `match[]`: a rule is kept when its labels match every matcher of at least one set. */
  readonly matchers: readonly (readonly LabelMatcher[])[];
}

export interface Answer<T> {
  readonly data: T;
  readonly warnings: string[];
}

const STATE_RANK: Readonly<Record<string, number>> = { inactive: 0, pending: 1, firing: 2 };
const HEALTH_RANK: Readonly<Record<string, number>> = { unknown: 0, down: 1, up: 2 };

function timeOf(x: unknown): number {
  const t = typeof x === 'string' ? Date.parse(x) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}

export class RulesQuerier {
  constructor(private readonly stores: StoreSet) {}

  async rules(filter: RulesFilter, policy: FanoutPolicy, dedup: DedupPolicy, signal: AbortSignal): Promise<Answer<JsonObject[]>> {
    const params: [string, string][] = [];
    if (filter.type !== '') params.push(['type', filter.type]);
    for (const n of filter.ruleNames) params.push(['rule_name[]', n]);
    for (const g of filter.ruleGroups) params.push(['rule_group[]', g]);
    for (const f of filter.files) params.push(['file[]', f]);
    if (filter.excludeAlerts) params.push(['exclude_alerts', 'true']);
    const { results, warnings } = await this.ask(policy, signal, 'rules', (s) => s.rules !== undefined, (s, sig, warn) => s.rules!(params, sig, warn));
    const drop = droppedLabels(dedup);
    const groups = new Map<string, { group: JsonObject; rules: Map<string, JsonObject[]> }>();
    for (const list of results) {
      for (const g of list) {
        const name = String(g.name ?? '');
        const file = String(g.file ?? '');
        // Endpoints older than the parameter ignore it: filter here too.
        if (filter.ruleGroups.size > 0 && !filter.ruleGroups.has(name)) continue;
        if (filter.files.size > 0 && !filter.files.has(file)) continue;
        const key = file + ';' + name;
        let entry = groups.get(key);
        if (entry === undefined) {
          entry = { group: g, rules: new Map() };
          groups.set(key, entry);
        } else if (evaluatedAt(g) > evaluatedAt(entry.group)) {
          entry.group = g;
        }
        for (const r of g.rules as JsonObject[]) {
          if (!keepRule(r, filter)) continue;
          stripLabels(r, drop);
          if (Array.isArray(r.alerts)) for (const a of r.alerts as JsonObject[]) stripLabels(a, drop);
          const k = ruleKey(r);
          const same = entry.rules.get(k);
          if (same === undefined) entry.rules.set(k, [r]);
          else same.push(r);
        }
      }
    }
    const out: JsonObject[] = [];
    for (const { group, rules } of groups.values()) {
      if (rules.size === 0) continue; // every rule filtered out: Prometheus leaves the group out
      const merged = [...rules.values()].map((copies) => mergeRule(copies, filter.excludeAlerts));
      out.push({ ...group, rules: merged });
    }
    out.sort((a, b) => compareStrings(String(a.file), String(b.file)) || compareStrings(String(a.name), String(b.name)));
    return { data: out, warnings };
  }

  async alerts(policy: FanoutPolicy, dedup: DedupPolicy, signal: AbortSignal): Promise<Answer<JsonObject[]>> {
    const { results, warnings } = await this.ask(policy, signal, 'alerts', (s) => s.alerts !== undefined, (s, sig, warn) => s.alerts!(sig, warn));
    const drop = droppedLabels(dedup);
    const all: JsonObject[] = [];
    for (const list of results) for (const a of list) all.push(stripLabels(a, drop));
    return { data: mergeAlerts(all), warnings };
  }

  async exemplars(
    selectors: readonly (readonly LabelMatcher[])[],
    minTime: number,
    maxTime: number,
    policy: FanoutPolicy,
    dedup: DedupPolicy,
    signal: AbortSignal,
  ): Promise<Answer<ExemplarSeries[]>> {
    const picked = new Set<Store>();
    const missing = new Set<Store>();
    for (const sel of selectors) {
      const m = this.stores.matching(sel, minTime, maxTime);
      for (const s of m.stores) if (s.exemplars !== undefined && serves(s, 'exemplars')) picked.add(s);
      for (const s of m.unavailable) if (s.exemplars !== undefined && serves(s, 'exemplars')) missing.add(s);
    }
    const unavailable = unavailableWarnings([...missing], policy);
    const stores = this.stores.stores.filter((s) => picked.has(s));
    const fromStores: string[] = [];
    const out = await fanOut(stores, policy, signal, (s, sig) =>
      s.exemplars!(selectors, minTime, maxTime, sig, (m) => fromStores.push(`${s.name}: ${m}`)),
    );
    partialFailure(fromStores, policy);
    const drop = droppedLabels(dedup);
    const series = new Map<string, { labels: Labels; exemplars: Map<string, Exemplar> }>();
    for (const list of out.results) {
      for (const s of list) {
        const labels = drop.size > 0 ? dropLabels(s.seriesLabels, drop) : s.seriesLabels;
        const key = labelsKey(labels);
        let entry = series.get(key);
        if (entry === undefined) {
          entry = { labels, exemplars: new Map() };
          series.set(key, entry);
        }
        for (const e of s.exemplars) entry.exemplars.set(`${e.timestampMs}\xff${e.value}\xff${labelsKey(e.labels)}`, e);
      }
    }
    const data = [...series.values()]
      .sort((a, b) => compareLabels(a.labels, b.labels))
      .map((e) => ({
        seriesLabels: e.labels,
        exemplars: [...e.exemplars.values()].sort((x, y) => x.timestampMs - y.timestampMs || compareLabels(x.labels, y.labels)),
      }));
    return { data, warnings: [...unavailable, ...out.warnings, ...fromStores] };
  }

  /**
   * `/api/v1/targets` of every endpoint, merged as Thanos' Targets API: with dedup on, replica
   * labels dropped from target and discovered labels, then one active target per discovered labels,
   * labels, scrape pool and URLs (the healthiest copy, then the latest scrape) and one dropped
   * target per discovered labels. `droppedTargetCounts` (newer Prometheus) are summed per pool, or
   * with dedup on the largest replica's count taken.
   */
  async targets(params: readonly [string, string][], policy: FanoutPolicy, dedup: DedupPolicy, signal: AbortSignal): Promise<Answer<JsonObject>> {
    const { results, warnings } = await this.ask(policy, signal, 'targets', (s) => s.targets !== undefined, (s, sig, warn) => s.targets!(params, sig, warn));
    const drop = droppedLabels(dedup);
    const strip = (t: JsonObject): JsonObject => {
      if (drop.size === 0) return t;
      for (const key of ['discoveredLabels', 'labels']) {
        const v = t[key];
        if (v instanceof LabelSet) t[key] = new LabelSet(dropLabels(v.labels, drop));
      }
      return t;
    };
    const labelKey = (t: JsonObject, key: string) => (t[key] instanceof LabelSet ? labelsKey((t[key] as LabelSet).labels) : '');
    const active = new Map<string, JsonObject>();
    const dropped = new Map<string, JsonObject>();
    let counts: Map<string, number> | null = null;
    const data: JsonObject = {};
    for (const r of results) {
      // The first answer's key order for the merged object.
      for (const k of Object.keys(r)) if (!(k in data)) data[k] = null;
      for (const t of Array.isArray(r.activeTargets) ? (r.activeTargets as JsonObject[]) : []) {
        strip(t);
        const key = [labelKey(t, 'discoveredLabels'), labelKey(t, 'labels'), t.scrapePool, t.scrapeUrl, t.globalUrl].join('\xfe');
        const seen = active.get(key);
        if (seen === undefined) active.set(key, t);
        else {
          const d = (HEALTH_RANK[String(t.health)] ?? 0) - (HEALTH_RANK[String(seen.health)] ?? 0);
          if (d > 0 || (d === 0 && timeOf(t.lastScrape) > timeOf(seen.lastScrape))) active.set(key, t);
        }
      }
      for (const t of Array.isArray(r.droppedTargets) ? (r.droppedTargets as JsonObject[]) : []) {
        strip(t);
        const key = labelKey(t, 'discoveredLabels');
        if (drop.size === 0 || !dropped.has(key)) dropped.set(drop.size === 0 ? `${dropped.size}` : key, t);
      }
      const c = r.droppedTargetCounts;
      if (typeof c === 'object' && c !== null && !Array.isArray(c)) {
        counts ??= new Map();
        for (const [pool, n] of Object.entries(c as Record<string, unknown>)) {
          const v = Number(n);
          const prev = counts.get(pool) ?? 0;
          counts.set(pool, drop.size > 0 ? Math.max(prev, v) : prev + v);
        }
      }
    }
    if (results.length === 0) {
      data.activeTargets = [];
      data.droppedTargets = [];
    }
    if ('activeTargets' in data) data.activeTargets = [...active.values()];
    if ('droppedTargets' in data) data.droppedTargets = [...dropped.values()];
    if (counts !== null) {
      const pools = [...counts.keys()].sort(compareStrings);
      data.droppedTargetCounts = Object.fromEntries(pools.map((p) => [p, counts!.get(p)!]));
    }
    return { data, warnings };
  }

  /** Every endpoint that has the API; unhealthy ones that have it make the answer partial. */
  private async ask<T>(
    policy: FanoutPolicy,
    signal: AbortSignal,
    api: StoreApi,
    hasMethod: (s: Store) => boolean,
    call: (s: Store, signal: AbortSignal, warn: (message: string) => void) => Promise<T>,
  ): Promise<{ results: T[]; warnings: string[] }> {
    const has = (s: Store): boolean => hasMethod(s) && serves(s, api);
    const { stores, unavailable } = this.stores.matching([]);
    const warnings = unavailableWarnings(unavailable.filter(has), policy);
    const fromStores: string[] = [];
    const out = await fanOut(stores.filter(has), policy, signal, (s, sig) => call(s, sig, (m) => fromStores.push(`${s.name}: ${m}`)));
    partialFailure(fromStores, policy);
    return { results: out.results, warnings: [...warnings, ...out.warnings, ...fromStores] };
  }
}

/** The store serves the API (a StoreAPI endpoint: its last Info announced it). */
function serves(s: Store, api: StoreApi): boolean {
  return s.serves?.(api) ?? true;
}

/** An endpoint's own partial answer (warnings from behind it) fails the request when partial response is off. */
function partialFailure(fromStores: readonly string[], policy: FanoutPolicy): void {
  if (fromStores.length > 0 && !policy.partialResponse) throw new PromQLError('execution', fromStores[0]!, ErrorCodes.ENDPOINT);
}

function droppedLabels(dedup: DedupPolicy): ReadonlySet<string> {
  return dedup.enabled ? dedup.replicaLabels : new Set();
}

function labelsOf(o: JsonObject): Labels {
  return o.labels instanceof LabelSet ? o.labels.labels : [];
}

function stripLabels(o: JsonObject, drop: ReadonlySet<string>): JsonObject {
  if (drop.size > 0 && o.labels instanceof LabelSet) {
    const left = dropLabels(o.labels.labels, drop);
    // A recording rule's labels are omitempty in Prometheus' answer.
    if (left.length === 0 && o.type === 'recording') delete o.labels;
    else o.labels = new LabelSet(left);
  }
  return o;
}

function evaluatedAt(o: JsonObject): number {
  const t = typeof o.lastEvaluation === 'string' ? Date.parse(o.lastEvaluation) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}

function keepRule(r: JsonObject, f: RulesFilter): boolean {
  if (f.type === 'alert' && r.type !== 'alerting') return false;
  if (f.type === 'record' && r.type !== 'recording') return false;
  if (f.ruleNames.size > 0 && !f.ruleNames.has(String(r.name ?? ''))) return false;
  if (f.matchers.length > 0) {
    const ls = labelsOf(r);
    const value = (name: string) => ls.find((l) => l.name === name)?.value ?? '';
    if (!f.matchers.some((set) => set.every((m) => m.matches(value(m.name))))) return false;
  }
  return true;
}

/** Thanos' Rule.Compare identity: type, name, labels, query, and `for` of alerting rules. */
function ruleKey(r: JsonObject): string {
  return [String(r.type), String(r.name), labelsKey(labelsOf(r)), String(r.query), r.type === 'alerting' ? String(r.duration) : ''].join('\xfe');
}

/** The most critical copy (state, then the latest evaluation), its alerts merged with the others'. */
function mergeRule(copies: JsonObject[], excludeAlerts: boolean): JsonObject {
  let best = copies[0]!;
  for (const c of copies.slice(1)) {
    const d = (STATE_RANK[String(c.state)] ?? 0) - (STATE_RANK[String(best.state)] ?? 0);
    if (d > 0 || (d === 0 && evaluatedAt(c) > evaluatedAt(best))) best = c;
  }
  if (best.type !== 'alerting') return best;
  if (excludeAlerts) return { ...best, alerts: null };
  const alerts: JsonObject[] = [];
  for (const c of copies) if (Array.isArray(c.alerts)) alerts.push(...(c.alerts as JsonObject[]));
  return { ...best, alerts: mergeAlerts(alerts) };
}

/** One alert per label set: the most advanced state, then the earliest activeAt; first-seen order. */
function mergeAlerts(alerts: readonly JsonObject[]): JsonObject[] {
  const byLabels = new Map<string, JsonObject>();
  for (const a of alerts) {
    const key = labelsKey(labelsOf(a));
    const seen = byLabels.get(key);
    if (seen === undefined) {
      byLabels.set(key, a);
      continue;
    }
    const d = (STATE_RANK[String(a.state)] ?? 0) - (STATE_RANK[String(seen.state)] ?? 0);
    if (d > 0 || (d === 0 && activeAt(a) < activeAt(seen))) byLabels.set(key, a);
  }
  return [...byLabels.values()];
}

function activeAt(a: JsonObject): number {
  const t = typeof a.activeAt === 'string' ? Date.parse(a.activeAt) : NaN;
  return Number.isNaN(t) ? Infinity : t;
}
