/** The ingest worker threads (workers/ingest.ts): prepare and rebuild large remote-write requests. */
import { WorkerPool } from '../util/worker-pool.js';
import type { IngestTask, IngestTaskResult } from './worker-protocol.js';

export class IngestWorkerPool extends WorkerPool<IngestTask, IngestTaskResult> {
  constructor(size: number, filename?: string) {
    super('ingest', size, filename);
  }
}
