/**
 * GrpcStore: a Thanos StoreAPI endpoint (sidecar, store gateway, receiver, ruler, querier, or
 * another promdedup). Info every 5 s keeps its label sets, time range and health; selects are
 * Series streams whose frames go to the query worker as raw bytes; label names and values are
 * unary calls. Thanos' Rules, Targets and Exemplars APIs are asked only when the last Info
 * announced them; their answers become the Prometheus JSON of PrometheusStore (apis.ts).
 */
import { Client, Metadata, status as GrpcStatus, type ChannelCredentials, type ChannelOptions, type ClientReadableStream, type Interceptor, type ServiceError } from '@grpc/grpc-js';
import { compareStrings, type Label, type Labels } from '../../model/labels.js';
import type { LabelMatcher } from '../../model/matcher.js';
import type { ExemplarSeries, JsonObject, LabelsRequest, MetricMetadata, RawRead, Store, StoreApi, StoreSelectRequest, StoreStatus } from '../store.js';
import {
  alertJson,
  exemplarSeries,
  exemplarsQuery,
  ruleGroupJson,
  rulesRequest,
  targetsJson,
  type PbExemplarsRequest,
  type PbExemplarsResponse,
  type PbRulesRequest,
  type PbRulesResponse,
  type PbTargetDiscovery,
  type PbTargetsRequest,
  type PbTargetsResponse,
  targetsRequest,
} from './apis.js';
import { grpcCodeName } from './codes.js';
import { aggregatesForFunc } from './downsample.js';
import {
  int64ToTime,
  method,
  PartialResponseStrategy,
  timeToInt64,
  type PbInfoResponse,
  type PbLabelMatcher,
  type PbLabelNamesRequest,
  type PbLabelNamesResponse,
  type PbLabelSet,
  type PbLabelValuesRequest,
  type PbLabelValuesResponse,
  type PbLegacyInfoResponse,
  type PbSeriesRequest,
} from './proto.js';
import { FRAME_HEADER_BYTES, writeFrameHeader } from './series-decoder.js';
import { readSeriesResponse } from './series-codec.js';

export interface GrpcStoreOptions {
  /** host:port */
  readonly address: string;
  readonly creds: ChannelCredentials;
  readonly channelOptions?: ChannelOptions;
  /** --endpoint-strict: always asked, even while its Info fails. */
  readonly strict?: boolean;
  /** Info period and timeout (Thanos' --endpoint.info-timeout), default 5 s. */
  readonly infoIntervalMs?: number;
  /** Name in warnings and metrics; defaults to the address. */
  readonly name?: string;
  /** Client interceptors for every call (the grpc_client_* metrics). */
  readonly interceptors?: readonly Interceptor[];
}

const MATCH_TYPE: Record<string, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };
/** Bytes of frames waiting for the querier above which the streams are paused. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

const identity = (b: Buffer): Buffer => b;
/** Series per SeriesBatch frame asked of endpoints that batch. */
const RESPONSE_BATCH_SIZE = 64;

export class GrpcStore implements Store {
  readonly name: string;
  readonly address: string;
  private readonly client: Client;
  private readonly strict: boolean;
  private readonly infoEvery: number;
  private timer: NodeJS.Timeout | null = null;
  private sets: Labels[] = [];
  private componentType = '';
  private minTime = -Infinity;
  private maxTime = Infinity;
  private withoutReplicaLabels = false;
  /** APIs besides the StoreAPI the last good Info announced (Rules also answers alerts). */
  private apis: { rules: boolean; targets: boolean; exemplars: boolean } = { rules: false, targets: false, exemplars: false };
  private lastCheck = 0;
  private lastSuccess = 0;
  private lastError: string | null = null;
  private checking: Promise<void> | null = null;
  private stopped = false;

  constructor(opts: GrpcStoreOptions) {
    this.address = opts.address;
    this.name = opts.name ?? opts.address;
    this.strict = opts.strict ?? false;
    this.infoEvery = opts.infoIntervalMs ?? 5_000;
    this.client = new Client(opts.address, opts.creds, {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      'grpc.keepalive_time_ms': 30_000,
      ...opts.channelOptions,
      ...(opts.interceptors ? { interceptors: [...opts.interceptors] } : {}),
    });
  }

  labelSets(): readonly Labels[] {
    return this.sets;
  }

