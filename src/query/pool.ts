/**
 * Query worker threads. Each query runs alone in one worker (so one heavy query never delays
 * another's evaluation: the OS shares the cores among busy threads), while the main thread only
 * fans out, moves bytes and writes answers.
 *
 * - Warm spare: a worker is kept idle ahead of demand, so a cheap query never waits for a worker
 *   to start behind heavy ones; up to `max` run at once, more wait for a worker in arrival order.
 * - Cancellation (client gone, timeout) answers the caller at once and raises the worker's shared
 *   cancel flag, which the evaluation polls: the worker stops within milliseconds and stays warm.
 *   One that has not stopped after CANCEL_GRACE_MS (a loop that does not poll) is terminated.
 * - Memory goes back: after a query that left much garbage the worker collects it at once, and a
 *   worker whose memory stays above `recycleBytes` (256 MiB) after that is replaced.
 * - Tiny queries run inline on the main thread instead, with the same executor (inline.ts); one
 *   that turns out to have too much data moves to a worker.
 */
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { PromQLError } from '../promql/errors.js';
import type { Logger } from '../util/log.js';
import type { FanoutPolicy } from './partial.js';
import type { QueryMetrics } from './metrics.js';
import { SEND_BYTES, type Querier, type StreamSink } from './querier.js';
import type { FromWorker, QueryStats, QueryTask, ToWorker, WorkerData, WorkerSettings } from './protocol.js';
import { QueryExecutor } from './executor.js';
import { INLINE_MAX_CONCURRENT, INLINE_MAX_COST, inlineEligible } from './inline.js';

export interface QueryPoolOptions {
  readonly settings: WorkerSettings;
  /** Workers kept started (idle or busy), at least 1. */
  readonly min: number;
  /** Most workers at once; queries beyond wait for one. */
  readonly max: number;
  /** Replace a worker whose heap plus buffers exceed this after a query. */
  readonly recycleBytes?: number;
  /** Idle workers beyond `min` + one spare stop after this long. */
  readonly idleTimeoutMs?: number;
  readonly querier: Querier;
  readonly metrics: QueryMetrics;
  readonly logger: Logger;
  /**
   * Samples + series × steps up to which a tiny query runs on the main thread (inline.ts);
   * default INLINE_MAX_COST, 0 = every query in a worker.
   */
  readonly inlineMaxCost?: number;
}

export interface QueryOutcome {
  /** The whole JSON body, or a stream of it when it is large. */
  readonly body: Uint8Array | Readable;
  readonly warned: boolean;
  readonly stats: QueryStats;
}

/** The query failed in the worker; carries what it had fetched, for the query log. */
export class QueryFailure extends PromQLError {
  constructor(
    err: PromQLError,
    readonly stats: QueryStats | null,
  ) {
    super(err.kind, err.message, err.code);
  }
}

/** Bytes sent to a worker and not yet decoded, above which reading an endpoint pauses. */
const HIGH_WATER_BYTES = 16 * 1024 * 1024;
const DEFAULT_RECYCLE_BYTES = 256 * 1024 * 1024;
const WORKER_STACK_MB = 256;
const MAX_FREE_BUFFERS = 128;
/**
 * The reason the reads of a settled query are stopped with: one shared instance, as building a
 * DOMException (with its stack) per query showed in the main thread's profile.
 */
const QUERY_SETTLED = new DOMException('This operation was aborted', 'AbortError');
/** How long a cancelled query may take to stop before its worker is terminated. */
const CANCEL_GRACE_MS = 100;

