/**
 * Thanos' Rules, Targets and Exemplars APIs (proto/thanos/{rules,targets,exemplars}/…): the
 * messages as proto-loader hands them over, and their conversion into the JSON Prometheus' HTTP API
 * answers (the shapes PrometheusStore returns), so src/query/rules.ts merges both alike. Field
 * names and order follow Prometheus' web/api/v1 structs, which Thanos' jsontags reproduce.
 */
import { compareStrings, type Label, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../model/matcher.js';
import { formatSampleValue } from '../../promql/format.js';
import { LabelSet } from '../../promql/json-value.js';
import type { Exemplar, ExemplarSeries, JsonObject } from '../store.js';
import type { Int64, PbLabelSet } from './proto.js';

export interface PbTimestamp {
  seconds: Int64;
  nanos: number;
}

export interface PbRulesRequest {
  /** ALL=0 ALERT=1 RECORD=2 */
  type: number;
  partial_response_strategy: number;
  matcher_string: string[];
  rule_name: string[];
  rule_group: string[];
  file: string[];
}

export interface PbAlertInstance {
  labels: PbLabelSet | null;
  annotations: PbLabelSet | null;
  state: number;
  active_at: PbTimestamp | null;
  value: string;
}

export interface PbAlertingRule {
  state: number;
  name: string;
  query: string;
  duration_seconds: number;
  labels: PbLabelSet | null;
  annotations: PbLabelSet | null;
  alerts: PbAlertInstance[];
  health: string;
  last_error: string;
  evaluation_duration_seconds: number;
  last_evaluation: PbTimestamp | null;
  keep_firing_for_seconds: number;
}

export interface PbRecordingRule {
  name: string;
  query: string;
  labels: PbLabelSet | null;
  health: string;
  last_error: string;
  evaluation_duration_seconds: number;
  last_evaluation: PbTimestamp | null;
}

export interface PbRule {
  recording?: PbRecordingRule | null;
  alert?: PbAlertingRule | null;
  result?: string;
}

export interface PbRuleGroup {
  name: string;
  file: string;
  rules: PbRule[];
  interval: number;
  evaluation_duration_seconds: number;
  last_evaluation: PbTimestamp | null;
  limit: Int64;
}

export interface PbRulesResponse {
  group?: PbRuleGroup | null;
  warning?: string;
  result?: string;
}

export interface PbTargetsRequest {
  /** ANY=0 ACTIVE=1 DROPPED=2 */
  state: number;
  partial_response_strategy: number;
}

export interface PbActiveTarget {
  discoveredLabels: PbLabelSet | null;
  labels: PbLabelSet | null;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: PbTimestamp | null;
  lastScrapeDuration: number;
  /** DOWN=0 UP=1 UNKNOWN=2 */
  health: number;
}

export interface PbTargetDiscovery {
  activeTargets: PbActiveTarget[];
  droppedTargets: { discoveredLabels: PbLabelSet | null }[];
}

export interface PbTargetsResponse {
  targets?: PbTargetDiscovery | null;
  warning?: string;
  result?: string;
}

export interface PbExemplarsRequest {
  query: string;
  start: Int64;
  end: Int64;
  partial_response_strategy: number;
}

export interface PbExemplarData {
  seriesLabels: PbLabelSet | null;
  exemplars: { labels: PbLabelSet | null; value: number; ts: Int64 }[];
}

export interface PbExemplarsResponse {
  data?: PbExemplarData | null;
  warning?: string;
  result?: string;
}

/** AlertState: UNKNOWN=0 INACTIVE=1 PENDING=2 FIRING=3, as Prometheus names them. */
const ALERT_STATES = ['unknown', 'inactive', 'pending', 'firing'] as const;
/** TargetHealth: DOWN=0 UP=1 UNKNOWN=2. */
const TARGET_HEALTH = ['down', 'up', 'unknown'] as const;

export function labelsOfPb(set: PbLabelSet | null | undefined): Labels {
  const out: Label[] = (set?.labels ?? []).map((l) => ({ name: l.name, value: l.value }));
  return out.sort((a, b) => compareStrings(a.name, b.name));
}

const labelSet = (set: PbLabelSet | null | undefined): LabelSet => new LabelSet(labelsOfPb(set));

/**
 * A Timestamp as Go's time.Time marshals to JSON (RFC 3339, UTC, fraction without trailing zeros).
 * An absent one is Go's zero time, as Thanos' non-nullable stdtime fields decode it.
 */
export function formatTimestamp(ts: PbTimestamp | null | undefined): string {
  if (ts === null || ts === undefined) return '0001-01-01T00:00:00Z';
  const seconds = Number(ts.seconds);
  const iso = new Date(seconds * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const base = iso.slice(0, iso.indexOf('.'));
  const nanos = ts.nanos > 0 ? '.' + String(ts.nanos).padStart(9, '0').replace(/0+$/, '') : '';
  return base + nanos + 'Z';
}

const stateName = (n: number): string => ALERT_STATES[n] ?? 'unknown';

/** An alert as `/api/v1/alerts` and a rule's `alerts` list show it. */
export function alertJson(a: PbAlertInstance): JsonObject {
  const out: JsonObject = { labels: labelSet(a.labels), annotations: labelSet(a.annotations), state: stateName(a.state) };
  if (a.active_at !== null && a.active_at !== undefined) out.activeAt = formatTimestamp(a.active_at);
  out.value = a.value;
  return out;
}

/** A rule as Prometheus' AlertingRule / RecordingRule JSON. */
export function ruleJson(r: PbRule): JsonObject | null {
  if (r.alert) {
    const a = r.alert;
    const out: JsonObject = {
      state: stateName(a.state),
      name: a.name,
      query: a.query,
      duration: a.duration_seconds,
      keepFiringFor: a.keep_firing_for_seconds,
      labels: labelSet(a.labels),
      annotations: labelSet(a.annotations),
      alerts: a.alerts.map(alertJson),
      health: a.health,
    };
    if (a.last_error !== '') out.lastError = a.last_error;
    out.evaluationTime = a.evaluation_duration_seconds;
    out.lastEvaluation = formatTimestamp(a.last_evaluation);
    out.type = 'alerting';
    return out;
  }
  if (r.recording) {
    const rec = r.recording;
    const out: JsonObject = { name: rec.name, query: rec.query };
    const ls = labelsOfPb(rec.labels);
    if (ls.length > 0) out.labels = new LabelSet(ls); // omitempty
    out.health = rec.health;
    if (rec.last_error !== '') out.lastError = rec.last_error;
    out.evaluationTime = rec.evaluation_duration_seconds;
    out.lastEvaluation = formatTimestamp(rec.last_evaluation);
    out.type = 'recording';
    return out;
  }
  return null;
}

/** A rule group as Prometheus' RuleGroup JSON. */
export function ruleGroupJson(g: PbRuleGroup): JsonObject {
  const rules: JsonObject[] = [];
  for (const r of g.rules) {
    const j = ruleJson(r);
    if (j !== null) rules.push(j);
  }
  return {
    name: g.name,
    file: g.file,
    rules,
    interval: g.interval,
    limit: Number(g.limit),
    evaluationTime: g.evaluation_duration_seconds,
    lastEvaluation: formatTimestamp(g.last_evaluation),
  };
}

/** RulesRequest from the `/api/v1/rules` parameters PrometheusStore would pass on. */
export function rulesRequest(params: readonly [string, string][], partialStrategy: number): PbRulesRequest {
  const req: PbRulesRequest = { type: 0, partial_response_strategy: partialStrategy, matcher_string: [], rule_name: [], rule_group: [], file: [] };
  for (const [k, v] of params) {
    if (k === 'type') req.type = v === 'alert' ? 1 : v === 'record' ? 2 : 0;
    else if (k === 'rule_name[]') req.rule_name.push(v);
    else if (k === 'rule_group[]') req.rule_group.push(v);
    else if (k === 'file[]') req.file.push(v);
    else if (k === 'match[]') req.matcher_string.push(v);
  }
  return req;
}

/** TargetsRequest from `/api/v1/targets` parameters (`scrapePool` is applied by the route). */
export function targetsRequest(params: readonly [string, string][], partialStrategy: number): PbTargetsRequest {
  const state = params.find(([k]) => k === 'state')?.[1] ?? '';
  return { state: state === 'active' ? 1 : state === 'dropped' ? 2 : 0, partial_response_strategy: partialStrategy };
}

/** TargetDiscovery as the `data` of `/api/v1/targets`; several messages are concatenated. */
export function targetsJson(parts: readonly PbTargetDiscovery[]): JsonObject {
  const activeTargets: JsonObject[] = [];
  const droppedTargets: JsonObject[] = [];
  for (const p of parts) {
    for (const t of p.activeTargets) {
      activeTargets.push({
        discoveredLabels: labelSet(t.discoveredLabels),
        labels: labelSet(t.labels),
        scrapePool: t.scrapePool,
        scrapeUrl: t.scrapeUrl,
        globalUrl: t.globalUrl,
        lastError: t.lastError,
        lastScrape: formatTimestamp(t.lastScrape),
        lastScrapeDuration: t.lastScrapeDuration,
        health: TARGET_HEALTH[t.health] ?? 'unknown',
      });
    }
    for (const t of p.droppedTargets) droppedTargets.push({ discoveredLabels: labelSet(t.discoveredLabels) });
  }
  return { activeTargets, droppedTargets };
}

export function exemplarSeries(d: PbExemplarData): ExemplarSeries {
  const exemplars: Exemplar[] = d.exemplars.map((e) => ({ labels: labelsOfPb(e.labels), value: formatSampleValue(e.value), timestampMs: Number(e.ts) }));
  return { seriesLabels: labelsOfPb(d.seriesLabels), exemplars };
}

const ALL_SERIES = { type: '=~', name: '__name__', value: '.+' } as const;

/**
 * The ExemplarsRequest query for an endpoint, as Thanos' exemplars proxy builds it: the selectors
 * that can match one of its external label sets, matchers on external label names left out unless
 * the endpoint is a querier (a sidecar's Prometheus knows nothing of them), joined with `or`.
 * Null when no selector can match.
 */
export function exemplarsQuery(selectors: readonly (readonly LabelMatcher[])[], labelSets: readonly Labels[], keepExternal: boolean): string | null {
  const extNames = new Set<string>();
  for (const s of labelSets) for (const l of s) extNames.add(l.name);
  const parts: string[] = [];
  for (const sel of selectors) {
    if (labelSets.length > 0 && !labelSets.some((set) => setMatches(sel, set))) continue;
    const ms: Pick<LabelMatcher, 'type' | 'name' | 'value'>[] = keepExternal ? [...sel] : sel.filter((m) => !extNames.has(m.name));
    if (!ms.some((m) => !(m as LabelMatcher).matchesEmpty())) ms.push(ALL_SERIES);
    parts.push('{' + ms.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(', ') + '}');
  }
  return parts.length > 0 ? parts.join(' or ') : null;
}

/** Thanos' LabelSetsMatch for one set: every matcher on a label of the set matches its value. */
function setMatches(sel: readonly LabelMatcher[], set: Labels): boolean {
  return sel.every((m) => {
    const l = set.find((x) => x.name === m.name);
    return l === undefined || m.matches(l.value);
  });
}
