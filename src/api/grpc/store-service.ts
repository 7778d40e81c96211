/**
 * thanos.Store (Series, LabelNames, LabelValues, legacy Info) and thanos.info.Info over the
 * querier: everything this promdedup reaches, Prometheus and StoreAPI endpoints alike.
 *
 * By default Series answers as a Thanos Querier's StoreAPI does: every replica's series with its
 * external labels, `without_replica_labels` removed from what is sent (the replicas then arrive
 * adjacent with equal label sets and the querier above merges them). With --grpc.serve-deduplicated
 * the series are promdedup's own merged ones.
 */
import type { ServerUnaryCall, ServerWritableStream, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import { dropLabels, compareLabels, compareStrings, labelsKey, type Labels } from '../../model/labels.js';
import { LabelMatcher, MatcherError, type MatchType } from '../../model/matcher.js';
import type { DedupPolicy, MetadataQuerier } from '../../query/metadata.js';
import type { FanoutPolicy } from '../../query/partial.js';
import { QueryFailure, type QueryOutcome } from '../../query/pool.js';
import type { QueryStats, QueryTask } from '../../query/protocol.js';
import type { StoreSet } from '../../query/stores.js';
import type { DedupFunc } from '../../dedup/types.js';
import type { PromQLCompat } from '../../promql/types.js';
import {
  int64ToTime,
  MATCHER_TYPES,
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
} from '../../store/grpc/proto.js';
import { grpcCodeName } from '../../store/grpc/codes.js';
import { LENGTH_PREFIX_BYTES, seriesAnswerFrames, type SeriesShard } from '../../store/grpc/series-encoder.js';
import { ErrorCodes } from '../../model/errors.js';
import { PromQLError } from '../../promql/errors.js';
import type { Gate } from '../../util/gate.js';
import type { Logger } from '../../util/log.js';
import { grpcError, toGrpcError } from './status.js';

export interface StoreApiContext {
  readonly stores: StoreSet;
  readonly metadata: MetadataQuerier;
  runQuery(task: QueryTask, policy: FanoutPolicy, signal: AbortSignal): Promise<QueryOutcome>;
  readonly gate: Gate;
  readonly logger: Logger;
  compat(): PromQLCompat;
  /** --query.replica-label */
  readonly replicaLabels: readonly string[];
  readonly dedupFunc: DedupFunc;
  /** --grpc.serve-deduplicated: send merged series instead of every replica's. */
  readonly serveDeduplicated: boolean;
  /** --query.timeout (0 = none); a shorter client deadline wins. */
  readonly queryTimeout: number;
  readonly storeResponseTimeout: number;
}

class BadRequest extends Error {}

function matchersOf(pb: readonly PbLabelMatcher[]): LabelMatcher[] {
  return pb.map((m) => {
    const type: MatchType | undefined = MATCHER_TYPES[m.type];
    if (type === undefined) throw new BadRequest(`unknown matcher type ${m.type} for label ${JSON.stringify(m.name)}`);
    try {
      return new LabelMatcher(type, m.name, m.value);
    } catch (err) {
      throw new BadRequest(err instanceof MatcherError || err instanceof Error ? err.message : String(err));
    }
  });
}

/** The widest time range asked of the endpoints below (JavaScript's date range, safe integers). */
const TIME_BOUND = 8.64e15;

/**
 * A request's time range, clamped to what can be asked below. Both bounds 0 (a client that left
 * them unset) means all time: no one asks for exactly the epoch's millisecond.
 */
function timeRange(minText: string | number, maxText: string | number): { minTime: number; maxTime: number } {
  let minTime = Math.max(int64ToTime(minText), -TIME_BOUND);
  let maxTime = Math.min(int64ToTime(maxText), TIME_BOUND);
  if (minTime === 0 && maxTime === 0) {
    minTime = -TIME_BOUND;
    maxTime = TIME_BOUND;
  }
  if (minTime > maxTime) throw new BadRequest(`min_time ${String(minText)} is after max_time ${String(maxText)}`);
  return { minTime, maxTime };
}

/** Larger batches than this are cut (a frame stays well under any message size limit). */
const MAX_BATCH = 1024;

function batchSize(v: string | number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequest(`invalid response_batch_size ${String(v)}`);
  return Math.min(n, MAX_BATCH);
}

/** Thanos applies shard_info when total_shards >= 1. */
function shardOf(info: PbSeriesRequest['shard_info']): SeriesShard | null {
  if (info === null) return null;
  const total = Number(info.total_shards);
  const index = Number(info.shard_index);
  if (total < 1) return null;
  if (!Number.isSafeInteger(total) || !Number.isSafeInteger(index) || index < 0 || index >= total) {
    throw new BadRequest(`invalid shard_info: shard_index ${String(info.shard_index)} of total_shards ${String(info.total_shards)}`);
  }
  return { index, total, by: info.by, labels: info.labels };
}

function partialResponse(strategy: number, disabled: boolean): boolean {
  return strategy !== PartialResponseStrategy.ABORT && !disabled;
}

export function storeService(ctx: StoreApiContext): UntypedServiceImplementation {
  return {
    Series: (call: ServerWritableStream<PbSeriesRequest, Buffer>) => void serveSeries(ctx, call),
    LabelNames: (call: ServerUnaryCall<PbLabelNamesRequest, PbLabelNamesResponse>, done: sendUnaryData<PbLabelNamesResponse>) =>
      void unary(call, done, () => labelNames(ctx, call)),
    LabelValues: (call: ServerUnaryCall<PbLabelValuesRequest, PbLabelValuesResponse>, done: sendUnaryData<PbLabelValuesResponse>) =>
      void unary(call, done, () => labelValues(ctx, call)),
    Info: (_call: ServerUnaryCall<object, PbLegacyInfoResponse>, done: sendUnaryData<PbLegacyInfoResponse>) => {
      const info = infoResponse(ctx);
      done(null, { labels: [], min_time: info.store!.min_time, max_time: info.store!.max_time, storeType: 1, label_sets: info.label_sets });
    },
  };
}

export function infoService(ctx: StoreApiContext): UntypedServiceImplementation {
  return {
    Info: (_call: ServerUnaryCall<object, PbInfoResponse>, done: sendUnaryData<PbInfoResponse>) => done(null, infoResponse(ctx)),
  };
}

/** Component `query`: the union of the reachable label sets and time ranges. */
function infoResponse(ctx: StoreApiContext): PbInfoResponse {
  const drop = new Set(ctx.serveDeduplicated ? ctx.replicaLabels : []);
  const sets = new Map<string, Labels>();
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const s of ctx.stores.stores) {
    const st = s.status();
    if (!st.queryable || st.minTime > st.maxTime) continue;
    minTime = Math.min(minTime, st.minTime);
    maxTime = Math.max(maxTime, st.maxTime);
    for (const ls of s.labelSets()) {
      const out = drop.size > 0 ? dropLabels(ls, drop) : ls;
      if (out.length > 0) sets.set(labelsKey(out), out);
    }
  }
  if (minTime > maxTime) {
    // Nothing reachable yet: announce no data rather than all time.
    minTime = 0;
    maxTime = -1;
  }
  const label_sets: PbLabelSet[] = [...sets.values()].sort(compareLabels).map((ls) => ({ labels: ls.map((l) => ({ name: l.name, value: l.value })) }));
  return {
    label_sets,
    ComponentType: 'query',
    store: {
      min_time: timeToInt64(minTime),
      max_time: timeToInt64(maxTime),
      supports_sharding: true,
      supports_without_replica_labels: true,
      tsdb_infos: [],
    },
  };
}