/** The compiled worker entry: dist/workers/query.js beside dist/src, or the build's when run from sources (vitest). */
export function queryWorkerFilename(): string {
  const beside = fileURLToPath(new URL('../../workers/query.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/workers/query.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`query worker not found at ${beside} or ${built}; run "npm run build" first`);
}

interface Job {
  readonly id: number;
  readonly policy: FanoutPolicy;
  readonly abort: AbortController;
  readonly resolve: (o: QueryOutcome) => void;
  readonly reject: (err: unknown) => void;
  readonly cancelledStreams: Set<number>;
  outstanding: number;
  drainWaiters: (() => void)[];
  /** The body being streamed, once the head arrived with more to come. */
  body: BodyStream | null;
}

/**
 * A large body as the worker sends it. Each part is acknowledged once the response has taken it
 * (a slow client slows the worker's encoding instead of filling the main thread's memory); when the
 * response stops reading (client gone), the query is cancelled.
 */
class BodyStream extends Readable {
  private unacked = 0;
  /** Every part has arrived (some may still wait in the buffer for the response to take them). */
  complete = false;

  constructor(
    first: Uint8Array,
    private readonly ack: (bytes: number) => void,
    private readonly abandon: () => void,
  ) {
    super({ highWaterMark: 4 * 1024 * 1024 });
    this.add(first);
  }

  add(bytes: Uint8Array): void {
    if (this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))) this.ack(bytes.length);
    else this.unacked += bytes.length;
  }

  end(): void {
    this.complete = true;
    this.push(null);
  }

  override _read(): void {
    if (this.unacked > 0) {
      this.ack(this.unacked);
      this.unacked = 0;
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.complete) this.abandon();
    callback(err);
  }
}

class PooledWorker {
  readonly inline = false;
  readonly thread: Worker;
  /** The query to cancel, shared with the worker (see WorkerData). */
  readonly cancel = new Int32Array(new SharedArrayBuffer(4));
  job: Job | null = null;
  /** Set while a cancelled query winds down; stops the worker if it takes too long. */
  drainTimer: NodeJS.Timeout | null = null;
  idleSince = Date.now();
  dead = false;
  /** Its modules are loaded (a query sent earlier waits for that). */
  ready = false;

  constructor(
    file: string,
    settings: WorkerSettings,
    readonly urgent: boolean,
  ) {
    const workerData: WorkerData = { settings, cancel: this.cancel, urgent };
    // A deep stack, so that flat binary chains and nesting as long as Prometheus parses evaluate.
    this.thread = new Worker(file, { workerData, resourceLimits: { stackSizeMb: WORKER_STACK_MB } });
    this.thread.unref();
  }

  send(msg: ToWorker, transfer?: TransferListItem[]): void {
    if (!this.dead) this.thread.postMessage(msg, transfer);
  }
}

/**
 * A query executor on the main thread, for tiny queries (inline.ts), driven by the same messages
 * as a worker: delivered as microtasks, in order, without structured clone. Buffers "transferred"
 * to it are simply no longer touched by the sender, as with a worker.
 */
class InlineWorker {
  readonly inline = true;
  readonly urgent = false;
  readonly ready = true;
  /** Set after an exception escaped the executor: it is dropped, like a failed worker. */
  dead = false;
  readonly cancel = new Int32Array(1);
  job: Job | null = null;
  drainTimer: NodeJS.Timeout | null = null;
  idleSince = Date.now();
  private readonly executor: QueryExecutor;

  constructor(
    settings: WorkerSettings,
    maxCost: number,
    onMessage: (msg: FromWorker) => void,
    private readonly onFailure: (err: unknown) => void,
  ) {
    this.executor = new QueryExecutor(settings, this.cancel, (msg) => queueMicrotask(() => onMessage(msg)), maxCost);
  }

  send(msg: ToWorker): void {
    queueMicrotask(() => {
      if (this.dead) return;
      try {
        this.executor.handle(msg);
      } catch (err) {
        // In a worker this would be an uncaught exception ending the thread; here it must not
        // reach the main thread's event loop.
        this.dead = true;
        this.onFailure(err);
      }
    });
  }
}

type AnyWorker = PooledWorker | InlineWorker;

/** An inline run went over its budget: the task runs again in a worker. */
class OverInlineBudget extends Error {}

export class QueryPool {
  private readonly file = queryWorkerFilename();
  private readonly workers = new Set<PooledWorker>();
  private readonly idle: PooledWorker[] = [];
  private readonly waiting: ((w: PooledWorker) => void)[] = [];
  private nextJob = 1; // 0 is the cancel flag's 'none'
  private nextStream = 0;
  /** Message buffers the workers handed back, for reuse (allocating them cost main-thread GC). */
  private readonly freeBuffers: ArrayBuffer[] = [];
  private closed = false;
  private readonly trimTimer: NodeJS.Timeout;
  private readonly idleInline: InlineWorker[] = [];
  private inlineCount = 0;
  /** Queries started inline, and those of them moved to a worker over the inline budget. */
  readonly inlineStats = { started: 0, moved: 0 };

