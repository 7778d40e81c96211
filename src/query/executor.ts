/**
 * The worker side of a query: parses and plans it, asks the main thread for all its selects in one
 * batch, decodes the endpoints' bytes as they arrive (counting samples against the limits before
 * anything is allocated for them), merges replicas, evaluates and encodes the JSON body. Runs in a
 * query worker thread; talks to the main thread only through `post`.
 */
import type { TransferListItem } from 'node:worker_threads';
import { dedupSeries, groupReplicas, isCounterFunc, STABLE_NEIGHBOURHOOD_MS, type DedupInput, type SeriesProvenance } from '../dedup/index.js';
import { provenanceField, type SelectProvenance } from './provenance-json.js';
import { analysisField } from './analysis-json.js';
import { labelsFromRecord } from '../model/labels.js';
import { LabelMatcher } from '../model/matcher.js';
import { normaliseStale, type Series } from '../model/samples.js';
import { Engine } from '../promql/engine.js';
import { PromQLError } from '../promql/errors.js';
import { tooManySamples } from '../promql/eval/context.js';
import { describeError, ErrorCodes } from '../model/errors.js';
import { queryDataPieces, successBodyPieces, withDataFields } from '../promql/json.js';
import type { QueryResult } from '../promql/types.js';
import type { Querier, SelectHints, SelectResult } from '../storage/querier.js';
import { applyExternalLabels, relabelSeries } from '../store/prometheus/external-labels.js';
import { EncodedSeries, type ReadBudget } from '../store/prometheus/messages.js';
import { ReadDecoder } from '../store/prometheus/read-decoder.js';
import { aggregatesForFunc } from '../store/grpc/downsample.js';
import { SeriesStreamDecoder } from '../store/grpc/series-decoder.js';
import type { FromWorker, QueryStats, QueryTask, SeriesTaskSpec, StreamBegin, ToWorker, WireSelect, WorkerSettings } from './protocol.js';
import { taskSteps } from './inline.js';
import { seriesAnswerFrames, type AnswerSeries } from '../store/grpc/series-encoder.js';

type Post = (msg: FromWorker, transfer?: TransferListItem[]) => void;

export class QueryExecutor {
  private readonly engine: Engine;
  private current: TaskRun | null = null;
  private collecting = false;

  /**
   * `inlineMaxCost` > 0: this executor runs on the main thread (inline.ts): a task whose decoded
   * samples + series × steps exceed it fails with `retry` set, and memory is left to the main
   * thread's own collector (no gc(), no heap reports).
   */
  constructor(
    private readonly settings: WorkerSettings,
    private readonly cancelFlag: Int32Array,
    private readonly post: Post,
    private readonly inlineMaxCost = 0,
  ) {
    this.engine = new Engine(
      {
        lookbackDelta: settings.lookbackDelta,
        defaultEvaluationInterval: settings.defaultEvaluationInterval,
        maxSamples: settings.maxSamples,
        enableExperimentalFunctions: false,
      },
      { delayedNameRemoval: settings.delayedNameRemoval },
    );
  }

