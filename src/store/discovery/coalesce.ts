/**
 * Runs a refresh one at a time. Asking while one runs asks for exactly one more run after it
 * (however many times it is asked), so bursts of file events or timer ticks never overlap or pile up.
 */
export class CoalescingRunner {
  private running: Promise<void> | undefined;
  private again = false;

  /** `task` must not reject. */
  constructor(private readonly task: () => Promise<void>) {}

  /** Resolves once a run that started after this call has finished. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop();
    return this.running;
  }

  /** Resolves when no run is in progress or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.task();
      } while (this.again);
    } finally {
      this.running = undefined;
    }
  }
}
