/**
 * PrometheusStore: a Store backed by one Prometheus server — selects over remote read, metadata
 * over the HTTP API, external labels from /api/v1/status/config (refreshed periodically).
 *
 * Matchers on external label names are resolved here, as Thanos' sidecar does: Prometheus' remote
 * read only strips `name="value"` matchers that equal an external label and hands every other one
 * to the TSDB, where the label does not exist (so `replica=~"r.*"` would find nothing there).
 */
import { Agent, type Dispatcher } from 'undici';
import { compareStrings, type Label, type Labels } from '../../model/labels.js';
import { LabelMatcher } from '../../model/matcher.js';
import type { ExemplarSeries, JsonObject, LabelsRequest, MetricMetadata, RawRead, Store, StoreSelectRequest, StoreSelectResult, StoreStatus } from '../store.js';
import { LabelSet } from '../../promql/json-value.js';
import { addLabels, applyExternalLabels, relabelSeries } from './external-labels.js';
import { apiCall, fetchExternalLabels, fetchVersion, formatSelector, formatTime, LABEL_SETS, METADATA, STRING_LIST, type ApiContext } from './http-api.js';
import type { ReadQuery, ResponseTypeValue } from './messages.js';
import { DEFAULT_ACCEPTED, openRemoteRead, remoteRead, type RemoteReadOptions, type RemoteReadResult } from './remote-read.js';

export interface PrometheusStoreOptions {
  /** `http(s)://host:port[/prefix]` of the Prometheus server. */
  readonly url: string;
  /** Store name in warnings and metrics; defaults to the URL. */
  readonly name?: string;
  /** External-labels refresh period, default 30 s (0 disables the background refresh). */
  readonly refreshIntervalMs?: number;
  /** Remote read response types offered, in preference order. */
  readonly acceptedResponseTypes?: readonly ResponseTypeValue[];
  /** Largest JSON answer of the HTTP API (labels, series, metadata), default 256 MiB. */
  readonly maxResponseBytes?: number;
  /** Streamed-response frame limit, default 50 MB. */
  readonly maxFrameBytes?: number;
  /** TCP/TLS connect timeout, default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Extra request headers (e.g. authorization). */
  readonly headers?: Record<string, string>;
  /** TLS settings of the private Agent's connections (CA, client certificate, server name, skip-verify). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer; readonly servername?: string; readonly rejectUnauthorized?: boolean };
  /** Use this dispatcher instead of a private keep-alive Agent (not closed by stop()). */
  readonly dispatcher?: Dispatcher;
}

/** Statistics of the last select, for benchmarks and debugging. */
export interface SelectStats {
  readonly responseType: ResponseTypeValue;
  readonly frames: number;
  readonly bytes: number;
  readonly chunks: number;
  readonly samples: number;
}

const ALL_SERIES = new LabelMatcher('=~', '__name__', '.+');

