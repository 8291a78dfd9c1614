// The bytes of request bodies the router holds at once, across every request (ADR 0104). The
// router buffers a body to be able to retry it on another pod, so a crowd of slow uploads
// would otherwise hold as much memory as they like; past the budget, new bytes are refused.
export class BufferBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Takes `bytes` from the budget; false (nothing taken) when they do not fit. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  get inUse(): number {
    return this.held;
  }
}
