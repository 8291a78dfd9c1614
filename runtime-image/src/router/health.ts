// Health with hysteresis (docs/adr/0022): consecutive failures eject a pod, consecutive
// successful probes readmit it, and nothing in between flips it.

export interface HealthPolicy {
  /** Consecutive failures (probes or proxied requests) that eject a healthy pod. */
  unhealthyThreshold: number;
  /** Consecutive successful probes that readmit an ejected pod. */
  healthyThreshold: number;
}

export type HealthChange = 'ejected' | 'readmitted' | undefined;

/** The health of one pod. A pod starts healthy: membership only adds pods that are ready. */
export class PodHealth {
  private isHealthy = true;
  private failures = 0;
  private successes = 0;

  constructor(private readonly policy: HealthPolicy) {}

  get healthy(): boolean {
    return this.isHealthy;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** A probe failed, or a proxied request could not be completed by the pod. */
  failure(): HealthChange {
    this.successes = 0;
    if (!this.isHealthy) return undefined;
    this.failures += 1;
    if (this.failures < this.policy.unhealthyThreshold) return undefined;
    this.isHealthy = false;
    this.failures = 0;
    return 'ejected';
  }

  /** A probe found the pod ready. */
  probeSucceeded(): HealthChange {
    if (this.isHealthy) {
      this.failures = 0;
      return undefined;
    }
    this.successes += 1;
    if (this.successes < this.policy.healthyThreshold) return undefined;
    this.isHealthy = true;
    this.successes = 0;
    return 'readmitted';
  }

  /**
   * The pod answered a proxied request. That proves a healthy pod's failure streak over; it
   * does not readmit an ejected pod, which only probes do (so one lucky request cannot flap it).
   */
  answered(): void {
    if (this.isHealthy) this.failures = 0;
  }
}

/** Runs a task every `ms`; returns a function that stops it. Injected so tests need no timers. */
export interface Scheduler {
  every(ms: number, task: () => void): () => void;
}

export const timerScheduler: Scheduler = {
  every(ms, task) {
    const timer = setInterval(task, ms);
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  },
};