  /**
   * Runs a few small queries on made-up data through parse, dedup, evaluation and encoding, so the
   * first real query on this worker does not pay for compiling all of it (on a loaded machine a
   * fresh worker's first `1+1` took half a second).
   */
  async warmUp(): Promise<void> {
    const start = 1_000_000_000_000;
    const series: Series[] = [];
    for (let i = 0; i < 8; i++) {
      for (const replica of ['a', 'b']) {
        const n = 80;
        const timestamps = new Float64Array(n);
        const values = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          timestamps[k] = start + k * 15_000 + (replica === 'b' ? 1_000 : 0);
          values[k] = k * (i + 1);
        }
        series.push({ labels: labelsFromRecord({ __name__: 'w', instance: `i${i}`, job: `j${i % 2}`, replica }), samples: { timestamps, values, stale: null } });
      }
    }
    const replicaLabels = new Set(['replica']);
    const querier: Querier = {
      select: async (matchers, hints) => ({
        series: dedupSeries(
          series.filter((s) => matchers.every((m) => m.matches(s.labels.find((l) => l.name === m.name)?.value ?? ''))),
          replicaLabels,
          { func: 'penalty', counter: isCounterFunc(hints.func) },
        ),
        warnings: [],
      }),
    };
    const opts = { compat: '3' as const, lookbackDelta: 0, signal: new AbortController().signal };
    const end = start + 79 * 15_000;
    for (const q of ['sum by (job) (rate(w[5m]))', 'w', 'topk(3, w) * on (instance) group_left w', '1+1', 'max_over_time(w[10m:1m])']) {
      encodeBody(await this.engine.rangeQuery(querier, q, start + 600_000, end, 30_000, opts));
      encodeBody(await this.engine.instantQuery(querier, q, end, opts));
    }
  }

  private releaseMemory(): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (this.collecting || gc === undefined || heapBytes() < COLLECT_ABOVE_BYTES) return;
    this.collecting = true;
    setImmediate(() => {
      this.collecting = false;
      if (this.current !== null) return; // the next query started: its own end collects
      gc();
      this.post({ type: 'heap', bytes: heapBytes() });
    });
  }

  handle(msg: ToWorker): void {
    if (msg.type === 'query') {
      const flag = this.cancelFlag;
      const id = msg.id;
      const run = new TaskRun(id, msg.task, this.settings, this.post, () => Atomics.load(flag, 0) === id, this.inlineMaxCost);
      this.current = run;
      void run.execute(this.engine).finally(() => {
        if (this.current === run) this.current = null;
        if (this.inlineMaxCost <= 0) this.releaseMemory();
      });
      return;
    }
    if (msg.type === 'cancel') {
      if (this.current?.id === msg.id) this.current.cancel();
      return;
    }
    if (msg.type === 'body-ack') {
      if (this.current?.id === msg.id) this.current.bodyAck(msg.bytes);
      return;
    }
    this.current?.handle(msg);
  }
}

interface PendingSelect {
  readonly select: WireSelect;
  readonly matchers: readonly LabelMatcher[];
  readonly resolve: (r: SelectAnswer) => void;
  readonly reject: (err: unknown) => void;
}

/** A select's result; a raw StoreAPI answer also gets the series with their chunks as they came. */
interface SelectAnswer extends SelectResult {
  readonly answer?: AnswerSeries[];
}

interface Batch {
  readonly id: number;
  /** Unique selects; `waiters[i]` are the engine's calls that asked for select i. */
  readonly selects: WireSelect[];
  readonly matchers: (readonly LabelMatcher[])[];
  readonly waiters: PendingSelect[][];
  settled: boolean;
}

/** Decodes one endpoint read as its bytes arrive: remote read, or StoreAPI Series streams. */
interface ReadStreamDecoder {
  /** True when pushed bytes are not referred to afterwards (their buffer can go back). */
  readonly streamed: boolean;
  push(piece: Uint8Array): void;
  finish(): DecodedResult[];
}

interface DecodedResult {
  readonly series: Series[];
  readonly encoded: EncodedSeries[];
  readonly warnings: string[];
  /** Warnings the endpoint itself sent (StoreAPI warning frames): its answer is partial. */
  readonly partial?: readonly string[];
}

interface Stream {
  readonly begin: StreamBegin;
  readonly batch: Batch;
  readonly decoder: ReadStreamDecoder;
  /** Decoded answers once the body ended cleanly (chunked series still encoded). */
  results: DecodedResult[] | null;
  /** Why this stream's data is dropped; null while it is fine. */
  failed: string | null;
}

/**
 * After a query that left much garbage, collect it now (the worker would otherwise keep its peak
 * until the next query's allocations), then report what remains: the pool replaces a worker whose
 * memory stays high. The pool exposes gc() to its workers.
 */
const COLLECT_ABOVE_BYTES = 64 * 1024 * 1024;

/** One query task in this worker. */
class TaskRun {
  private nextBatch = 0;
  private pending: PendingSelect[] = [];
  private readonly batches = new Map<number, Batch>();
  private readonly streams = new Map<number, Stream>();
  /** Samples fetched per endpoint (the max-samples check: what one replica would load). */
  private readonly endpointSamples = new Map<string, number>();
  /** Series each endpoint sent (analyze=true). */
  private readonly endpointSeries = new Map<string, number>();
  private readonly endpoints = new Set<string>();
  private readonly stats = { selects: 0, reads: 0, series: 0, samples: 0, samplesIn: 0, samplesOut: 0, bytes: 0, fetchMs: 0, dedupMs: 0 };
  private readonly started = performance.now();
  private readonly batchStarted = new Map<number, number>();
  /** The first limit error: fails every select of the query. */
  private fatal: unknown = null;
  /** The engine's signal; cancellation reaches a running query through `interrupted`. */
  private readonly abort = new AbortController();
  private bodyOutstanding = 0;
  private bodyDrained: (() => void) | null = null;
  /** dedup=explain: every select's provenance, in the order the selects were answered. */
  private readonly provenance: SelectProvenance[] = [];