export class PrometheusStore implements Store {
  readonly name: string;
  readonly url: string;
  /** Error of the last external-labels refresh, null after a successful one. */
  lastError: Error | null = null;
  /** Time (ms) of the last successful external-labels refresh, 0 when none yet. */
  lastRefreshMs = 0;
  private lastCheckMs = 0;
  lastSelectStats: SelectStats | null = null;

  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly ctx: ApiContext;
  private ext: Labels | null = null;
  private serverVersion: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly opts: PrometheusStoreOptions) {
    const url = opts.url.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/.test(url)) throw new Error(`PrometheusStore: invalid URL ${JSON.stringify(opts.url)}`);
    this.url = url;
    this.name = opts.name ?? url;
    this.ownsDispatcher = opts.dispatcher === undefined;
    this.dispatcher =
      opts.dispatcher ??
      new Agent({
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: { timeout: opts.connectTimeoutMs ?? 5_000, ...opts.tls },
      });
    this.ctx = {
      baseUrl: url,
      dispatcher: this.dispatcher,
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.maxResponseBytes !== undefined ? { maxResponseBytes: opts.maxResponseBytes } : {}),
    };
  }

  /** External labels as last seen; null when never fetched successfully. */
  externalLabels(): Labels | null {
    return this.ext;
  }

  /** The server's Prometheus version as last read, null when never read. */
  version(): string | null {
    return this.serverVersion;
  }

  /**
   * Always queryable: a Prometheus is asked directly and a failure shows in that query's answer.
   * Its time range is not announced, so it counts as all time.
   */
  status(): StoreStatus {
    return {
      componentType: 'prometheus',
      queryable: true,
      strict: true,
      lastCheck: this.lastCheckMs,
      lastSuccess: this.lastRefreshMs,
      lastError: this.lastError?.message ?? null,
      minTime: -Infinity,
      maxTime: Infinity,
      withoutReplicaLabels: false,
    };
  }

  labelSets(): readonly Labels[] {
    return this.ext && this.ext.length > 0 ? [this.ext] : [];
  }

  /**
   * Fetches external labels (and the server's version) now; on failure keeps the previous ones and
   * records lastError.
   */
  refreshExternalLabels(signal?: AbortSignal): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const s = signal ?? AbortSignal.timeout(10_000);
        const [ext, version] = await Promise.all([fetchExternalLabels(this.ctx, s), fetchVersion(this.ctx, s).catch(() => null)]);
        this.ext = ext;
        if (version !== null) this.serverVersion = version;
        this.lastError = null;
        this.lastRefreshMs = Date.now();
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
      } finally {
        this.lastCheckMs = Date.now();
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async start(): Promise<void> {
    await this.refreshExternalLabels();
    const every = this.opts.refreshIntervalMs ?? 30_000;
    if (every > 0 && this.timer === null) {
      this.timer = setInterval(() => void this.refreshExternalLabels(), every);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    // destroy, not close: a hung endpoint must not hold up shutdown.
    if (this.ownsDispatcher) await this.dispatcher.destroy();
  }

  /**
   * Resolves matchers on external labels locally: null when one conflicts (nothing can match),
   * otherwise the matchers left for the server.
   */
  private serverMatchers(matchers: readonly LabelMatcher[]): LabelMatcher[] | null {
    const ext = this.ext;
    if (ext === null || ext.length === 0) return matchers.slice();
    const out: LabelMatcher[] = [];
    for (const m of matchers) {
      const l = ext.find((e) => e.name === m.name);
      if (l === undefined) out.push(m);
      else if (!m.matches(l.value)) return null;
    }
    return out;
  }

  /** The server-side matchers and hints of one select; null when it conflicts with external labels. */
  private readQuery(req: StoreSelectRequest): ReadQuery | null {
    const matchers = this.serverMatchers(req.matchers);
    if (matchers === null) return null;
    if (!matchers.some((m) => !m.matchesEmpty())) matchers.push(ALL_SERIES);
    const h = req.hints;
    return {
      startMs: req.minTime,
      endMs: req.maxTime,
      matchers,
      hints: { stepMs: h.step, func: h.func, startMs: h.start, endMs: h.end, grouping: h.grouping, by: h.by, rangeMs: h.range },
    };
  }

  /**
   * Always asks for XOR chunks first: in a SAMPLES answer Prometheus' protobuf code leaves out every
   * value equal to zero, -0 included, so -0 would come back as 0 (measured: SAMPLES is 1.1-1.4x
   * faster for windows of 2-5 min, chunks 2-4x faster from 10 min on; see docs/benchmarks.md).
   */
  async openRead(reqs: readonly StoreSelectRequest[], signal: AbortSignal): Promise<RawRead | null> {
    const queries: ReadQuery[] = [];
    const selects: number[] = [];
    reqs.forEach((req, i) => {
      const q = this.readQuery(req);
      if (q === null) return;
      queries.push(q);
      selects.push(i);
    });
    if (queries.length === 0) return null;
    const accepted = this.opts.acceptedResponseTypes ?? DEFAULT_ACCEPTED;
    const open = await openRemoteRead(this.url + '/api/v1/read', queries, this.readOptions(accepted), signal);
    return {
      codec: 'prometheus-remote-read',
      responseType: open.responseType,
      contentEncoding: open.contentEncoding,
      body: open.body,
      destroy: open.destroy,
      selects,
      externalLabels: this.ext ?? [],
    };
  }

  /** One select, decoded on the calling thread (tools and tests; the query path uses openRead). */
  async select(req: StoreSelectRequest, signal: AbortSignal): Promise<StoreSelectResult> {
    const query = this.readQuery(req);
    if (query === null) return { series: [], warnings: [] };
    const res: RemoteReadResult = await remoteRead(
      this.url + '/api/v1/read',
      query,
      this.readOptions(this.opts.acceptedResponseTypes ?? DEFAULT_ACCEPTED),
      signal,
    );
    this.lastSelectStats = {
      responseType: res.responseType,
      frames: res.frames,
      bytes: res.bytes,
      chunks: res.chunks,
      samples: res.samples,
    };
    const fixed = applyExternalLabels(res.series, this.ext ?? [], req.matchers, relabelSeries);
    if (fixed.stale) void this.refreshExternalLabels();
    return { series: fixed.series, warnings: res.warnings.map((w) => `${this.name}: ${w}`) };
  }

  private readOptions(accepted: readonly ResponseTypeValue[]): RemoteReadOptions {
    return {
      dispatcher: this.dispatcher,
      acceptedResponseTypes: accepted,
      ...(this.opts.maxFrameBytes !== undefined ? { maxFrameBytes: this.opts.maxFrameBytes } : {}),
      ...(this.opts.headers ? { headers: this.opts.headers } : {}),
    };
  }

  /** match[] parameters for the HTTP API, or null when every selector conflicts with ext labels. */
  private matchParams(req: LabelsRequest): [string, string][] | null {
    const params: [string, string][] = [];
    const start = formatTime(req.minTime);
    const end = formatTime(req.maxTime);
    if (start !== null) params.push(['start', start]);
    if (end !== null) params.push(['end', end]);
    if (req.matchers.length > 0) {
      let kept = 0;
      for (const sel of req.matchers) {
        const ms = this.serverMatchers(sel);
        if (ms === null) continue;
        if (!ms.some((m) => !m.matchesEmpty())) ms.push(ALL_SERIES);
        params.push(['match[]', formatSelector(ms)]);
        kept++;
      }
      if (kept === 0) return null;
    }
    if (req.limit > 0) params.push(['limit', String(req.limit)]);
    return params;
  }

  async labelNames(req: LabelsRequest, signal: AbortSignal): Promise<string[]> {
    const params = this.matchParams(req);
    if (params === null) return [];
    const names = await apiCall<string[]>(this.ctx, '/api/v1/labels', params, signal, true, STRING_LIST);
    const ext = this.ext ?? [];
    let out = names;
    if (names.length > 0 && ext.length > 0) {
      const set = new Set(names);
      for (const l of ext) set.add(l.name);
      out = [...set].sort(compareStrings);
    }
    return limit(out, req.limit);
  }

  async labelValues(name: string, req: LabelsRequest, signal: AbortSignal): Promise<string[]> {
    const params = this.matchParams(req);
    if (params === null) return [];
    const values = await apiCall<string[]>(
      this.ctx,
      `/api/v1/label/${encodeURIComponent(name)}/values`,
      params,
      signal,
      false,
      STRING_LIST,
    );
    const extLabel = (this.ext ?? []).find((l) => l.name === name);
    if (extLabel === undefined || values.includes(extLabel.value)) return limit(values, req.limit);
    // The external label's value applies to every series of this server: include it when the
    // selection holds any series at all.
    let any = req.matchers.length === 0;
    if (!any) {
      const names = await apiCall<string[]>(this.ctx, '/api/v1/labels', params, signal, true, STRING_LIST);
      any = names.length > 0;
    }
    if (!any) return limit(values, req.limit);
    return limit([...values, extLabel.value].sort(compareStrings), req.limit);
  }

  async series(req: LabelsRequest, signal: AbortSignal): Promise<Labels[]> {
    const params = this.matchParams(req);
    if (params === null) return [];
    if (req.matchers.length === 0) params.push(['match[]', formatSelector([ALL_SERIES])]);
    const data = await apiCall<Record<string, string>[]>(this.ctx, '/api/v1/series', params, signal, true, LABEL_SETS);
    const ext = this.ext ?? [];
    const out: Labels[] = [];
    for (const rec of data) {
      const ls: Label[] = [];
      for (const k of Object.keys(rec)) ls.push({ name: k, value: rec[k]! });
      ls.sort((a, b) => compareStrings(a.name, b.name));
      out.push(addLabels(ls, ext));
    }
    return limit(out, req.limit);
  }

  async metadata(metric: string, limitN: number, signal: AbortSignal): Promise<Record<string, MetricMetadata[]>> {
    const params: [string, string][] = [];
    if (metric !== '') params.push(['metric', metric]);
    if (limitN > 0) params.push(['limit', String(limitN)]);
    const data = await apiCall<Record<string, Partial<MetricMetadata>[]>>(this.ctx, '/api/v1/metadata', params, signal, false, METADATA);
    const out = Object.create(null) as Record<string, MetricMetadata[]>; // a metric may be named __proto__
    for (const [name, list] of Object.entries(data)) {
      out[name] = list.map((e) => ({ type: e.type ?? '', help: e.help ?? '', unit: e.unit ?? '' }));
    }
    return out;
  }

  /**
   * `/api/v1/query_exemplars` for the selectors (Prometheus only looks at a query's selectors),
   * matchers on external labels resolved here as for selects; series labels get the external
   * labels, as Thanos' sidecar adds them.
   */
  async exemplars(selectors: readonly (readonly LabelMatcher[])[], minTime: number, maxTime: number, signal: AbortSignal): Promise<ExemplarSeries[]> {
    const sent: string[] = [];
    for (const sel of selectors) {
      const ms = this.serverMatchers(sel);
      if (ms === null) continue;
      if (!ms.some((m) => !m.matchesEmpty())) ms.push(ALL_SERIES);
      sent.push(formatSelector(ms));
    }
    if (sent.length === 0) return [];
    const params: [string, string][] = [['query', sent.join(' or ')]];
    const start = formatTime(minTime);
    const end = formatTime(maxTime);
    if (start !== null) params.push(['start', start]);
    if (end !== null) params.push(['end', end]);
    const data = await apiCall<unknown[]>(this.ctx, '/api/v1/query_exemplars', params, signal, true, OBJECT_LIST);
    const ext = this.ext ?? [];
    return data.map((x) => {
      const s = x as { seriesLabels?: unknown; exemplars?: unknown };
      const list = Array.isArray(s.exemplars) ? s.exemplars : [];
      return {
        seriesLabels: addLabels(LabelSet.fromJson(s.seriesLabels).labels, ext),
        exemplars: list.map((e) => {
          const ex = e as { labels?: unknown; value?: unknown; timestamp?: unknown };
          return {
            labels: LabelSet.fromJson(ex.labels).labels,
            value: typeof ex.value === 'string' ? ex.value : String(ex.value),
            timestampMs: Math.round(Number(ex.timestamp) * 1000),
          };
        }),
      };
    });
  }

  /** `/api/v1/rules` groups; rule and alert labels carry the external labels (as Thanos' sidecar). */
  async rules(params: readonly [string, string][], signal: AbortSignal): Promise<JsonObject[]> {
    const data = await apiCall<{ groups: JsonObject[] }>(this.ctx, '/api/v1/rules', [...params], signal, true, RULE_DISCOVERY);
    const ext = this.ext ?? [];
    for (const g of data.groups) {
      const rules = Array.isArray(g.rules) ? (g.rules as JsonObject[]) : [];
      g.rules = rules;
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i]!;
        if (!('labels' in r) && ext.length > 0) {
          // A recording rule without labels has none in the answer (omitempty): place them where Go would.
          rules[i] = insertAfter(r, 'query', 'labels', new LabelSet(ext));
          continue;
        }
        withLabels(r, 'labels', ext);
        if ('annotations' in r) r.annotations = LabelSet.fromJson(r.annotations);
        if (Array.isArray(r.alerts)) for (const a of r.alerts as JsonObject[]) alertLabels(a, ext);
      }
    }
    return data.groups;
  }

  /** `/api/v1/alerts`; labels carry the external labels. */
  async alerts(signal: AbortSignal): Promise<JsonObject[]> {
    const data = await apiCall<{ alerts: JsonObject[] }>(this.ctx, '/api/v1/alerts', [], signal, false, ALERT_DISCOVERY);
    const ext = this.ext ?? [];
    for (const a of data.alerts) alertLabels(a, ext);
    return data.alerts;
  }

  /** `/api/v1/targets`; discovered and target labels carry the external labels (as Thanos' sidecar). */
  async targets(params: readonly [string, string][], signal: AbortSignal): Promise<JsonObject> {
    const data = await apiCall<JsonObject>(this.ctx, '/api/v1/targets', [...params], signal, false, TARGET_DISCOVERY);
    const ext = this.ext ?? [];
    for (const key of ['activeTargets', 'droppedTargets']) {
      if (!Array.isArray(data[key])) continue;
      for (const t of data[key] as JsonObject[]) {
        withLabels(t, 'discoveredLabels', ext);
        withLabels(t, 'labels', ext);
      }
    }
    return data;
  }
}

