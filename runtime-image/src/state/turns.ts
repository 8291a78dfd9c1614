import { setTimeout as delay } from 'node:timers/promises';

/**
 * The namespaces whose turn another pod holds, as far as this pod knows (ADR 0046). A pod
 * whose invocations keep losing on a namespace takes its turn in Redis: for a short time only
 * its commits on that namespace go through. Other pods learn it from a refused commit, and
 * then wait for the turn to lapse before they start an attempt, instead of spending attempts
 * on commits that cannot succeed.
 */
export class NamespaceTurns {
  /** Namespace → when the other pod's turn lapses. */
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Another pod holds `namespace`'s turn for `ms` more. */
  held(namespace: string, ms: number): void {
    this.until.set(namespace, this.now() + ms);
  }

  /** Resolves when an attempt on `namespace` may start; undefined when it may right away. */
  wait(namespace: string): Promise<void> | undefined {
    const until = this.until.get(namespace);
    if (until === undefined) return undefined;
    const left = until - this.now();
    if (left <= 0) {
      this.until.delete(namespace);
      return undefined;
    }
    // Timers may fire a fraction of a millisecond early: the turn is over when this resolves.
    return delay(left, undefined, { ref: false }).then(() => {
      if (this.until.get(namespace) === until) this.until.delete(namespace);
    });
  }
}