  /** Inline runs (inlineMaxCost > 0): samples + series × steps decoded so far. */
  private inlineCost = 0;
  /** The inline budget was exceeded: the task fails with `retry` (a worker runs it again). */
  private overInlineBudget = false;

  constructor(
    readonly id: number,
    private readonly task: QueryTask,
    private readonly settings: WorkerSettings,
    private readonly post: Post,
    private readonly interrupted: () => boolean,
    private readonly inlineMaxCost = 0,
  ) {}

  /** Counts an endpoint's series and samples against the inline budget (inline runs only). */
  addInlineCost(series: number, samples: number): void {
    if (this.inlineMaxCost <= 0) return;
    this.inlineCost += samples + series * taskSteps(this.task);
    if (this.inlineCost > this.inlineMaxCost) {
      this.overInlineBudget = true;
      throw new PromQLError('execution', 'query too large to run inline');
    }
  }

  /** Heap plus buffers for the pool's recycling decisions; not measured (0) inline. */
  private heap(): number {
    return this.inlineMaxCost > 0 ? 0 : heapBytes();
  }

  /** Fails everything still waiting for endpoints; evaluation itself polls `interrupted`. */
  cancel(): void {
    const err = new PromQLError('canceled', 'query was canceled');
    this.fatal = err;
    for (const b of this.batches.values()) this.failBatch(b, err);
    // A body waiting for acks stops too (it sees the cancel flag next).
    const drained = this.bodyDrained;
    this.bodyDrained = null;
    drained?.();
  }

  async execute(engine: Engine): Promise<void> {
    const t = this.task;
    const querier: Querier = { select: (m, h) => this.select(m, h) };
    const opts = {
      compat: t.compat,
      annotations: t.annotations,
      analyze: t.analyze === true,
      lookbackDelta: t.lookbackDelta,
      signal: this.abort.signal,
      interrupted: this.interrupted,
      ...(t.timeoutMs > 0 ? { deadline: performance.now() + t.timeoutMs } : {}),
    };
    try {
      if (t.kind === 'series') return await this.answerSeries(t.series!);
      const result =
        t.kind === 'instant'
          ? await engine.instantQuery(querier, t.query, t.start, opts)
          : await engine.rangeQuery(querier, t.query, t.start, t.end, t.step, opts);
      if (this.interrupted()) throw new PromQLError('canceled', 'query was canceled');
      if (this.overInlineBudget) throw new PromQLError('execution', 'query too large to run inline');
      await this.sendBody(result);
    } catch (err) {
      const e = err instanceof PromQLError ? err : new PromQLError('internal', err instanceof Error ? err.message : String(err));
      this.post({ type: 'error', id: this.id, kind: e.kind, code: e.code, message: e.message, stats: this.statsNow(), heapBytes: this.heap(), ...(this.overInlineBudget ? { retry: true } : {}) });
    }
  }

  /**
   * Encodes the answer a part at a time: a large body never exists whole, as one string or one
   * buffer, and the main thread starts writing it while the rest is encoded.
   */
  private sendBody(result: QueryResult): Promise<void> {
    const fields: string[] = [];
    if (result.analysis !== undefined) {
      const endpoints = [...this.endpointSeries].map(([endpoint, series]) => ({ endpoint, series, samples: this.endpointSamples.get(endpoint) ?? 0 }));
      endpoints.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
      fields.push(analysisField(result.analysis.tree, result.analysis.evalMs, this.stats.fetchMs, this.stats.dedupMs, endpoints));
    }
    if (this.task.explain === true) fields.push(provenanceField(this.provenance));
    const pieces = successBodyPieces(withDataFields(queryDataPieces(result.value), fields), result.warnings, result.infos);
    return this.sendParts(() => nextChunk(pieces), result.warnings.length > 0);
  }

  /** A StoreAPI Series request: one select, its series encoded as frames. */
  private async answerSeries(spec: SeriesTaskSpec): Promise<void> {
    const matchers = spec.matchers.map((m) => new LabelMatcher(m.type, m.name, m.value));
    const result = await this.select(matchers, spec.hints);
    if (this.interrupted()) throw new PromQLError('canceled', 'query was canceled');
    const frames = seriesAnswerFrames(result.answer ?? result.series, result.warnings, spec);
    await this.sendParts(() => nextPart(frames), result.warnings.length > 0);
  }

