/**
 * Coalescing identical requests in flight: the first caller of a key starts the work; callers of
 * the same key arriving before it finishes wait for the same result instead of starting their own.
 * Each caller keeps its own signal (timeout, client gone): one leaving gets its own rejection and
 * the others are not disturbed; the shared work is aborted only when every caller has left.
 */

interface Caller<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (err: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

interface Shared<T> {
  readonly callers: Caller<T>[];
  readonly abort: AbortController;
}

export interface CoalescerOptions<T> {
  /**
   * Hands the one result to `n` callers (n ≥ 2): e.g. a stream becomes n streams. Element 0 goes
   * to the caller that started the work.
   */
  share(value: T, n: number): T[];
  /** Called once per caller that joined work already in flight. */
  onJoin?(): void;
}

export class Coalescer<T> {
  private readonly inflight = new Map<string, Shared<T>>();

  constructor(private readonly opts: CoalescerOptions<T>) {}

  /** Requests in flight now (for tests and metrics). */
  get size(): number {
    return this.inflight.size;
  }

  /**
   * The result of `start(sharedSignal)` for `key`, started by the first caller and shared with the
   * callers that arrive while it runs. Rejects with `signal.reason` when this caller's signal aborts.
   */
  run(key: string, signal: AbortSignal, start: (shared: AbortSignal) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    let shared = this.inflight.get(key);
    const leader = shared === undefined;
    if (shared === undefined) {
      shared = { callers: [], abort: new AbortController() };
      this.inflight.set(key, shared);
    } else this.opts.onJoin?.();
    const entry = shared;
    const result = new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const i = entry.callers.findIndex((c) => c.signal === signal && c.onAbort === onAbort);
        if (i < 0) return;
        entry.callers.splice(i, 1);
        reject(signal.reason);
        if (entry.callers.length === 0) {
          // Nobody waits any more: stop the work, and let a new request start afresh.
          if (this.inflight.get(key) === entry) this.inflight.delete(key);
          entry.abort.abort(signal.reason);
        }
      };
      entry.callers.push({ resolve, reject, signal, onAbort });
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (leader) {
      start(entry.abort.signal).then(
        (value) => this.settle(key, entry, (callers) => {
          const values = callers.length === 1 ? [value] : this.opts.share(value, callers.length);
          callers.forEach((c, i) => c.resolve(values[i]!));
        }),
        (err: unknown) => this.settle(key, entry, (callers) => callers.forEach((c) => c.reject(err))),
      );
    }
    return result;
  }

  private settle(key: string, entry: Shared<T>, deliver: (callers: Caller<T>[]) => void): void {
    if (this.inflight.get(key) === entry) this.inflight.delete(key);
    const callers = entry.callers.splice(0);
    for (const c of callers) c.signal.removeEventListener('abort', c.onAbort);
    if (callers.length > 0) deliver(callers);
  }
}
