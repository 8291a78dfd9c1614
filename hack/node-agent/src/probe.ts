// A container probe as the kubelet runs it, against the pod IP: httpGet (a status of 200-399
// passes) or tcpSocket (a connection passes), with the probe's defaults filled in, every
// periodSeconds after initialDelaySeconds. Readiness and liveness differ only in what they
// make of the results.
import { connect } from 'node:net';
import type { IntOrString, V1Container, V1Probe } from '@kubernetes/client-node';

/** A probe with its defaults filled in and its port resolved to a number. */
export interface ResolvedProbe {
  check: (host: string, timeoutMs: number) => Promise<boolean>;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
  /** The probe's own termination grace period (a liveness kill), when it sets one. */
  terminationGraceMs: number | undefined;
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

export function resolveProbe(probe: V1Probe, container: V1Container): ResolvedProbe {
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
    terminationGraceMs:
      probe.terminationGracePeriodSeconds === undefined
        ? undefined
        : probe.terminationGracePeriodSeconds * 1000,
  };
}

/** Runs a probe until stopped; `observe` hears every result and says whether to go on. */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly probe: ResolvedProbe,
    private readonly host: string,
    private readonly observe: (passed: boolean) => boolean,
  ) {}

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
    if (this.observe(passed)) this.schedule(this.probe.periodMs);
    else this.stop();
  }
}