  /** Sends the body part by part (`next`), waiting for the main thread's acks above BODY_HIGH_WATER. */
  private async sendParts(next: () => { bytes: Uint8Array; last: boolean }, warned: boolean): Promise<void> {
    let part = next();
    this.post(
      { type: 'head', id: this.id, body: part.bytes, done: part.last, warned, stats: this.statsNow(), heapBytes: part.last ? this.heap() : 0 },
      [part.bytes.buffer as ArrayBuffer],
    );
    this.bodyOutstanding += part.bytes.length;
    if (part.last) return;
    while (!part.last) {
      if (this.bodyOutstanding > BODY_HIGH_WATER) await new Promise<void>((resolve) => (this.bodyDrained = resolve));
      if (this.interrupted()) throw new PromQLError('canceled', 'query was canceled');
      part = next();
      this.bodyOutstanding += part.bytes.length;
      this.post({ type: 'body', id: this.id, bytes: part.bytes }, [part.bytes.buffer as ArrayBuffer]);
    }
    this.post({ type: 'done', id: this.id, heapBytes: this.heap() });
  }

  /** The main thread wrote `bytes` of the body. */
  bodyAck(bytes: number): void {
    this.bodyOutstanding -= bytes;
    if (this.bodyOutstanding <= BODY_HIGH_WATER / 2 && this.bodyDrained !== null) {
      const resolve = this.bodyDrained;
      this.bodyDrained = null;
      resolve();
    }
  }

  /** How much further back than the engine asks the selects read (the stable merge's neighbourhood). */
  private stableWidening(): number {
    const t = this.task;
    return t.dedup && t.replicaLabels.length > 0 && t.dedupFunc === 'stable' ? STABLE_NEIGHBOURHOOD_MS : 0;
  }

  /** The engine's select: collected for one tick, then sent as one batch. */
  private select(matchers: readonly LabelMatcher[], hints: SelectHints): Promise<SelectAnswer> {
    return new Promise<SelectAnswer>((resolve, reject) => {
      if (this.fatal !== null) return reject(this.fatal);
      // The stable merge decides each sample from the replicas' data up to STABLE_NEIGHBOURHOOD_MS
      // before it: read that much more, so the samples in the engine's window do not depend on where
      // the window opened (trimmed back after the merge).
      const wide = this.stableWidening() > 0 ? { ...hints, start: hints.start - STABLE_NEIGHBOURHOOD_MS } : hints;
      const select: WireSelect = { matchers: matchers.map((m) => ({ type: m.type, name: m.name, value: m.value })), hints: wide };
      if (this.pending.length === 0) queueMicrotask(() => this.flush());
      this.pending.push({ select, matchers, resolve, reject });
    });
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = [];
    // Identical selects (same matchers, window and dedup mode) are fetched and decoded once.
    const byKey = new Map<string, number>();
    const batch: Batch = { id: this.nextBatch++, selects: [], matchers: [], waiters: [], settled: false };
    for (const p of pending) {
      const key = selectKey(p.select);
      let i = byKey.get(key);
      if (i === undefined) {
        i = batch.selects.length;
        byKey.set(key, i);
        batch.selects.push(p.select);
        batch.matchers.push(p.matchers);
        batch.waiters.push([]);
      }
      batch.waiters[i]!.push(p);
    }
    this.stats.selects += batch.selects.length;
    this.batches.set(batch.id, batch);
    this.batchStarted.set(batch.id, performance.now());
    this.post({ type: 'select', batch: batch.id, selects: batch.selects });
  }