async function unary<Req, Res>(call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>, work: () => Promise<Res>): Promise<void> {
  try {
    done(null, await work());
  } catch (err) {
    done(err instanceof BadRequest ? grpcError(GrpcStatus.INVALID_ARGUMENT, err.message) : toGrpcError(err));
  }
  void call;
}

/** Aborted when the client cancels or its deadline (or --query.timeout) passes. */
function callSignal(ctx: StoreApiContext, call: { on(event: 'cancelled', f: () => void): unknown; getDeadline(): Date | number }): { signal: AbortSignal; timeoutMs: number; dispose(): void } {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(Object.assign(new Error('query was canceled'), { name: 'AbortError' })));
  const d = call.getDeadline();
  const deadline = d instanceof Date ? d.getTime() : d;
  let timeoutMs = ctx.queryTimeout;
  if (Number.isFinite(deadline)) timeoutMs = Math.min(timeoutMs > 0 ? timeoutMs : Infinity, Math.max(1, deadline - Date.now()));
  let timer: NodeJS.Timeout | null = null;
  if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => controller.abort(Object.assign(new Error('query timed out'), { name: 'TimeoutError' })), timeoutMs);
    timer.unref();
  }
  return {
    signal: controller.signal,
    timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : 0,
    dispose: () => {
      if (timer !== null) clearTimeout(timer);
    },
  };
}

function dedupPolicy(ctx: StoreApiContext, withoutReplicaLabels: readonly string[]): DedupPolicy {
  return {
    replicaLabels: new Set([...ctx.replicaLabels, ...withoutReplicaLabels]),
    enabled: ctx.serveDeduplicated,
    func: ctx.dedupFunc,
  };
}

