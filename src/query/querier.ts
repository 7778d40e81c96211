import type { TransferListItem } from 'node:worker_threads';
import { LabelMatcher } from '../model/matcher.js';
import type { QueryMetrics } from './metrics.js';
import type { RawRead, Store, StoreSelectRequest } from '../store/store.js';
import type { StoreSet } from './stores.js';
import { fanOut, unavailableWarnings, type FanoutPolicy } from './partial.js';
import { linkedSignal } from '../util/signal.js';
import { maxResolutionForSelect } from '../store/grpc/downsample.js';
import type { StreamBegin, ToWorker, WireSelect } from './protocol.js';

/** Where a batch's bytes go: a query worker (through the pool's flow control). */
export interface StreamSink {
  send(msg: ToWorker, transfer?: TransferListItem[]): void;
  /** Resolves when the worker has caught up with what was sent. */
  drained(): Promise<void>;
  /** True once the worker asked to stop reading `stream`. */
  cancelled(stream: number): boolean;
  /** A buffer of SEND_BYTES for the next message (reused once the worker handed it back). */
  buffer(): Uint8Array;
  /** A buffer from buffer() that was never sent (kept for the next read). */
  recycle(buffer: Uint8Array): void;
  nextStreamId(): number;
}

/** Bytes gathered from an endpoint's body before one message goes to the worker. */
export const SEND_BYTES = 128 * 1024;

/**
 * The querier: owns fan-out for every kind of request. For selects it picks the endpoints whose
 * external labels can match, sends each endpoint one read holding all the selects of a batch, and
 * moves the raw answer bytes to the worker that asked, which decodes them.
 */
export class Querier {
  constructor(
    private readonly stores: StoreSet,
    private readonly metrics: QueryMetrics,
  ) {}

  /** Serves one batch of a worker's selects; resolves once `batch-done` has been sent. */
  async serveSelects(batch: number, selects: readonly WireSelect[], policy: FanoutPolicy, signal: AbortSignal, sink: StreamSink): Promise<void> {
    const maxSource = policy.maxSourceResolution ?? 0;
    const reqs: StoreSelectRequest[] = selects.map((s) => ({
      minTime: s.hints.start,
      maxTime: s.hints.end,
      matchers: s.matchers.map((m) => new LabelMatcher(m.type, m.name, m.value)),
      hints: s.hints,
      withoutReplicaLabels: policy.withoutReplicaLabels ?? [],
      maxResolutionMs: maxSource > 0 ? maxResolutionForSelect(maxSource, s.hints.func, s.hints.range) : 0,
      partialResponse: policy.partialResponse,
    }));
    const plan = new Map<Store, number[]>();
    const unavailable = new Set<Store>();
    reqs.forEach((req, i) => {
      const matching = this.stores.matching(req.matchers, req.minTime, req.maxTime);
      for (const s of matching.unavailable) unavailable.add(s);
      for (const store of matching.stores) {
        const p = plan.get(store);
        if (p === undefined) plan.set(store, [i]);
        else p.push(i);
      }
    });
    let warnings: string[] = [];
    let error: string | null = null;
    try {
      warnings = unavailableWarnings([...unavailable], policy);
      // The response timeout is applied between pieces of each answer (streamRead), not to the whole read.
      const outcome = await fanOut(
        [...plan.keys()],
        { ...policy, storeTimeout: 0 },
        signal,
        (store, storeSignal) => this.streamRead(store, batch, plan.get(store)!, reqs, storeSignal, sink, policy.storeTimeout),
        (store, seconds, failed) => {
          this.metrics.storeSelectDuration.observe({ endpoint: store.name }, seconds);
          if (failed) this.metrics.storeSelectErrors.inc({ endpoint: store.name });
        },
      );
      warnings = [...warnings, ...outcome.warnings];
    } catch (err) {
      if (signal.aborted) return;
      error = err instanceof Error ? err.message : String(err);
    }
    sink.send({ type: 'batch-done', batch, warnings, error });
  }