  handle(msg: ToWorker): void {
    switch (msg.type) {
      case 'stream-begin': {
        const batch = this.batches.get(msg.batch);
        if (batch === undefined) return;
        this.endpoints.add(msg.endpoint);
        this.stats.reads++;
        const budget = new EndpointBudget(this, msg.endpoint, this.settings);
        let decoder: ReadStreamDecoder;
        try {
          decoder = openDecoder(msg, batch.selects, budget);
        } catch (err) {
          this.post({ type: 'stream-cancel', stream: msg.stream });
          this.failBatch(batch, err);
          return;
        }
        this.streams.set(msg.stream, { begin: msg, batch, decoder, results: null, failed: null });
        return;
      }
      case 'stream-data': {
        const s = this.streams.get(msg.stream);
        const n = msg.bytes.length;
        // A streamed body is decoded as it comes (nothing keeps a view of the message afterwards),
        // so its buffer can go back; a SAMPLES body is kept until its end.
        const keeps = s !== undefined && s.failed === null && !s.batch.settled && !s.decoder.streamed;
        if (s !== undefined && s.failed === null && !s.batch.settled) {
          this.stats.bytes += n;
          try {
            s.decoder.push(msg.bytes);
          } catch (err) {
            this.streamFailed(msg.stream, s, err);
          }
        }
        const buffer = keeps || msg.bytes.byteLength !== msg.bytes.buffer.byteLength ? null : (msg.bytes.buffer as ArrayBuffer);
        this.post({ type: 'ack', stream: msg.stream, bytes: n, buffer }, buffer !== null ? [buffer] : []);
        return;
      }
      case 'stream-end': {
        const s = this.streams.get(msg.stream);
        if (s === undefined || s.failed !== null || s.batch.settled) return;
        try {
          s.results = s.decoder.finish();
        } catch (err) {
          this.streamFailed(msg.stream, s, err);
        }
        return;
      }
      case 'stream-error': {
        const s = this.streams.get(msg.stream);
        if (s !== undefined) {
          s.failed = ''; // reported by the main thread's fan-out as the endpoint's failure
          s.results = null;
        }
        return;
      }
      case 'batch-done': {
        const batch = this.batches.get(msg.batch);
        if (batch === undefined || batch.settled) return;
        if (msg.error !== null) return this.failBatch(batch, new PromQLError('execution', msg.error, ErrorCodes.ENDPOINT));
        this.finishBatch(batch, msg.warnings);
        return;
      }
      case 'query':
      case 'cancel':
      case 'body-ack':
        return;
    }
  }

  /** Limit errors fail the query; anything else only drops this endpoint's read. */
  private streamFailed(id: number, s: Stream, err: unknown): void {
    this.post({ type: 'stream-cancel', stream: id });
    if (err instanceof PromQLError) {
      this.fatal = err;
      for (const b of this.batches.values()) this.failBatch(b, err);
      return;
    }
    const what = s.begin.codec === 'thanos-series' ? 'Series' : 'remote read';
    s.failed = `endpoint ${s.begin.endpoint}: ${what}: ${describeError(err)}`;
    s.results = null;
  }

  /** Counts samples of an endpoint for max-samples; throws Prometheus' error over the limit. */
  addEndpointSamples(endpoint: string, n: number): void {
    const total = (this.endpointSamples.get(endpoint) ?? 0) + n;
    this.endpointSamples.set(endpoint, total);
    if (total > this.settings.maxSamples) throw tooManySamples();
  }

  private failBatch(batch: Batch, err: unknown): void {
    if (batch.settled) return;
    batch.settled = true;
    for (const ws of batch.waiters) for (const w of ws) w.reject(err);
    this.dropStreams(batch);
  }

  private dropStreams(batch: Batch): void {
    for (const [id, s] of this.streams) if (s.batch === batch) this.streams.delete(id);
  }

