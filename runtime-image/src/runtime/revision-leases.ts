/**
 * Invocations running on each Faaslet revision. A replaced or unloaded revision stays in the
 * workers until its last invocation (conflict retries included) has finished, then goes:
 * that is how a swap drops no request (docs/adr/0064-runtime-kubernetes-mode.md).
 */
export class RevisionLeases {
  private readonly held = new Map<number, number>();
  private readonly waiters = new Map<number, (() => void)[]>();

  hold(revision: number): void {
    this.held.set(revision, (this.held.get(revision) ?? 0) + 1);
  }

  release(revision: number): void {
    const count = (this.held.get(revision) ?? 1) - 1;
    if (count > 0) {
      this.held.set(revision, count);
      return;
    }
    this.held.delete(revision);
    const waiting = this.waiters.get(revision);
    this.waiters.delete(revision);
    for (const wake of waiting ?? []) wake();
  }

  /** Resolves once no invocation holds the revision (at once when none does). */
  idle(revision: number): Promise<void> {
    if (!this.held.has(revision)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.waiters.get(revision) ?? [];
      waiting.push(resolve);
      this.waiters.set(revision, waiting);
    });
  }
}
