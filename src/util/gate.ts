/** Told about every task a gate admits (the metrics hook). */
export interface GateObserver {
  /** A task got in, after waiting this long (0 when a slot was free). */
  admitted(waitSeconds: number): void;
}

/** Limits how many tasks run at once; waiters queue in arrival order and can give up via a signal. */
export class Gate {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly observer?: GateObserver,
  ) {}

  /** How many tasks may run at once. */
  get max(): number {
    return this.limit;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const t0 = this.observer ? performance.now() : 0;
    await this.acquire(signal);
    this.observer?.admitted((performance.now() - t0) / 1000);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  get inFlight(): number {
    return this.active;
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  private release(): void {
    this.active--;
    const next = this.waiters.shift();
    if (next) next();
  }
}
