// The agent's CrashLoopBackOff. A kubelet restarts a crashing container in place, waiting
// longer each time; this agent ends the pod instead (ADR 66) and its ReplicaSet creates another
// at once, so without a brake a container that cannot start would make pods as fast as the
// controller-manager can. The brake is per owner: after the second failure of an owner's pods
// within the window, its next pod starts only after 1 s, then 2 s, 4 s, … up to 30 s.
const WINDOW_MS = 5 * 60_000;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

export class CrashBackoff {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  recordFailure(owner: string): void {
    this.failures.set(owner, [...this.recent(owner), this.now()]);
  }

  /** How long a new pod of this owner should wait before it starts; 0 for at once. */
  delayMs(owner: string): number {
    const recent = this.recent(owner);
    const last = recent.at(-1);
    if (recent.length < 2 || last === undefined) return 0;
    const delay = Math.min(FIRST_DELAY_MS * 2 ** (recent.length - 2), MAX_DELAY_MS);
    return Math.max(0, last + delay - this.now());
  }

  private recent(owner: string): number[] {
    const since = this.now() - WINDOW_MS;
    return (this.failures.get(owner) ?? []).filter((t) => t >= since);
  }
}