  version(): string | null {
    return null;
  }

  status(): StoreStatus {
    const known = this.lastSuccess > 0;
    return {
      componentType: this.componentType,
      queryable: this.strict || (known && this.lastError === null),
      strict: this.strict,
      lastCheck: this.lastCheck,
      lastSuccess: this.lastSuccess,
      lastError: this.lastError,
      // A strict endpoint that never answered is taken to hold all time (as Thanos does).
      minTime: this.minTime,
      maxTime: this.maxTime,
      withoutReplicaLabels: this.withoutReplicaLabels,
    };
  }

  async start(): Promise<void> {
    await this.checkInfo();
    if (this.timer === null && this.infoEvery > 0 && !this.stopped) {
      this.timer = setInterval(() => void this.checkInfo(), this.infoEvery);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.client.close();
  }

  refreshExternalLabels(): Promise<void> {
    return this.checkInfo();
  }

  /** Calls Info (thanos.info.Info, else the legacy thanos.Store/Info); keeps the last good answer on failure. */
  checkInfo(): Promise<void> {
    this.checking ??= (async () => {
      try {
        await this.readInfo();
        this.lastSuccess = Date.now();
        this.lastError = null;
      } catch (err) {
        this.lastError = describeGrpcError(err);
      } finally {
        this.lastCheck = Date.now();
        this.checking = null;
      }
    })();
    return this.checking;
  }

  private async readInfo(): Promise<void> {
    const deadline = Date.now() + this.infoEvery;
    try {
      const info = await this.unary<object, PbInfoResponse>('thanos.info.Info', 'Info', {}, deadline);
      this.sets = labelSetsOf(info.label_sets);
      this.componentType = info.ComponentType;
      const store = info.store;
      // No StoreInfo, or one without times: unknown range, asked for everything (a failure then
      // shows in the answer; Thanos would leave it out without a word).
      const unknown = store === null || (String(store.min_time) === '0' && String(store.max_time) === '0');
      this.minTime = unknown ? -Infinity : int64ToTime(store.min_time);
      this.maxTime = unknown ? Infinity : int64ToTime(store.max_time);
      this.withoutReplicaLabels = store?.supports_without_replica_labels ?? false;
      this.apis = { rules: present(info.rules), targets: present(info.targets), exemplars: present(info.exemplars) };
    } catch (err) {
      if ((err as ServiceError).code !== GrpcStatus.UNIMPLEMENTED) throw err;
      // Thanos before v0.37 (and old sidecars) only have thanos.Store/Info.
      const legacy = await this.unary<object, PbLegacyInfoResponse>('thanos.Store', 'Info', {}, deadline);
      this.sets = labelSetsOf(legacy.label_sets.length > 0 ? legacy.label_sets : [{ labels: legacy.labels }]);
      this.componentType = LEGACY_TYPES[legacy.storeType] ?? 'unknown';
      const unknown = String(legacy.min_time) === '0' && String(legacy.max_time) === '0';
      this.minTime = unknown ? -Infinity : int64ToTime(legacy.min_time);
      this.maxTime = unknown ? Infinity : int64ToTime(legacy.max_time);
      this.withoutReplicaLabels = false;
      this.apis = { rules: false, targets: false, exemplars: false };
    }
  }

  /**
   * As the last good Info announced. An endpoint that never answered Info counts as serving them
   * all (as it counts as holding all time), so it is named when unhealthy instead of left out.
   */
  serves(api: StoreApi): boolean {
    if (this.lastSuccess === 0) return true;
    return api === 'alerts' ? this.apis.rules : this.apis[api];
  }

  /** A server-streaming call read to its end; messages in order. */
  private stream<Req, Res>(service: string, name: string, req: Req, signal: AbortSignal): Promise<Res[]> {
    const m = method<Req, Res>(service, name);
    return new Promise<Res[]>((resolve, reject) => {
      const out: Res[] = [];
      const call = this.client.makeServerStreamRequest<Req, Res>(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata());
      const onAbort = (): void => call.cancel();
      if (signal.aborted) call.cancel();
      else signal.addEventListener('abort', onAbort, { once: true });
      call.on('data', (msg: Res) => out.push(msg));
      call.on('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(new Error(describeGrpcError(err)));
      });
      call.on('end', () => {
        signal.removeEventListener('abort', onAbort);
        resolve(out);
      });
    });
  }

