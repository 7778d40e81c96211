/**
 * Decoding downstream range answers and cached extents: inline when small, on a worker thread when
 * large (the JSON parse of a 2 MB answer takes ~25 ms, which /-/healthy and every other request
 * would otherwise wait for). A worker that fails falls back to decoding inline.
 */
import { availableParallelism } from 'node:os';
import { decodeExtents, type Extent } from './cache.js';
import { unpackAnswer } from './packed.js';
import { decodeAnswer, type RangeAnswer } from './range.js';
import { unpackExtents, type FrontendTask, type FrontendTaskResult } from './worker-protocol.js';
import { WorkerPool } from '../util/worker-pool.js';

/** Below this many bytes a body is decoded inline: measured, decoding 64 KiB inline takes ~1 ms, about what a worker round trip costs. */
export const WORKER_MIN_BYTES = 64 << 10;

export class AnswerDecoder {
  private readonly pool: WorkerPool<FrontendTask, FrontendTaskResult> | null;

  constructor(threads = Math.min(2, availableParallelism()), private readonly minBytes = WORKER_MIN_BYTES) {
    this.pool = threads > 0 ? new WorkerPool<FrontendTask, FrontendTaskResult>('frontend', threads) : null;
  }

  /** A downstream /api/v1/query_range body; null when it is not a success answer. */
  async range(body: Buffer): Promise<RangeAnswer | null> {
    if (this.pool !== null && body.length >= this.minBytes) {
      try {
        // A copy of its own goes to the worker: the caller keeps the body (to pass an error on as it came).
        const copy = new Uint8Array(body);
        const r = await this.pool.run({ kind: 'range', body: copy }, [copy.buffer]);
        if (r.kind === 'range') return r.answer === null ? null : unpackAnswer(r.answer);
      } catch {
        // decoded inline below
      }
    }
    return decodeAnswer(body.toString('utf8'));
  }

  /** Extents as a shared cache stores them. */
  async extents(bytes: Buffer): Promise<Extent[]> {
    if (this.pool !== null && bytes.length >= this.minBytes) {
      try {
        const copy = new Uint8Array(bytes);
        const r = await this.pool.run({ kind: 'extents', body: copy }, [copy.buffer]);
        if (r.kind === 'extents') return unpackExtents(r.extents);
      } catch {
        // decoded inline below
      }
    }
    return decodeExtents(bytes);
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
