/**
 * A few threads for CPU work that must not hold up the event loop (ingest's large remote-write
 * requests, the query frontend's large answers). Started on first use; a task waits for a free
 * thread in arrival order; a thread that dies fails its task and is replaced on the next one.
 * The worker entry answers `{ id, task }` with `{ id, result }` or `{ id, error }`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';

/** The compiled worker entry workers/<name>.js: beside dist/src, or the build's when run from sources (vitest). */
export function workerFilename(name: string): string {
  const beside = fileURLToPath(new URL(`../../workers/${name}.js`, import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL(`../../dist/workers/${name}.js`, import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`${name} worker not found at ${beside} or ${built}; run "npm run build" first`);
}

interface Pending<T, R> {
  readonly task: T;
  readonly transfer: ArrayBuffer[];
  readonly resolve: (r: R) => void;
  readonly reject: (e: Error) => void;
}

interface Thread<T, R> {
  readonly worker: Worker;
  job: (Pending<T, R> & { id: number }) | null;
}

export class WorkerPool<T, R> {
  private readonly idle: Thread<T, R>[] = [];
  private readonly busy = new Set<Thread<T, R>>();
  private readonly queue: Pending<T, R>[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    /** workers/<name>.js, and the name in errors. */
    private readonly name: string,
    readonly size: number,
    private readonly filename: string = workerFilename(name),
  ) {}

  /** Runs `task` on a thread; `transfer` buffers move there (the caller must not use them again). */
  run(task: T, transfer: ArrayBuffer[]): Promise<R> {
    if (this.closed) return Promise.reject(new Error(`${this.name} worker pool is closed`));
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

  private start(): Thread<T, R> {
    const worker = new Worker(this.filename);
    const thread: Thread<T, R> = { worker, job: null };
    worker.on('message', (msg: { id: number; result?: R; error?: string }) => {
      const job = thread.job;
      if (job === null || job.id !== msg.id) return;
      thread.job = null;
      this.busy.delete(thread);
      if (!this.closed) this.idle.push(thread);
      if (msg.result !== undefined) job.resolve(msg.result);
      else job.reject(new Error(`${this.name} worker: ${msg.error ?? 'no result'}`));
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
    worker.on('exit', (code) => fail(new Error(`${this.name} worker exited with code ${code}`)));
    return thread;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error(`${this.name} worker pool is closed`));
    const threads = [...this.idle, ...this.busy];
    this.idle.length = 0;
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

/** A worker entry's side: answers each `{ id, task }` with `run`'s result (its buffers transferred) or the error. */
export function serveWorkerTasks<T, R>(run: (task: T) => { result: R; transfer: ArrayBuffer[] }): void {
  const port = parentPort;
  if (port === null) throw new Error('serveWorkerTasks: not in a worker thread');
  port.on('message', (msg: { id: number; task: T }) => {
    try {
      const { result, transfer } = run(msg.task);
      port.postMessage({ id: msg.id, result }, transfer);
    } catch (err) {
      port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