  private finishBatch(batch: Batch, fanoutWarnings: readonly string[]): void {
    batch.settled = true;
    const fetched = performance.now();
    this.stats.fetchMs += fetched - (this.batchStarted.get(batch.id) ?? fetched);
    const t = this.task;
    const perSelect: DedupInput[][] = batch.selects.map(() => []);
    const warnings: string[] = [...fanoutWarnings];
    try {
      for (const s of this.streams.values()) {
        if (s.batch !== batch) continue;
        if (s.failed !== null) {
          if (s.failed === '') continue;
          if (!t.partialResponse) throw new PromQLError('execution', s.failed, ErrorCodes.ENDPOINT);
          warnings.push(s.failed);
          continue;
        }
        if (s.results === null) continue; // never ended: the fan-out reported it
        let stale = false;
        s.results.forEach((r, q) => {
          const i = s.begin.selects[q]!;
          const ext = s.begin.externalLabels;
          const decoded = applyExternalLabels(r.series, ext, batch.matchers[i]!, relabelSeries);
          const encoded = applyExternalLabels(r.encoded, ext, batch.matchers[i]!, (e, ls) => e.withLabels(ls));
          const sent = decoded.series.length + encoded.series.length;
          this.endpointSeries.set(s.begin.endpoint, (this.endpointSeries.get(s.begin.endpoint) ?? 0) + sent);
          stale ||= decoded.stale || encoded.stale;
          for (const x of decoded.series) perSelect[i]!.push(x);
          for (const x of encoded.series) perSelect[i]!.push(x);
          // A StoreAPI warning frame is a partial answer: with partial response off it fails (ABORT).
          if (!t.partialResponse && r.partial !== undefined && r.partial.length > 0) {
            throw new PromQLError('execution', `${s.begin.endpoint}: ${r.partial[0]!}`, ErrorCodes.ENDPOINT);
          }
          for (const w of r.warnings) warnings.push(`${s.begin.endpoint}: ${w}`);
        });
        if (stale) this.post({ type: 'refresh-labels', endpoint: s.begin.endpoint });
      }
    } catch (err) {
      batch.settled = false;
      return this.failBatch(batch, err);
    }
    this.dropStreams(batch);
    const replicaLabels = new Set(t.dedup ? t.replicaLabels : []);
    const dedupOn = replicaLabels.size > 0;
    batch.selects.forEach((sel, i) => {
      const series = perSelect[i]!;
      if (t.kind === 'series' && !dedupOn) {
        this.stats.series += series.length;
        for (const x of series) this.stats.samples += x instanceof EncodedSeries ? x.sampleCount : 'samples' in x ? x.samples.timestamps.length : 0;
        for (const w of batch.waiters[i]!) w.resolve({ series: [], warnings, answer: passThrough(series) });
        return;
      }
      const counted = { samplesIn: 0 };
      // Without dedup only series with equal label sets (the same series from two endpoints) merge.
      const traced: SeriesProvenance[] = [];
      const func = dedupOn ? t.dedupFunc : 'chain';
      const explain = t.explain === true && dedupOn && t.kind !== 'series' ? (p: SeriesProvenance) => void traced.push(p) : undefined;
      const widened = this.stableWidening();
      const asked = sel.hints.start + widened; // the engine's window, before the stable merge's widening
      let merged = dedupSeries(
        series,
        replicaLabels,
        { func, counter: dedupOn && isCounterFunc(sel.hints.func), ...(explain !== undefined ? { explain, ...(widened > 0 ? { explainFrom: asked } : {}) } : {}) },
        counted,
      );
      if (widened > 0) merged = merged.map((s) => trimBefore(s, asked));
      if (explain !== undefined) this.provenance.push({ matchers: batch.matchers[i]!, hints: widened > 0 ? { ...sel.hints, start: asked } : sel.hints, func, series: traced });
      let out = 0;
      for (const s of merged) out += s.samples.timestamps.length;
      // A series whose chunks only overlapped the window has no sample in it: not a result.
      if (merged.some((s) => s.samples.timestamps.length === 0)) merged = merged.filter((s) => s.samples.timestamps.length > 0);
      this.stats.series += series.length;
      this.stats.samples += counted.samplesIn;
      if (dedupOn) {
        this.stats.samplesIn += counted.samplesIn;
        this.stats.samplesOut += out;
      }
      for (const w of batch.waiters[i]!) w.resolve({ series: merged, warnings });
    });
    this.stats.dedupMs += performance.now() - fetched;
  }

  private statsNow(): QueryStats {
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return {
      ...this.stats,
      fetchMs: round(this.stats.fetchMs),
      dedupMs: round(this.stats.dedupMs),
      totalMs: round(performance.now() - this.started),
      endpoints: this.endpoints.size,
    };
  }
}

/** Limits of one endpoint read (Thanos' per-request limits) and its share of max-samples. */
class EndpointBudget implements ReadBudget {
  private series = 0;
  private samples = 0;

  constructor(
    private readonly run: TaskRun,
    private readonly endpoint: string,
    private readonly settings: WorkerSettings,
  ) {}

  reserve(series: number, samples: number): void {
    this.run.addInlineCost(series, samples);
    this.series += series;
    this.samples += samples;
    const s = this.settings;
    if (s.requestSeries > 0 && this.series > s.requestSeries) {
      throw new PromQLError('execution', `exceeded series limit: limit ${s.requestSeries} violated (got ${this.series})`, ErrorCodes.SERIES_LIMIT);
    }
    if (s.requestSamples > 0 && this.samples > s.requestSamples) {
      throw new PromQLError('execution', `exceeded samples limit: limit ${s.requestSamples} violated (got ${this.samples})`, ErrorCodes.SAMPLES_LIMIT);
    }
    if (samples > 0) this.run.addEndpointSamples(this.endpoint, samples);
  }
}

