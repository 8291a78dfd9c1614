/**
 * Work by key, de-duplicated and one at a time per key: a key added while its work runs is
 * run once more afterwards, reading the world afresh; keys run side by side. `idle()` says
 * when nothing is running or pending, which is how readiness waits for the first load.
 */
export class KeyedQueue {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly work: (key: string) => Promise<void>,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    this.running.add(key);
    void this.run(key);
  }

  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** No new work starts; work already running finishes. */
  stop(): void {
    this.stopped = true;
    this.again.clear();
  }

  private async run(key: string): Promise<void> {
    do {
      this.again.delete(key);
      try {
        await this.work(key);
      } catch (error) {
        this.onError(key, error);
      }
    } while (this.again.has(key) && !this.stopped);
    this.running.delete(key);
    if (this.running.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}
