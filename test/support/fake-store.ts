/**
 * A fake Thanos StoreAPI endpoint for tests, written on @grpc/grpc-js and @grpc/proto-loader
 * directly (none of promdedup's server code): thanos.info.Info/Info, the legacy thanos.Store/Info,
 * thanos.Store/Series, LabelNames and LabelValues, each configurable per test and changeable while
 * it runs (`configure`). Every request is recorded, so tests can assert what promdedup asked for.
 *
 * Series answers are plain objects serialized by proto-loader (so the bytes come from protobufjs,
 * not from promdedup's series-codec); chunk data is XOR-encoded with src/chunkenc/xor.ts.
 * A plan can stall after N frames (the call never completes until the client cancels it), end in
 * a gRPC error, or pause between frames.
 */
import { Metadata, Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { encodeXorChunk } from '../../src/chunkenc/xor.js';
import { repoRoot } from './querier-process.js';

export type LabelMap = Readonly<Record<string, string>>;

/** Samples of one chunk: timestamps (ms) and values, same length. */
export interface ChunkSamples {
  readonly t: readonly number[];
  readonly v: readonly number[];
}

/**
 * One thanos.AggrChunk. A raw chunk, or downsampled aggregates (any of count/sum/min/max/counter).
 * minTime/maxTime default to the first and last timestamp over all the parts.
 */
export interface FakeChunk {
  readonly minTime?: number;
  readonly maxTime?: number;
  readonly raw?: ChunkSamples;
  /** Chunk.Encoding of the raw chunk (XOR=0, HISTOGRAM=1, FLOAT_HISTOGRAM=2); default XOR. */
  readonly rawType?: number;
  readonly count?: ChunkSamples;
  readonly sum?: ChunkSamples;
  readonly min?: ChunkSamples;
  readonly max?: ChunkSamples;
  readonly counter?: ChunkSamples;
}

export interface FakeSeries {
  /** Written in the order given (StoreAPI wants them sorted by name: tests may break that on purpose). */
  readonly labels: LabelMap;
  readonly chunks: readonly FakeChunk[];
}

export type FakeFrame = { readonly series: FakeSeries } | { readonly warning: string } | { readonly batch: readonly FakeSeries[] };

export interface SeriesPlan {
  readonly frames: readonly FakeFrame[];
  /** After this many frames, send nothing more and never complete (until the client cancels). */
  readonly stallAfter?: number;
  /** After the frames, fail the call with this status instead of completing it. */
  readonly error?: { readonly code: GrpcStatus; readonly details: string };
  /** Pause before each frame, ms. */
  readonly delayMs?: number;
}

/** The decoded request, as proto-loader gives it (int64 as decimal strings, enums as numbers). */
export interface RecordedSeriesRequest {
  min_time: string;
  max_time: string;
  matchers: { type: number; name: string; value: string }[];
  max_resolution_window: string;
  aggregates: number[];
  partial_response_disabled: boolean;
  partial_response_strategy: number;
  skip_chunks: boolean;
  query_hints: {
    step_millis: string;
    func: { name: string } | null;
    grouping: { by: boolean; labels: string[] } | null;
    range: { millis: string } | null;
  } | null;
  without_replica_labels: string[];
  limit: string;
  response_batch_size: string;
}

export interface RecordedLabelsRequest {
  label?: string;
  partial_response_disabled: boolean;
  partial_response_strategy: number;
  start: string;
  end: string;
  matchers: { type: number; name: string; value: string }[];
  without_replica_labels: string[];
  limit: string;
}

export interface FakeInfo {
  readonly labelSets?: readonly LabelMap[];
  readonly componentType?: string;
  /** int64 ms; default Go's MinInt64 / MaxInt64 (all time). */
  readonly minTime?: number | string;
  readonly maxTime?: number | string;
  readonly supportsWithoutReplicaLabels?: boolean;
}

/** A failing Info: the gRPC status to answer with. */
export interface FailingInfo {
  readonly fail: GrpcStatus;
  readonly details?: string;
}

export interface LegacyInfo {
  readonly labelSets?: readonly LabelMap[];
  readonly minTime?: number | string;
  readonly maxTime?: number | string;
  /** StoreType: QUERY=1 RULE=2 SIDECAR=3 STORE=4 RECEIVE=5 DEBUG=6. */
  readonly storeType?: number;
}

export interface FakeStoreOptions {
  /** thanos.info.Info/Info. Default: a sidecar for all time with no label sets. */
  readonly info?: FakeInfo | FailingInfo;
  /** thanos.Store/Info (removed in Thanos v0.37). Default: UNIMPLEMENTED. */
  readonly legacyInfo?: LegacyInfo | FailingInfo;
  /** Series answer: fixed, or chosen per request. Default: no series. */
  readonly series?: SeriesPlan | ((req: RecordedSeriesRequest) => SeriesPlan);
  readonly labelNames?: (req: RecordedLabelsRequest) => { names: string[]; warnings?: string[] } | FailingInfo;
  readonly labelValues?: (req: RecordedLabelsRequest) => { values: string[]; warnings?: string[] } | FailingInfo;
  /** Serve TLS; with clientCa, client certificates signed by it are required. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa?: Buffer };
}

export interface FakeStore {
  /** 127.0.0.1:port, as --endpoint takes it. */
  readonly address: string;
  readonly port: number;
  readonly seriesRequests: RecordedSeriesRequest[];
  readonly labelNamesRequests: RecordedLabelsRequest[];
  readonly labelValuesRequests: RecordedLabelsRequest[];
  readonly calls: { info: number; legacyInfo: number };
  /** Series calls the client cancelled before they completed, and ones that completed. */
  readonly seriesCancelled: number;
  readonly seriesCompleted: number;
  /** Replaces parts of the behaviour (takes effect on the next call). */
  configure(opts: Partial<FakeStoreOptions>): void;
  /** Forgets the recorded requests and counters. */
  reset(): void;
  stop(): Promise<void>;
}

let definition: ReturnType<typeof loadSync> | null = null;

function protoDefinition(): ReturnType<typeof loadSync> {
  definition ??= loadSync(['thanos/store/storepb/rpc.proto', 'thanos/info/infopb/rpc.proto'], {
    includeDirs: [join(repoRoot(), 'proto')],
    keepCase: true,
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  return definition;
}

const GO_MIN_INT64 = '-9223372036854775808';
const GO_MAX_INT64 = '9223372036854775807';

const isFailing = (x: object): x is FailingInfo => 'fail' in x;

function grpcError(code: GrpcStatus, details: string): Error & { code: GrpcStatus; details: string; metadata: Metadata } {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

const pbLabels = (m: LabelMap) => Object.entries(m).map(([name, value]) => ({ name, value }));

function xor(c: ChunkSamples | undefined, type = 0) {
  if (c === undefined) return null;
  return { type, data: Buffer.from(encodeXorChunk(c.t, c.v)), hash: '0' };
}

function pbChunk(c: FakeChunk) {
  const parts = [c.raw, c.count, c.sum, c.min, c.max, c.counter].filter((p): p is ChunkSamples => p !== undefined);
  const ts = parts.flatMap((p) => [...p.t]);
  return {
    min_time: c.minTime ?? (ts.length > 0 ? Math.min(...ts) : 0),
    max_time: c.maxTime ?? (ts.length > 0 ? Math.max(...ts) : 0),
    raw: xor(c.raw, c.rawType ?? 0),
    count: xor(c.count),
    sum: xor(c.sum),
    min: xor(c.min),
    max: xor(c.max),
    counter: xor(c.counter),
  };
}

function pbSeries(s: FakeSeries) {
  return { labels: pbLabels(s.labels), chunks: s.chunks.map(pbChunk) };
}

function pbFrame(f: FakeFrame) {
  if ('warning' in f) return { warning: f.warning };
  if ('batch' in f) return { batch: { series: f.batch.map(pbSeries) } };
  return { series: pbSeries(f.series) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFakeStore(initial: FakeStoreOptions = {}): Promise<FakeStore> {
  const def = protoDefinition();
  let opts: FakeStoreOptions = { ...initial };
  const seriesRequests: RecordedSeriesRequest[] = [];
  const labelNamesRequests: RecordedLabelsRequest[] = [];
  const labelValuesRequests: RecordedLabelsRequest[] = [];
  const calls = { info: 0, legacyInfo: 0 };
  let seriesCancelled = 0;
  let seriesCompleted = 0;

  const infoImpl = {
    Info: (_call: ServerUnaryCall<object, unknown>, done: sendUnaryData<unknown>) => {
      calls.info++;
      const info = opts.info ?? {};
      if (isFailing(info)) return done(grpcError(info.fail, info.details ?? 'fake store: Info fails'));
      done(null, {
        label_sets: (info.labelSets ?? []).map((ls) => ({ labels: pbLabels(ls) })),
        ComponentType: info.componentType ?? 'sidecar',
        store: {
          min_time: info.minTime ?? GO_MIN_INT64,
          max_time: info.maxTime ?? GO_MAX_INT64,
          supports_sharding: false,
          supports_without_replica_labels: info.supportsWithoutReplicaLabels ?? false,
          tsdb_infos: [],
        },
      });
    },
  };

  const storeImpl = {
    Info: (_call: ServerUnaryCall<object, unknown>, done: sendUnaryData<unknown>) => {
      calls.legacyInfo++;
      const legacy = opts.legacyInfo ?? { fail: GrpcStatus.UNIMPLEMENTED, details: 'unknown method Info for service thanos.Store' };
      if (isFailing(legacy)) return done(grpcError(legacy.fail, legacy.details ?? 'fake store: legacy Info fails'));
      done(null, {
        labels: [],
        min_time: legacy.minTime ?? GO_MIN_INT64,
        max_time: legacy.maxTime ?? GO_MAX_INT64,
        storeType: legacy.storeType ?? 3,
        label_sets: (legacy.labelSets ?? []).map((ls) => ({ labels: pbLabels(ls) })),
      });
    },
    Series: (call: ServerWritableStream<RecordedSeriesRequest, unknown>) => {
      const req = call.request;
      seriesRequests.push(req);
      const plan = typeof opts.series === 'function' ? opts.series(req) : (opts.series ?? { frames: [] });
      let cancelled = false;
      call.on('cancelled', () => {
        if (!cancelled) seriesCancelled++;
        cancelled = true;
      });
      void (async () => {
        for (let i = 0; i < plan.frames.length; i++) {
          if (plan.stallAfter !== undefined && i >= plan.stallAfter) break;
          if (plan.delayMs !== undefined) await sleep(plan.delayMs);
          if (cancelled) return;
          call.write(pbFrame(plan.frames[i]!));
        }
        if (plan.stallAfter !== undefined) return; // never completes: the client has to cancel
        if (cancelled) return;
        if (plan.error !== undefined) {
          call.emit('error', grpcError(plan.error.code, plan.error.details));
          return;
        }
        seriesCompleted++;
        call.end();
      })();
    },
    LabelNames: (call: ServerUnaryCall<RecordedLabelsRequest, unknown>, done: sendUnaryData<unknown>) => {
      labelNamesRequests.push(call.request);
      const res = opts.labelNames?.(call.request) ?? { names: [] };
      if (isFailing(res)) return done(grpcError(res.fail, res.details ?? 'fake store: LabelNames fails'));
      done(null, { names: res.names, warnings: res.warnings ?? [] });
    },
    LabelValues: (call: ServerUnaryCall<RecordedLabelsRequest, unknown>, done: sendUnaryData<unknown>) => {
      labelValuesRequests.push(call.request);
      const res = opts.labelValues?.(call.request) ?? { values: [] };
      if (isFailing(res)) return done(grpcError(res.fail, res.details ?? 'fake store: LabelValues fails'));
      done(null, { values: res.values, warnings: res.warnings ?? [] });
    },
  };

  const server = new Server();
  server.addService(def['thanos.Store'] as unknown as ServiceDefinition, storeImpl);
  server.addService(def['thanos.info.Info'] as unknown as ServiceDefinition, infoImpl);
  const tls = initial.tls;
  const creds =
    tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.clientCa !== undefined);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', creds, (err, p) => (err !== null ? reject(err) : resolve(p))),
  );

  let stopped: Promise<void> | null = null;
  return {
    address: `127.0.0.1:${port}`,
    port,
    seriesRequests,
    labelNamesRequests,
    labelValuesRequests,
    calls,
    get seriesCancelled() {
      return seriesCancelled;
    },
    get seriesCompleted() {
      return seriesCompleted;
    },
    configure(next) {
      opts = { ...opts, ...next };
    },
    reset() {
      seriesRequests.length = 0;
      labelNamesRequests.length = 0;
      labelValuesRequests.length = 0;
      calls.info = 0;
      calls.legacyInfo = 0;
      seriesCancelled = 0;
      seriesCompleted = 0;
    },
    stop() {
      // Stalled calls never finish: cut them.
      stopped ??= new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      });
      return stopped;
    },
  };
}

/** Whether a label set matches every matcher of a request (a missing label is ""), as a TSDB would. */
export function matchesRequest(labels: LabelMap, matchers: readonly { type: number; name: string; value: string }[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.type) {
      case 0:
        return v === m.value;
      case 1:
        return v !== m.value;
      case 2:
        return new RegExp(`^(?:${m.value})$`, 's').test(v);
      default:
        return !new RegExp(`^(?:${m.value})$`, 's').test(v);
    }
  });
}

/** The frames a store would send for the request: series not matching its matchers left out (order kept). */
export function selectFrames(req: RecordedSeriesRequest, frames: readonly FakeFrame[]): FakeFrame[] {
  const out: FakeFrame[] = [];
  for (const f of frames) {
    if ('warning' in f) out.push(f);
    else if ('batch' in f) {
      const batch = f.batch.filter((s) => matchesRequest(s.labels, req.matchers));
      if (batch.length > 0) out.push({ batch });
    } else if (matchesRequest(f.series.labels, req.matchers)) out.push(f);
  }
  return out;
}

/** Samples t0 + i*stepMs for the given indices, value f(i). */
export function samplesAt(t0: number, stepMs: number, indices: readonly number[], f: (i: number) => number): ChunkSamples {
  return { t: indices.map((i) => t0 + i * stepMs), v: indices.map(f) };
}

/** [from, to) as an array. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Polls `cond` every 20 ms until it holds or `ms` pass; resolves to its last value. */
export async function eventually(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}
