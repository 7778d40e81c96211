import type { TransferListItem } from 'node:worker_threads';
import { LabelMatcher } from '../model/matcher.js';
import type { QueryMetrics } from './metrics.js';
import type { RawRead, Store, StoreSelectRequest } from '../store/store.js';
import type { StoreSet } from './stores.js';
import { fanOut, type FanoutPolicy } from './partial.js';
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
    const reqs: StoreSelectRequest[] = selects.map((s) => ({
      minTime: s.hints.start,
      maxTime: s.hints.end,
      matchers: s.matchers.map((m) => new LabelMatcher(m.type, m.name, m.value)),
      hints: s.hints,
    }));
    const plan = new Map<Store, number[]>();
    reqs.forEach((req, i) => {
      for (const store of this.stores.matching(req.matchers)) {
        const p = plan.get(store);
        if (p === undefined) plan.set(store, [i]);
        else p.push(i);
      }
    });
    let warnings: string[] = [];
    let error: string | null = null;
    try {
      const outcome = await fanOut(
        [...plan.keys()],
        policy,
        signal,
        (store, storeSignal) => this.streamRead(store, batch, plan.get(store)!, reqs, storeSignal, sink),
        (store, seconds, failed) => {
          this.metrics.storeSelectDuration.observe({ endpoint: store.name }, seconds);
          if (failed) this.metrics.storeSelectErrors.inc({ endpoint: store.name });
        },
      );
      warnings = outcome.warnings;
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
  ): Promise<void> {
    const read: RawRead | null = await store.openRead(
      idx.map((i) => reqs[i]!),
      signal,
    );
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
      const bytes = used === buf.length ? buf : buf.slice(0, used);
      sink.send({ type: 'stream-data', stream, bytes }, [bytes.buffer as ArrayBuffer]);
      buf = sink.buffer();
      used = 0;
    };
    try {
      for await (const piece of read.body) {
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
      if (signal.aborted && signal.reason instanceof Error) throw signal.reason;
      throw err;
    }
  }

  refreshExternalLabels(endpoint: string): void {
    for (const s of this.stores.stores) if (s.name === endpoint) void s.refreshExternalLabels();
  }
}