  /** thanos.Rules/Rules: the groups as Prometheus' `/api/v1/rules` (the endpoint adds external labels, as Thanos' sidecar and ruler do). */
  async rules(params: readonly [string, string][], signal: AbortSignal, warn?: (message: string) => void): Promise<JsonObject[]> {
    const msgs = await this.stream<PbRulesRequest, PbRulesResponse>('thanos.Rules', 'Rules', rulesRequest(params, PartialResponseStrategy.WARN), signal);
    const groups: JsonObject[] = [];
    for (const msg of msgs) {
      if (msg.group) groups.push(ruleGroupJson(msg.group));
      else if (msg.warning !== undefined && msg.warning !== '') warn?.(msg.warning);
    }
    return groups;
  }

  /** The alerts of the alerting rules, as Thanos' querier answers `/api/v1/alerts` from the Rules API. */
  async alerts(signal: AbortSignal, warn?: (message: string) => void): Promise<JsonObject[]> {
    const msgs = await this.stream<PbRulesRequest, PbRulesResponse>('thanos.Rules', 'Rules', rulesRequest([['type', 'alert']], PartialResponseStrategy.WARN), signal);
    const alerts: JsonObject[] = [];
    for (const msg of msgs) {
      if (msg.group) {
        for (const r of msg.group.rules) if (r.alert) for (const a of r.alert.alerts) alerts.push(alertJson(a));
      } else if (msg.warning !== undefined && msg.warning !== '') warn?.(msg.warning);
    }
    return alerts;
  }

  /** thanos.Targets/Targets: the `data` of `/api/v1/targets` (labels as the endpoint sent them). */
  async targets(params: readonly [string, string][], signal: AbortSignal, warn?: (message: string) => void): Promise<JsonObject> {
    const msgs = await this.stream<PbTargetsRequest, PbTargetsResponse>('thanos.Targets', 'Targets', targetsRequest(params, PartialResponseStrategy.WARN), signal);
    const parts: PbTargetDiscovery[] = [];
    for (const msg of msgs) {
      if (msg.targets) parts.push(msg.targets);
      else if (msg.warning !== undefined && msg.warning !== '') warn?.(msg.warning);
    }
    return targetsJson(parts);
  }

  /** thanos.Exemplars/Exemplars with the selectors as one query, as Thanos' exemplars proxy sends it. */
  async exemplars(
    selectors: readonly (readonly LabelMatcher[])[],
    minTime: number,
    maxTime: number,
    signal: AbortSignal,
    warn?: (message: string) => void,
  ): Promise<ExemplarSeries[]> {
    const query = exemplarsQuery(selectors, this.sets, this.componentType === 'query');
    if (query === null) return [];
    const req: PbExemplarsRequest = { query, start: timeToInt64(minTime), end: timeToInt64(maxTime), partial_response_strategy: PartialResponseStrategy.WARN };
    const msgs = await this.stream<PbExemplarsRequest, PbExemplarsResponse>('thanos.Exemplars', 'Exemplars', req, signal);
    const out: ExemplarSeries[] = [];
    for (const msg of msgs) {
      if (msg.data) out.push(exemplarSeries(msg.data));
      else if (msg.warning !== undefined && msg.warning !== '') warn?.(msg.warning);
    }
    return out;
  }

