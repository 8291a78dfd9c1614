// Steady, bounded load of increments on the global counter through the router. Each increment
// has its own Idempotency-Key and is retried with that key until acknowledged, as a careful
// client would: the router may retry it on the next pod, and a retry never counts twice.
import { setTimeout as delay } from 'node:timers/promises';
import { call } from './http.js';

export interface LoadResult {
  /** Increments answered 200: what the counter must hold at the end. */
  acknowledged: number;
  /** Increments that never got a 200 before the load stopped (each may or may not have applied). */
  unacknowledged: number;
  /** Attempts answered with anything but 200 (or not answered). */
  failedAttempts: number;
  /** performance.now() of the first and last failed attempt. */
  firstFailureAt: number | undefined;
  lastFailureAt: number | undefined;
  /** A few of the failures, "status text", for the report. */
  failureSamples: string[];
  /** Acknowledged increments per answering pod (X-Glass-Pod). */
  answeredBy: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  workers: number;
  /** Pause of each worker between increments: keeps the load steady and bounded. */
  pauseMs: number;
  /** How long one increment is retried before it counts as unacknowledged. */
  keyDeadlineMs: number;
  /** The request body of every increment (a cart's item name); none by default. */
  body?: string;
}

/** The users the load spreads over: increment n comes from user n % LOAD_USERS. */
export const LOAD_USERS = 97;
export const loadUser = (n: number): string => `load-${n % LOAD_USERS}`;

export class IncrementLoad {
  private stopping = false;
  private next = 0;
  private readonly result: LoadResult = {
    acknowledged: 0,
    unacknowledged: 0,
    failedAttempts: 0,
    firstFailureAt: undefined,
    lastFailureAt: undefined,
    failureSamples: [],
    answeredBy: {},
  };
  private readonly runId = Date.now().toString(36);
  private running: Promise<void>[] = [];

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.running = Array.from({ length: this.options.workers }, () => this.worker());
  }

  /** Lets each worker finish the increment it is on, then reports. */
  async stop(): Promise<LoadResult> {
    this.stopping = true;
    await Promise.all(this.running);
    return { ...this.result };
  }

  get acknowledged(): number {
    return this.result.acknowledged;
  }

  /** Increments acknowledged so far with `pod` in X-Glass-Pod. */
  answeredBy(pod: string): number {
    return this.result.answeredBy[pod] ?? 0;
  }

  private async worker(): Promise<void> {
    while (!this.stopping) {
      const n = this.next++;
      await this.increment(`e2e-${this.runId}-${n}`, loadUser(n));
      await delay(this.options.pauseMs);
    }
  }

  private async increment(key: string, user: string): Promise<void> {
    const deadline = performance.now() + this.options.keyDeadlineMs;
    for (;;) {
      const answer = await call(this.options.url, {
        method: 'POST',
        headers: { 'X-User-ID': user, 'Idempotency-Key': key },
        ...(this.options.body === undefined ? {} : { body: this.options.body }),
        timeoutMs: 10_000,
      });
      if (answer.status === 200) {
        this.result.acknowledged++;
        const pod = answer.pod ?? '?';
        this.result.answeredBy[pod] = (this.result.answeredBy[pod] ?? 0) + 1;
        return;
      }
      this.recordFailure(`${answer.status} ${answer.text.slice(0, 160)}`);
      if (performance.now() > deadline) {
        this.result.unacknowledged++;
        return;
      }
      await delay(50);
    }
  }

  private recordFailure(sample: string): void {
    const now = performance.now();
    this.result.failedAttempts++;
    this.result.firstFailureAt ??= now;
    this.result.lastFailureAt = now;
    if (this.result.failureSamples.length < 5) this.result.failureSamples.push(sample);
  }
}
