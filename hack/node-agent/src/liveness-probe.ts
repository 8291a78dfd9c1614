// A container's liveness probe: failureThreshold failures in a row and the container is to be
// killed. The kubelet would restart it in place; this agent ends the pod instead (ADR 66),
// and its owner replaces it.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { ProbeLoop, resolveProbe } from './probe.js';

export class LivenessProbe {
  /** The probe's own grace period for the kill, when it sets one (else the pod's). */
  readonly terminationGraceMs: number | undefined;
  /** Probes passed so far, and failures since the last pass. */
  passes = 0;
  failures = 0;
  private readonly loop: ProbeLoop;

  /** `onDead` hears, once, why the container is to be killed. */
  constructor(
    probe: V1Probe,
    container: V1Container,
    host: string,
    onDead: (message: string) => void,
  ) {
    const resolved = resolveProbe(probe, container);
    this.terminationGraceMs = resolved.terminationGraceMs;
    this.loop = new ProbeLoop(resolved, host, (passed) => {
      if (passed) this.passes++;
      this.failures = passed ? 0 : this.failures + 1;
      if (this.failures < resolved.failureThreshold) return true;
      onDead(`liveness probe failed ${this.failures} times in a row`);
      return false;
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }
}