  private unary<Req, Res>(service: string, name: string, req: Req, deadline: number, signal?: AbortSignal): Promise<Res> {
    const m = method<Req, Res>(service, name);
    return new Promise<Res>((resolve, reject) => {
      const call = this.client.makeUnaryRequest<Req, Res>(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err !== null || res === undefined) reject(err ?? new Error('empty response'));
        else resolve(res);
      });
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private seriesRequest(req: StoreSelectRequest): PbSeriesRequest {
    const h = req.hints;
    return {
      min_time: timeToInt64(req.minTime),
      max_time: timeToInt64(req.maxTime),
      matchers: pbMatchers(req.matchers),
      max_resolution_window: req.maxResolutionMs ?? 0,
      aggregates: aggregatesForFunc(h.func),
      partial_response_disabled: req.partialResponse === false,
      partial_response_strategy: req.partialResponse === false ? PartialResponseStrategy.ABORT : PartialResponseStrategy.WARN,
      skip_chunks: false,
      query_hints: {
        step_millis: h.step,
        func: h.func !== '' ? { name: h.func } : null,
        grouping: h.grouping.length > 0 || h.by ? { by: h.by, labels: [...h.grouping] } : null,
        range: h.range > 0 ? { millis: h.range } : null,
      },
      shard_info: null,
      without_replica_labels: this.withoutReplicaLabels ? [...(req.withoutReplicaLabels ?? [])] : [],
      limit: 0,
      // Fewer, larger messages (Thanos v0.41+ and promdedup batch; older servers send one series each).
      response_batch_size: RESPONSE_BATCH_SIZE,
    };
  }

  /**
   * One Series stream per select, merged into one body of framed messages. The streams pause while
   * more than HIGH_WATER_BYTES wait for the querier, so a slow worker holds the endpoint back
   * instead of filling memory.
   */
  async openRead(reqs: readonly StoreSelectRequest[], signal: AbortSignal): Promise<RawRead | null> {
    const selects: number[] = [];
    const calls: ClientReadableStream<Buffer>[] = [];
    const m = method<PbSeriesRequest, Buffer>('thanos.Store', 'Series');
    const queue: { index: number; msg: Buffer }[] = [];
    let queued = 0;
    let paused = false;
    let open = 0;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const destroy = (): void => {
      for (const c of calls) c.cancel();
    };
    reqs.forEach((req, i) => {
      if (req.maxTime < this.minTime || req.minTime > this.maxTime) return;
      const index = selects.length;
      selects.push(i);
      const call = this.client.makeServerStreamRequest<PbSeriesRequest, Buffer>(m.path, m.requestSerialize, identity, this.seriesRequest(req), new Metadata());
      calls.push(call);
      open++;
      let finished = false;
      // 'end' comes after the last buffered message is read; 'error' instead of it on a failure.
      const finish = (): void => {
        if (finished) return;
        finished = true;
        open--;
        notify();
      };
      call.on('data', (msg: Buffer) => {
        queue.push({ index, msg });
        queued += msg.length;
        if (!paused && queued > HIGH_WATER_BYTES) {
          paused = true;
          for (const c of calls) c.pause();
        }
        notify();
      });
      call.on('error', (err: Error) => {
        if (failure === null && (err as ServiceError).code !== GrpcStatus.CANCELLED) failure = new Error(describeGrpcError(err));
        finish();
      });
      call.on('end', finish);
    });
    if (selects.length === 0) return null;
    const onAbort = (): void => destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    const body = async function* (): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          const item = queue.shift();
          if (item !== undefined) {
            queued -= item.msg.length;
            if (paused && queued <= HIGH_WATER_BYTES / 2) {
              paused = false;
              for (const c of calls) c.resume();
            }
            const header = new Uint8Array(FRAME_HEADER_BYTES);
            writeFrameHeader(header, 0, item.index, item.msg.length);
            yield header;
            yield item.msg;
            continue;
          }
          if (failure !== null) throw failure;
          if (signal.aborted) throw signal.reason;
          if (open === 0) return;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (open > 0) destroy();
      }
    };
    return { codec: 'thanos-series', responseType: 0, contentEncoding: '', body: body(), destroy, selects, externalLabels: [] };
  }

  private labelsRequest(req: LabelsRequest, matchers: readonly LabelMatcher[]): PbLabelNamesRequest {
    const abort = req.partialResponse === false;
    return {
      partial_response_disabled: abort,
      partial_response_strategy: abort ? PartialResponseStrategy.ABORT : PartialResponseStrategy.WARN,
      start: timeToInt64(req.minTime),
      end: timeToInt64(req.maxTime),
      matchers: pbMatchers(matchers),
      without_replica_labels: [],
      limit: req.limit,
    };
  }

  /** One call per selector (StoreAPI takes one matcher list), answers united. */
  private async perSelector<T>(req: LabelsRequest, call: (matchers: readonly LabelMatcher[]) => Promise<T[]>): Promise<T[][]> {
    if (req.maxTime < this.minTime || req.minTime > this.maxTime) return [];
    const selectors = req.matchers.length > 0 ? req.matchers : [[]];
    return Promise.all(selectors.map(call));
  }

  async labelNames(req: LabelsRequest, signal: AbortSignal, warn?: (message: string) => void): Promise<string[]> {
    const lists = await this.perSelector(req, async (ms) => {
      const res = await this.unary<PbLabelNamesRequest, PbLabelNamesResponse>('thanos.Store', 'LabelNames', this.labelsRequest(req, ms), Infinity, signal);
      for (const w of res.warnings) warn?.(w);
      return res.names;
    });
    return unionSorted(lists, req.limit);
  }

  async labelValues(name: string, req: LabelsRequest, signal: AbortSignal, warn?: (message: string) => void): Promise<string[]> {
    const lists = await this.perSelector(req, async (ms) => {
      const r: PbLabelValuesRequest = { ...this.labelsRequest(req, ms), label: name };
      const res = await this.unary<PbLabelValuesRequest, PbLabelValuesResponse>('thanos.Store', 'LabelValues', r, Infinity, signal);
      for (const w of res.warnings) warn?.(w);
      return res.values;
    });
    return unionSorted(lists, req.limit);
  }

  /** Series with skip_chunks: label sets only, decoded here (no samples to move). */
  async series(req: LabelsRequest, signal: AbortSignal, warn?: (message: string) => void): Promise<Labels[]> {
    const m = method<PbSeriesRequest, Buffer>('thanos.Store', 'Series');
    const lists = await this.perSelector(req, (ms) => {
      const r: PbSeriesRequest = {
        ...this.seriesRequest({ minTime: req.minTime, maxTime: req.maxTime, matchers: ms, hints: NO_HINTS, partialResponse: req.partialResponse !== false }),
        skip_chunks: true,
        limit: req.limit,
      };
      return new Promise<Labels[]>((resolve, reject) => {
        const out: Labels[] = [];
        const call = this.client.makeServerStreamRequest<PbSeriesRequest, Buffer>(m.path, m.requestSerialize, identity, r, new Metadata());
        const onAbort = (): void => call.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
        call.on('data', (msg: Buffer) => {
          try {
            readSeriesResponse(msg, { series: (ls) => out.push([...ls].sort((a, b) => compareStrings(a.name, b.name))), warning: (w) => warn?.(w) });
          } catch (err) {
            call.cancel();
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        call.on('error', (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(new Error(describeGrpcError(err)));
        });
        call.on('end', () => {
          signal.removeEventListener('abort', onAbort);
          resolve(out);
        });
      });
    });
    const all = lists.flat();
    return req.limit > 0 && all.length > req.limit ? all.slice(0, req.limit) : all;
  }

  /** The Store service has no metric metadata (Thanos serves it on thanos.Metadata, not read here). */
  async metadata(): Promise<Record<string, MetricMetadata[]>> {
    return Object.create(null) as Record<string, MetricMetadata[]>;
  }
}

const NO_HINTS = { start: 0, end: 0, step: 0, func: '', range: 0, grouping: [], by: false } as const;

const LEGACY_TYPES: Record<number, string> = { 1: 'query', 2: 'rule', 3: 'sidecar', 4: 'store', 5: 'receive', 6: 'debug' };

function pbMatchers(ms: readonly LabelMatcher[]): PbLabelMatcher[] {
  return ms.map((m) => ({ type: MATCH_TYPE[m.type]!, name: m.name, value: m.value }));
}

const present = (x: unknown): boolean => x !== null && x !== undefined;

function labelSetsOf(sets: readonly PbLabelSet[]): Labels[] {
  const out: Labels[] = [];
  for (const s of sets) {
    if (s.labels.length === 0) continue; // Thanos drops empty sets
    const ls: Label[] = s.labels.map((l) => ({ name: l.name, value: l.value }));
    out.push(ls.sort((a, b) => compareStrings(a.name, b.name)));
  }
  return out;
}

function unionSorted(lists: readonly string[][], limit: number): string[] {
  const set = new Set<string>();
  for (const l of lists) for (const x of l) set.add(x);
  const out = [...set].sort(compareStrings);
  return limit > 0 && out.length > limit ? out.slice(0, limit) : out;
}

/** As Go prints a gRPC error: "rpc error: code = Unavailable desc = …". */
export function describeGrpcError(err: unknown): string {
  const e = err as Partial<ServiceError>;
  if (typeof e.code === 'number') {
    return `rpc error: code = ${grpcCodeName(e.code)} desc = ${e.details ?? e.message ?? ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