  constructor(private readonly opts: QueryPoolOptions) {
    // Workers collect garbage right after a big query (executor.ts); gc() exists in isolates
    // created after this flag is set.
    setFlagsFromString('--expose-gc');
    for (let i = 0; i < Math.max(1, opts.min) + 1 && i < opts.max + 1; i++) this.idle.push(this.spawn());
    this.trimTimer = setInterval(() => this.trim(), Math.max(1000, (opts.idleTimeoutMs ?? 30_000) / 2));
    this.trimTimer.unref();
  }

  private updateGauge(): void {
    this.opts.metrics.workers.set({ state: 'idle' }, this.idle.length);
    this.opts.metrics.workers.set({ state: 'busy' }, this.workers.size - this.idle.length);
  }

  /** Workers started now (busy and idle). */
  get size(): number {
    return this.workers.size;
  }

  /** Runs one query; rejects with the worker's PromQLError, or the signal's reason when aborted. */
  async run(task: QueryTask, policy: FanoutPolicy, signal: AbortSignal): Promise<QueryOutcome> {
    if (this.closed) throw new PromQLError('internal', 'query pool closed');
    signal.throwIfAborted();
    const inline = this.inlineFor(task);
    if (inline !== null) {
      this.inlineStats.started++;
      try {
        return await this.runOn(inline, task, policy, signal);
      } catch (err) {
        if (!(err instanceof OverInlineBudget)) throw err;
        // Too much data for the main thread: from scratch in a worker, which answers as it would have.
        this.inlineStats.moved++;
      }
    }
    const worker = await this.acquire();
    if (signal.aborted) {
      // Gave up while waiting for a worker.
      this.release(worker);
      throw signal.reason;
    }
    return this.runOn(worker, task, policy, signal);
  }

  /** An idle inline executor when the task may run inline (inline.ts), else null. */
  private inlineFor(task: QueryTask): InlineWorker | null {
    const maxCost = this.opts.inlineMaxCost ?? INLINE_MAX_COST;
    if (maxCost <= 0 || !inlineEligible(task)) return null;
    const idle = this.idleInline.pop();
    if (idle !== undefined) return idle;
    if (this.inlineCount >= INLINE_MAX_CONCURRENT) return null;
    this.inlineCount++;
    const w: InlineWorker = new InlineWorker(
      this.opts.settings,
      maxCost,
      (msg) => this.onMessage(w, msg),
      (err) => {
        this.opts.logger.error('inline query failed', { err: err instanceof Error ? err.message : String(err) });
        this.inlineCount--;
        w.job?.reject(new PromQLError('internal', `query failed: ${err instanceof Error ? err.message : String(err)}`));
        w.job = null;
      },
    );
    return w;
  }

