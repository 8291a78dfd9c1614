// A container's readiness probe: successThreshold / failureThreshold results in a row decide
// when readiness flips.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { ProbeLoop, resolveProbe } from './probe.js';

/** Runs one readiness probe until stopped; `onChange` hears every flip of readiness. */
export class ReadinessProbe {
  ready = false;
  private successes = 0;
  private failures = 0;
  private readonly loop: ProbeLoop;

  constructor(
    probe: V1Probe,
    container: V1Container,
    host: string,
    private readonly onChange: (ready: boolean) => void,
  ) {
    const resolved = resolveProbe(probe, container);
    const { successThreshold, failureThreshold } = resolved;
    this.loop = new ProbeLoop(resolved, host, (passed) => {
      this.successes = passed ? this.successes + 1 : 0;
      this.failures = passed ? 0 : this.failures + 1;
      const next = this.ready
        ? this.failures < failureThreshold
        : this.successes >= successThreshold;
      if (next !== this.ready) {
        this.ready = next;
        this.onChange(next);
      }
      return true;
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }
}