async function serveSeries(ctx: StoreApiContext, call: ServerWritableStream<PbSeriesRequest, Buffer>): Promise<void> {
  const req = call.request;
  let task: QueryTask;
  let policy: FanoutPolicy;
  const sig = callSignal(ctx, call);
  try {
    const matchers = matchersOf(req.matchers);
    if (matchers.length === 0) throw new BadRequest('no matchers specified');
    const { minTime, maxTime } = timeRange(req.min_time, req.max_time);
    const limit = Number(req.limit);
    if (!Number.isSafeInteger(limit) || limit < 0) throw new BadRequest(`invalid limit ${String(req.limit)}`);
    const partial = partialResponse(req.partial_response_strategy, req.partial_response_disabled);
    const h = req.query_hints;
    const dedup = dedupPolicy(ctx, req.without_replica_labels);
    task = {
      kind: 'series',
      query: '',
      start: minTime,
      end: maxTime,
      step: 0,
      lookbackDelta: 0,
      compat: ctx.compat(),
      annotations: false,
      timeoutMs: sig.timeoutMs,
      replicaLabels: [...dedup.replicaLabels],
      dedup: dedup.enabled,
      dedupFunc: dedup.func,
      partialResponse: partial,
      series: {
        matchers: matchers.map((m) => ({ type: m.type, name: m.name, value: m.value })),
        hints: {
          start: minTime,
          end: maxTime,
          step: Number(h?.step_millis ?? 0),
          func: h?.func?.name ?? '',
          range: Number(h?.range?.millis ?? 0),
          grouping: h?.grouping?.labels ?? [],
          by: h?.grouping?.by ?? false,
        },
        // Merged series carry no replica label; raw ones lose the requested labels at encoding.
        withoutReplicaLabels: dedup.enabled ? [] : req.without_replica_labels,
        limit,
        skipChunks: req.skip_chunks,
        batchSize: batchSize(req.response_batch_size),
        shard: shardOf(req.shard_info),
      },
    };
    policy = {
      partialResponse: partial,
      storeTimeout: ctx.storeResponseTimeout,
      // Endpoints below may drop replica labels only when this server merges (raw mode keeps them apart).
      withoutReplicaLabels: dedup.enabled ? [...dedup.replicaLabels] : [],
      maxSourceResolution: Number(req.max_resolution_window),
    };
  } catch (err) {
    sig.dispose();
    call.emit('error', err instanceof BadRequest ? grpcError(GrpcStatus.INVALID_ARGUMENT, err.message) : toGrpcError(err));
    return;
  }
  const started = performance.now();
  let stats: QueryStats | null = null;
  let status = grpcCodeName(GrpcStatus.OK);
  try {
    await ctx.gate.run(async () => {
      if (task.series!.skipChunks) return await writeLabelsOnly(ctx, call, task, policy, sig.signal);
      const outcome = await ctx.runQuery(task, policy, sig.signal);
      stats = outcome.stats;
      await writeFrames(call, outcome.body, sig.signal);
    }, sig.signal);
    call.end();
  } catch (err) {
    if (err instanceof QueryFailure) stats = err.stats;
    const e = toGrpcError(err);
    status = grpcCodeName(e.code);
    if (!call.cancelled) call.emit('error', e);
  } finally {
    sig.dispose();
    const s = stats as QueryStats | null;
    // One line per Series call, as per query: what was asked, how long it took, what it read.
    ctx.logger.info('series', {
      matchers: `{${task.series!.matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(',')}}`,
      start: task.start,
      end: task.end,
      skip_chunks: task.series!.skipChunks,
      dedup: task.dedup,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      series: s?.series,
      samples: s?.samples,
      endpoints: s?.endpoints,
      // Inside the worker: waiting for the endpoints, decoding, everything until encoded.
      fetch_ms: s?.fetchMs,
      worker_ms: s?.totalMs,
      status,
    });
  }
}

/**
 * skip_chunks: the label sets come from the endpoints' series APIs (no samples are read), and
 * the small frames are encoded here.
 */
async function writeLabelsOnly(
  ctx: StoreApiContext,
  call: ServerWritableStream<PbSeriesRequest, Buffer>,
  task: QueryTask,
  policy: FanoutPolicy,
  signal: AbortSignal,
): Promise<void> {
  const spec = task.series!;
  const matchers = spec.matchers.map((m) => new LabelMatcher(m.type, m.name, m.value));
  const dedup: DedupPolicy = { replicaLabels: new Set(task.replicaLabels), enabled: task.dedup, func: task.dedupFunc };
  const answer = await ctx.metadata.series({ minTime: task.start, maxTime: task.end, matchers: [matchers], limit: 0 }, policy, dedup, signal);
  if (answer.warnings.length > 0 && !task.partialResponse) throw new PromQLError('execution', answer.warnings[0]!, ErrorCodes.ENDPOINT);
  const series = answer.items.map((labels) => ({ labels, samples: NO_SAMPLES }));
  const frames = seriesAnswerFrames(series, answer.warnings, { ...spec, skipChunks: true });
  for (const f of frames) {
    if (!call.write(Buffer.from(f.buffer, f.byteOffset + LENGTH_PREFIX_BYTES, f.length - LENGTH_PREFIX_BYTES))) await drained(call, signal);
  }
}