/**
 * The raw answer of a StoreAPI Series request: every series as an endpoint sent it, its chunks
 * passed on undecoded; only a label set that came from several endpoints is decoded and merged
 * (chain: the union of their samples). Sorted by labels.
 */
function passThrough(series: readonly DedupInput[]): AnswerSeries[] {
  const out: AnswerSeries[] = [];
  for (const g of groupReplicas(series, NO_REPLICA_LABELS)) {
    const only = g.replicas.length === 1 ? g.replicas[0]! : null;
    if (only instanceof EncodedSeries) out.push({ labels: g.labels, encoded: only });
    else {
      const [merged] = dedupSeries(g.replicas, NO_REPLICA_LABELS, { func: 'chain', counter: false });
      if (merged !== undefined && merged.samples.timestamps.length > 0) out.push(merged);
    }
  }
  return out;
}

const NO_REPLICA_LABELS: ReadonlySet<string> = new Set();

/** The series without its samples before `from` (views, no copy). */
function trimBefore(s: Series, from: number): Series {
  const ts = s.samples.timestamps;
  let i = 0;
  while (i < ts.length && ts[i]! < from) i++;
  if (i === 0) return s;
  const st = s.samples.stale;
  return { labels: s.labels, samples: { timestamps: ts.subarray(i), values: s.samples.values.subarray(i), stale: st === null ? null : normaliseStale(st.subarray(i)) } };
}

function openDecoder(begin: StreamBegin, selects: readonly WireSelect[], budget: ReadBudget): ReadStreamDecoder {
  const picked = begin.selects.map((i) => selects[i]!.hints);
  if (begin.codec === 'thanos-series') {
    const d = new SeriesStreamDecoder(
      picked.map((h) => ({ mint: h.start, maxt: h.end, aggregates: aggregatesForFunc(h.func) })),
      budget,
    );
    return { streamed: true, push: (piece) => d.push(piece), finish: () => d.finish() };
  }
  const d = new ReadDecoder(
    begin.responseType as 0 | 1,
    begin.contentEncoding,
    picked.map((h) => ({ mint: h.start, maxt: h.end })),
    { budget, keepEncoded: true },
  );
  return { streamed: d.streamed, push: (piece) => d.push(piece), finish: () => d.finish().results };
}

function selectKey(s: WireSelect): string {
  const h = s.hints;
  let key = `${h.start}|${h.end}|${isCounterFunc(h.func) ? 'c' : ''}|${aggregatesForFunc(h.func).join(',')}`;
  for (const m of s.matchers) key += `|${m.name}${m.type}${JSON.stringify(m.value)}`;
  return key;
}

const utf8 = new TextEncoder();

/** Characters of JSON per body message. */
const CHUNK_CHARS = 256 * 1024;
/** Body bytes sent and not yet written out by the main thread, above which encoding waits. */
const BODY_HIGH_WATER = 8 * 1024 * 1024;

/** The next part of the body as UTF-8 in a buffer of its own (transferable); `last` when no more. */
function nextChunk(pieces: Iterator<string>): { bytes: Uint8Array; last: boolean } {
  const parts: string[] = [];
  let chars = 0;
  while (chars < CHUNK_CHARS) {
    const next = pieces.next();
    if (next.done === true) return { bytes: utf8.encode(parts.join('')), last: true };
    parts.push(next.value);
    chars += next.value.length;
  }
  return { bytes: utf8.encode(parts.join('')), last: false };
}

const BODY_PART_BYTES = 256 * 1024;

/** The next part of a byte-piece body, joined into one transferable buffer. */
function nextPart(pieces: Iterator<Uint8Array>): { bytes: Uint8Array; last: boolean } {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  let last = false;
  while (bytes < BODY_PART_BYTES) {
    const next = pieces.next();
    if (next.done === true) {
      last = true;
      break;
    }
    parts.push(next.value);
    bytes += next.value.length;
  }
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { bytes: out, last };
}

/** Encodes the whole body in parts, as sendBody does (the warm-up runs the same code). */
function encodeBody(result: QueryResult): void {
  const pieces = successBodyPieces(queryDataPieces(result.value), result.warnings, result.infos);
  while (!nextChunk(pieces).last);
}

function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapTotal + m.arrayBuffers;
}