  private runOn(worker: AnyWorker, task: QueryTask, policy: FanoutPolicy, signal: AbortSignal): Promise<QueryOutcome> {
    const abort = new AbortController();
    return new Promise<QueryOutcome>((resolve, reject) => {
      let done = false;
      const settle = (f: () => void): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        abort.abort(QUERY_SETTLED);
        for (const w of job.drainWaiters) w();
        f();
      };
      const job: Job = {
        id: this.nextJob++,
        policy,
        abort,
        resolve: (o) => settle(() => resolve(o)),
        reject: (e) => settle(() => reject(e)),
        cancelledStreams: new Set(),
        outstanding: 0,
        drainWaiters: [],
        body: null,
      };
      const onAbort = (): void => {
        job.reject(signal.reason);
        if (worker.job !== job) return;
        Atomics.store(worker.cancel, 0, job.id);
        worker.send({ type: 'cancel', id: job.id });
        // An inline evaluation is bounded and cannot be terminated: it ends by itself.
        if (!worker.inline) worker.drainTimer = setTimeout(() => void this.retire(worker, 'cancel'), CANCEL_GRACE_MS);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      worker.job = job;
      if (!worker.inline) this.updateGauge();
      worker.send({ type: 'query', id: job.id, task });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.trimTimer);
    await Promise.all([...this.workers].map((w) => this.retire(w, 'close')));
  }

  private acquire(): Promise<PooledWorker> {
    // The most recently used ready worker (warmest JIT), the urgent one only when no other is
    // free; one still starting only when none is ready.
    const pick = (ok: (w: PooledWorker) => boolean): number => {
      let i = this.idle.length - 1;
      while (i >= 0 && !ok(this.idle[i]!)) i--;
      return i;
    };
    let i = pick((w) => w.ready && !w.urgent);
    if (i < 0) i = pick((w) => w.ready);
    const w = i >= 0 ? this.idle.splice(i, 1)[0] : this.idle.pop();
    if (w !== undefined) {
      this.keepSpare();
      return Promise.resolve(w);
    }
    if (this.workers.size < this.opts.max) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** One idle worker ready ahead of demand, within `max`. */
  private keepSpare(): void {
    if (this.idle.length === 0 && this.workers.size < this.opts.max && !this.closed) this.idle.push(this.spawn());
  }

  private spawn(): PooledWorker {
    // One worker at a time is the urgent one (see workers/query.ts).
    let urgent = true;
    for (const x of this.workers) if (x.urgent) urgent = false;
    const w = new PooledWorker(this.file, this.opts.settings, urgent);
    this.workers.add(w);
    w.thread.on('message', (msg: FromWorker) => this.onMessage(w, msg));
    w.thread.on('error', (err) => {
      this.opts.logger.error('query worker failed', { err: err.message });
      this.opts.metrics.workersRecycled.inc({ reason: 'failed' });
      w.job?.reject(new PromQLError('internal', `query worker failed: ${err.message}`));
      w.job = null;
    });
    w.thread.on('exit', () => {
      w.dead = true;
      this.workers.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      w.job?.reject(new PromQLError('internal', 'query worker exited'));
      if (w.job?.body?.complete === false) w.job.body.destroy(new PromQLError('internal', 'query worker exited'));
      w.job = null;
      this.updateGauge();
      if (!this.closed && this.waiting.length > 0) this.release(this.spawn());
    });
    return w;
  }

  private retire(w: PooledWorker, reason: 'cancel' | 'memory' | 'idle' | 'failed' | 'close'): Promise<number> {
    if (w.drainTimer !== null) clearTimeout(w.drainTimer);
    w.drainTimer = null;
    if (!w.dead && reason !== 'close') this.opts.metrics.workersRecycled.inc({ reason });
    w.dead = true;
    this.workers.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    // A body that has fully arrived is still being written: leave it to the response.
    if (w.job?.body?.complete === false) w.job.body.destroy(new PromQLError('canceled', 'query was canceled'));
    w.job = null;
    const exited = w.thread.terminate();
    this.updateGauge();
    if (!this.closed) {
      if (this.waiting.length > 0) this.release(this.spawn());
      else this.keepSpare();
    }
    return exited;
  }

  private release(w: AnyWorker): void {
    if (w.drainTimer !== null) clearTimeout(w.drainTimer);
    w.drainTimer = null;
    w.job = null;
    w.idleSince = Date.now();
    if (w.inline) {
      this.idleInline.push(w);
      return;
    }
    const next = this.waiting.shift();
    if (next !== undefined) next(w);
    else this.idle.push(w);
    this.updateGauge();
  }

  /** Stops idle workers beyond `min` + one spare that have been idle a while. */
  private trim(): void {
    const keep = Math.max(1, this.opts.min) + 1;
    const cutoff = Date.now() - (this.opts.idleTimeoutMs ?? 30_000);
    while (this.workers.size > keep) {
      const oldest = this.idle[0];
      if (oldest === undefined || oldest.idleSince > cutoff) break;
      void this.retire(oldest, 'idle');
    }
  }

  private onMessage(w: AnyWorker, msg: FromWorker): void {
    if (msg.type === 'ready') {
      if (!w.inline) w.ready = true;
      return;
    }
    if (msg.type === 'heap') {
      if (!w.inline && msg.bytes > (this.opts.recycleBytes ?? DEFAULT_RECYCLE_BYTES) && w.job === null) void this.retire(w, 'memory');
      return;
    }
    const job = w.job;
    if (job === null) return;
    switch (msg.type) {
      case 'select':
        void this.opts.querier.serveSelects(msg.batch, msg.selects, job.policy, job.abort.signal, this.sink(w, job)).catch((err: unknown) => {
          job.reject(err);
          if (!w.inline) return void this.retire(w, 'failed');
          // Fail its pending selects: the inline run ends and its executor is released.
          Atomics.store(w.cancel, 0, job.id);
          w.send({ type: 'cancel', id: job.id });
        });
        return;
      case 'ack':
        if (msg.buffer !== null && msg.buffer.byteLength === SEND_BYTES && this.freeBuffers.length < MAX_FREE_BUFFERS) {
          this.freeBuffers.push(msg.buffer);
        }
        job.outstanding -= msg.bytes;
        if (job.outstanding <= HIGH_WATER_BYTES / 2 && job.drainWaiters.length > 0) {
          const waiters = job.drainWaiters;
          job.drainWaiters = [];
          for (const f of waiters) f();
        }
        return;
      case 'stream-cancel':
        job.cancelledStreams.add(msg.stream);
        return;
      case 'refresh-labels':
        this.opts.querier.refreshExternalLabels(msg.endpoint);
        return;
      case 'head':
        if (msg.done) {
          job.resolve({ body: msg.body, warned: msg.warned, stats: msg.stats });
          this.finish(w, msg.heapBytes);
          return;
        }
        job.body = new BodyStream(msg.body, (bytes) => w.send({ type: 'body-ack', id: job.id, bytes }), () => this.cancelBody(w, job));
        job.resolve({ body: job.body, warned: msg.warned, stats: msg.stats });
        return;
      case 'body':
        job.body?.add(msg.bytes);
        return;
      case 'done':
        job.body?.end();
        this.finish(w, msg.heapBytes);
        return;
      case 'error':
        if (job.body !== null) job.body.destroy(new PromQLError(msg.kind, msg.message, msg.code));
        else if (msg.retry === true) job.reject(new OverInlineBudget());
        else job.reject(new QueryFailure(new PromQLError(msg.kind, msg.message, msg.code), msg.stats));
        this.finish(w, msg.heapBytes);
        return;
    }
  }

  /** The worker is done with its query. */
  private finish(w: AnyWorker, heapBytes: number): void {
    // Far over the limit: replace now rather than collect (a collection of such a heap is slow).
    if (!w.inline && heapBytes > 4 * (this.opts.recycleBytes ?? DEFAULT_RECYCLE_BYTES)) void this.retire(w, 'memory');
    else this.release(w);
  }

  /** The response stopped reading the body (client gone): stop encoding it. */
  private cancelBody(w: AnyWorker, job: Job): void {
    if (w.job !== job || w.dead) return;
    Atomics.store(w.cancel, 0, job.id);
    w.send({ type: 'cancel', id: job.id });
    if (!w.inline) w.drainTimer ??= setTimeout(() => void this.retire(w, 'cancel'), CANCEL_GRACE_MS);
  }

  private sink(w: AnyWorker, job: Job): StreamSink {
    const ready = Promise.resolve();
    return {
      send: (msg, transfer) => {
        if (w.job !== job) return;
        if (msg.type === 'stream-data') job.outstanding += msg.bytes.length;
        w.send(msg, transfer);
      },
      drained: () =>
        job.outstanding <= HIGH_WATER_BYTES || w.job !== job ? ready : new Promise<void>((resolve) => job.drainWaiters.push(resolve)),
      cancelled: (stream) => job.cancelledStreams.has(stream) || w.job !== job,
      buffer: () => new Uint8Array(this.freeBuffers.pop() ?? new ArrayBuffer(SEND_BYTES)),
      recycle: (b) => {
        if (b.byteLength === SEND_BYTES && b.buffer.byteLength === SEND_BYTES && this.freeBuffers.length < MAX_FREE_BUFFERS) this.freeBuffers.push(b.buffer as ArrayBuffer);
      },
      nextStreamId: () => this.nextStream++,
    };
  }
}