const isObjectList = (d: unknown): boolean => Array.isArray(d) && d.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
const OBJECT_LIST = Object.assign(isObjectList, { expected: 'a list of objects' });
const RULE_DISCOVERY = Object.assign((d: unknown) => typeof d === 'object' && d !== null && isObjectList((d as { groups?: unknown }).groups), {
  expected: 'rule groups',
});
const TARGET_DISCOVERY = Object.assign((d: unknown) => typeof d === 'object' && d !== null && !Array.isArray(d), { expected: 'targets' });
const ALERT_DISCOVERY = Object.assign((d: unknown) => typeof d === 'object' && d !== null && isObjectList((d as { alerts?: unknown }).alerts), {
  expected: 'alerts',
});

/** Replaces the label map at `key` by a LabelSet holding the external labels too (the object's own win). */
function withLabels(o: JsonObject, key: string, ext: Labels): void {
  if (key in o) o[key] = new LabelSet(addLabels(LabelSet.fromJson(o[key]).labels, ext));
}

/** A copy of `o` with `key` set right after `after` (at the end when `after` is absent). */
function insertAfter(o: JsonObject, after: string, key: string, value: unknown): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = v;
    if (k === after) out[key] = value;
  }
  if (!(key in out)) out[key] = value;
  return out;
}

function alertLabels(a: JsonObject, ext: Labels): void {
  withLabels(a, 'labels', ext);
  if ('annotations' in a) a.annotations = LabelSet.fromJson(a.annotations);
}

function limit<T>(xs: T[], n: number): T[] {
  return n > 0 && xs.length > n ? xs.slice(0, n) : xs;
}