  private async streamRead(
    store: Store,
    batch: number,
    idx: readonly number[],
    reqs: readonly StoreSelectRequest[],
    signal: AbortSignal,
    sink: StreamSink,
    idleTimeoutMs: number,
  ): Promise<void> {
    // Without a response timeout the request's signal is the read's (no controller per read).
    if (idleTimeoutMs <= 0) return this.copyRead(store, batch, idx, reqs, signal, sink, 0, () => {});
    // The read's own signal: the request's, or a response timeout while the read is being opened.
    const timedOut = new AbortController();
    const readSignal = linkedSignal([signal, timedOut.signal], 0);
    try {
      await this.copyRead(store, batch, idx, reqs, readSignal.signal, sink, idleTimeoutMs, () => timedOut.abort());
    } finally {
      readSignal.dispose();
    }
  }

  private async copyRead(
    store: Store,
    batch: number,
    idx: readonly number[],
    reqs: readonly StoreSelectRequest[],
    signal: AbortSignal,
    sink: StreamSink,
    idleTimeoutMs: number,
    abortOpen: () => void,
  ): Promise<void> {
    const idle = new IdleTimer(idleTimeoutMs);
    let read: RawRead | null;
    try {
      read = await idle.guard(
        store.openRead(
          idx.map((i) => reqs[i]!),
          signal,
        ),
        abortOpen,
      );
    } catch (err) {
      if (err instanceof IdleTimeout) throw new Error(`no answer within ${idleTimeoutMs} ms (--store.response-timeout)`);
      throw err;
    }
    if (read === null) return;
    const stream = sink.nextStreamId();
    const begin: StreamBegin = {
      type: 'stream-begin',
      batch,
      stream,
      endpoint: store.name,
      codec: read.codec,
      responseType: read.responseType,
      contentEncoding: read.contentEncoding,
      selects: read.selects.map((j) => idx[j]!),
      externalLabels: read.externalLabels,
    };
    sink.send(begin);
    let buf = sink.buffer();
    let used = 0;
    const flush = (): void => {
      if (used === buf.length) {
        sink.send({ type: 'stream-data', stream, bytes: buf }, [buf.buffer as ArrayBuffer]);
        buf = sink.buffer();
      } else {
        // A copy of the part used: `buf` stays ours (a small answer allocates no SEND_BYTES buffer
        // per message, which cost main-thread garbage collection per query).
        const bytes = buf.slice(0, used);
        sink.send({ type: 'stream-data', stream, bytes }, [bytes.buffer as ArrayBuffer]);
      }
      used = 0;
    };
    try {
      const pieces = read.body[Symbol.asyncIterator]();
      for (;;) {
        const next = await idle.guard(pieces.next(), () => read.destroy());
        if (next.done === true) break;
        const piece = next.value;
        if (sink.cancelled(stream)) break;
        let off = 0;
        while (off < piece.length) {
          const n = Math.min(piece.length - off, buf.length - used);
          buf.set(piece.subarray(off, off + n), used);
          used += n;
          off += n;
          if (used === buf.length) flush();
        }
        await sink.drained();
      }
      if (sink.cancelled(stream)) {
        read.destroy();
        return;
      }
      if (used > 0) flush();
      sink.send({ type: 'stream-end', stream });
    } catch (err) {
      read.destroy();
      sink.send({ type: 'stream-error', stream, message: err instanceof Error ? err.message : String(err) });
      if (err instanceof IdleTimeout) throw new Error(`no data for ${idleTimeoutMs} ms (--store.response-timeout)`);
      if (signal.aborted && signal.reason instanceof Error) throw signal.reason;
      throw err;
    } finally {
      sink.recycle(buf);
    }
  }

  refreshExternalLabels(endpoint: string): void {
    for (const s of this.stores.stores) if (s.name === endpoint) void s.refreshExternalLabels();
  }
}

class IdleTimeout extends Error {}

/** --store.response-timeout: the longest wait for the next piece of an answer (0 = none). */
class IdleTimer {
  constructor(private readonly ms: number) {}

  /** `work`, or an IdleTimeout after `ms` (then `onTimeout` runs, e.g. to drop the connection). */
  guard<T>(work: Promise<T>, onTimeout: () => void): Promise<T> {
    if (this.ms <= 0) return work;
    let timer: NodeJS.Timeout | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(new IdleTimeout());
      }, this.ms);
    });
    return Promise.race([work, timeout]).finally(() => {
      if (timer !== null) clearTimeout(timer);
    });
  }
}
