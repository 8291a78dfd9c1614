// A container's readiness probe, run against the pod IP as the kubelet runs it: httpGet (a
// status of 200-399 passes) or tcpSocket (a connection passes), every periodSeconds, with
// successThreshold / failureThreshold deciding when readiness flips.
import { connect } from 'node:net';
import type { IntOrString, V1Container, V1Probe } from '@kubernetes/client-node';

/** A probe with its defaults filled in and its port resolved to a number. */
interface ResolvedProbe {
  check: (host: string, timeoutMs: number) => Promise<boolean>;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

function portNumber(port: IntOrString, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`probe port "${port}" names no port of container ${container.name}`);
  return named.containerPort;
}

async function httpCheck(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 400;
  } catch {
    return false;
  }
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => {
      done(true);
    });
    socket.once('timeout', () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

function resolveProbe(probe: V1Probe, container: V1Container): ResolvedProbe {
  const { httpGet, tcpSocket } = probe;
  let check: ResolvedProbe['check'];
  if (httpGet) {
    const port = portNumber(httpGet.port, container);
    const scheme = (httpGet.scheme ?? 'HTTP').toLowerCase();
    const path = httpGet.path ?? '/';
    check = (host, timeoutMs) =>
      httpCheck(`${scheme}://${httpGet.host ?? host}:${port}${path}`, timeoutMs);
  } else if (tcpSocket) {
    const port = portNumber(tcpSocket.port, container);
    check = (host, timeoutMs) => tcpCheck(tcpSocket.host ?? host, port, timeoutMs);
  } else {
    throw new Error(`container ${container.name}: only httpGet and tcpSocket probes are supported`);
  }
  return {
    check,
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** Runs one readiness probe until stopped; `onChange` hears every flip of readiness. */
export class ReadinessProbe {
  ready = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private readonly probe: ResolvedProbe;

  constructor(
    probe: V1Probe,
    container: V1Container,
    private readonly host: string,
    private readonly onChange: (ready: boolean) => void,
  ) {
    this.probe = resolveProbe(probe, container);
  }

  start(): void {
    this.schedule(this.probe.initialDelayMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runOnce();
    }, delayMs);
  }

  private async runOnce(): Promise<void> {
    const passed = await this.probe.check(this.host, this.probe.timeoutMs);
    if (this.stopped) return;
    this.successes = passed ? this.successes + 1 : 0;
    this.failures = passed ? 0 : this.failures + 1;
    const next = this.ready
      ? this.failures < this.probe.failureThreshold
      : this.successes >= this.probe.successThreshold;
    if (next !== this.ready) {
      this.ready = next;
      this.onChange(next);
    }
    this.schedule(this.probe.periodMs);
  }
}