const NO_SAMPLES = { timestamps: new Float64Array(0), values: new Float64Array(0), stale: null };

/**
 * Writes the worker's length-prefixed frames as gRPC messages. The worker's parts hold whole
 * frames. Whenever the call's buffer is full the body is paused until 'drain', so a slow client
 * holds back the worker (through the body's acks) instead of making this process buffer the whole
 * answer. The body is read by 'data' events: an async iterator would join buffered parts (a copy).
 */
async function writeFrames(call: ServerWritableStream<PbSeriesRequest, Buffer>, body: Uint8Array | Readable, signal: AbortSignal): Promise<void> {
  const writePart = (piece: Uint8Array): boolean => {
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    let pos = 0;
    let room = true;
    while (pos < buf.length) {
      if (buf.length - pos < LENGTH_PREFIX_BYTES) throw new Error('internal: Series answer part ends inside a frame');
      const n = buf.readUInt32LE(pos);
      const end = pos + LENGTH_PREFIX_BYTES + n;
      if (end > buf.length) throw new Error('internal: Series answer part ends inside a frame');
      room = call.write(buf.subarray(pos + LENGTH_PREFIX_BYTES, end)) && room;
      pos = end;
    }
    return room;
  };
  if (body instanceof Uint8Array) {
    if (!writePart(body)) await drained(call, signal);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let ended = false;
    const fail = (err: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      body.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    body.on('data', (piece: Buffer) => {
      try {
        if (writePart(piece)) return;
        body.pause();
        drained(call, signal).then(() => body.resume(), fail);
      } catch (err) {
        fail(err);
      }
    });
    body.once('end', () => {
      ended = true;
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    body.once('error', fail);
    // Destroyed without an error (the query was cancelled under it): no 'end' comes.
    body.once('close', () => {
      if (!ended) fail(new Error('query was canceled'));
    });
  });
}

function drained(call: ServerWritableStream<PbSeriesRequest, Buffer>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      call.off('drain', onDrain);
      reject(signal.reason);
    };
    const onDrain = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    if (signal.aborted) return reject(signal.reason);
    call.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function labelsRequest(req: PbLabelNamesRequest) {
  const { minTime, maxTime } = timeRange(req.start, req.end);
  const limit = Number(req.limit);
  if (!Number.isSafeInteger(limit) || limit < 0) throw new BadRequest(`invalid limit ${String(req.limit)}`);
  const matchers = matchersOf(req.matchers);
  return {
    request: { minTime, maxTime, matchers: matchers.length > 0 ? [matchers] : [], limit },
    policy: {
      partialResponse: partialResponse(req.partial_response_strategy, req.partial_response_disabled),
      storeTimeout: 0,
    } satisfies FanoutPolicy,
  };
}

async function labelNames(ctx: StoreApiContext, call: ServerUnaryCall<PbLabelNamesRequest, PbLabelNamesResponse>): Promise<PbLabelNamesResponse> {
  const { request, policy } = labelsRequest(call.request);
  const sig = callSignal(ctx, call);
  try {
    const drop = new Set(call.request.without_replica_labels);
    const answer = await ctx.metadata.labelNames(request, { ...policy, storeTimeout: ctx.storeResponseTimeout }, dedupPolicy(ctx, []), sig.signal);
    const names = answer.items.filter((n) => !drop.has(n)).sort(compareStrings);
    return { names, warnings: answer.warnings };
  } finally {
    sig.dispose();
  }
}

async function labelValues(ctx: StoreApiContext, call: ServerUnaryCall<PbLabelValuesRequest, PbLabelValuesResponse>): Promise<PbLabelValuesResponse> {
  const r = call.request;
  if (r.label === '') throw new BadRequest('label name is required');
  const { request, policy } = labelsRequest(r);
  if (r.without_replica_labels.includes(r.label)) return { values: [], warnings: [] };
  const sig = callSignal(ctx, call);
  try {
    const answer = await ctx.metadata.labelValues(r.label, request, { ...policy, storeTimeout: ctx.storeResponseTimeout }, dedupPolicy(ctx, []), sig.signal);
    return { values: answer.items, warnings: answer.warnings };
  } finally {
    sig.dispose();
  }
}
