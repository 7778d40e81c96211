/**
 * A few threads for the CPU part of large remote-write requests (decode, check, label removal,
 * rebuild). Started on first use; a task waits for a free thread in arrival order; a thread that
 * dies fails its task (the sender gets 500 and retries) and is replaced on the next one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IngestTask, IngestTaskResult } from './worker-protocol.js';

/** The compiled worker entry: dist/workers/ingest.js beside dist/src, or the build's when run from sources (vitest). */
export function ingestWorkerFilename(): string {
  const beside = fileURLToPath(new URL('../../workers/ingest.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/workers/ingest.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`ingest worker not found at ${beside} or ${built}; run "npm run build" first`);
}

interface Pending {
  readonly task: IngestTask;
  readonly transfer: ArrayBuffer[];
  readonly resolve: (r: IngestTaskResult) => void;
  readonly reject: (e: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  job: (Pending & { id: number }) | null;
}

export class IngestWorkerPool {
  private readonly idle: Thread[] = [];
  private readonly busy = new Set<Thread>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly filename: string = ingestWorkerFilename(),
  ) {}

  /** Runs `task` on a thread; `transfer` buffers move there (the caller must not use them again). */
  run(task: IngestTask, transfer: ArrayBuffer[]): Promise<IngestTaskResult> {
    if (this.closed) return Promise.reject(new Error('ingest worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, transfer, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = this.idle.pop() ?? (this.busy.size < this.size ? this.start() : null);
      if (thread === null) return;
      const job = { ...this.queue.shift()!, id: this.nextId++ };
      thread.job = job;
      this.busy.add(thread);
      thread.worker.postMessage({ id: job.id, task: job.task }, job.transfer);
    }
  }

  private start(): Thread {
    const worker = new Worker(this.filename);
    const thread: Thread = { worker, job: null };
    worker.on('message', (msg: { id: number; result?: IngestTaskResult; error?: string }) => {
      const job = thread.job;
      if (job === null || job.id !== msg.id) return;
      thread.job = null;
      this.busy.delete(thread);
      if (!this.closed) this.idle.push(thread);
      if (msg.result !== undefined) job.resolve(msg.result);
      else job.reject(new Error(`ingest worker: ${msg.error ?? 'no result'}`));
      this.dispatch();
    });
    const fail = (err: Error): void => {
      this.busy.delete(thread);
      const i = this.idle.indexOf(thread);
      if (i >= 0) this.idle.splice(i, 1);
      const job = thread.job;
      thread.job = null;
      job?.reject(err);
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`ingest worker exited with code ${code}`)));
    return thread;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('ingest worker pool is closed'));
    const threads = [...this.idle, ...this.busy];
    this.idle.length = 0;
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}
