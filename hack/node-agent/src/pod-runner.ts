// One pod bound to this node, run as one local process per container: it gets an address of
// its own, credentials of its ServiceAccount, its environment, and a status kept up to date.
// A container that ends is not restarted in place: the pod ends with it (ADR 66), so its owner
// (a ReplicaSet) replaces it, as after a node failure.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Container, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeApiError, isNotFound } from '@glass/runtime/kube-api-errors';
import type { AgentConfig } from './config.js';
import { containerEnv, EnvError, expand, type KeyReader } from './container-env.js';
import { ContainerProcess } from './container-process.js';
import { resolveImageCommand } from './image-command.js';
import { MERGE_PATCH, type Kube } from './kube.js';
import { writePodKubeconfig } from './pod-credentials.js';
import type { PodNetwork } from './pod-network.js';
import { podStatus, type ContainerFacts, type ContainerPhase } from './pod-status.js';
import { LivenessProbe } from './liveness-probe.js';
import { ReadinessProbe } from './readiness-probe.js';

export interface RunnerDeps {
  kube: Kube;
  config: AgentConfig;
  network: PodNetwork;
  keys: KeyReader;
  log: Logger;
  /** Hears of a pod that ended because a container failed (not because it was stopped). */
  onFailed: (pod: V1Pod) => void;
}

interface Container {
  spec: V1Container;
  phase: ContainerPhase;
  ready: boolean;
  logFile: string;
  process?: ContainerProcess;
  probe?: ReadinessProbe;
  liveness?: LivenessProbe;
  /** Why the agent killed it (a failing liveness probe), for its terminated state. */
  killedBecause?: string;
}

/** What the image's Dockerfile sets (ENV), with /tmp — the only writable place — per pod. */
function imageEnv(podDir: string): Record<string, string> {
  const tmp = join(podDir, 'tmp');
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    NODE_ENV: 'production',
    HOME: tmp,
    TMPDIR: tmp,
  };
}

const waiting = (reason: string, message: string): ContainerPhase => ({
  kind: 'waiting',
  reason,
  message,
});

export class PodRunner {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly dir: string;
  podIp: string | undefined;
  kubeconfig: string | undefined;
  private readonly containers: Container[];
  private readonly startTime = new Date();
  private stopping = false;
  private lastSent: string | undefined;
  private lastConditions: V1PodCondition[] = [];
  private reporting: Promise<void> = Promise.resolve();
  private delayTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pod: V1Pod,
    private readonly deps: RunnerDeps,
  ) {
    this.namespace = pod.metadata?.namespace ?? 'default';
    this.name = pod.metadata?.name ?? '';
    this.uid = pod.metadata?.uid ?? '';
    this.dir = join(deps.config.stateDir, 'pods', `${this.namespace}_${this.name}`);
    this.containers = (pod.spec?.containers ?? []).map((spec) => ({
      spec,
      phase: waiting('ContainerCreating', ''),
      ready: false,
      logFile: join(this.dir, `${spec.name}.log`),
    }));
  }

  /** PID of each running container's process, by container name. */
  pids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const c of this.containers)
      if (c.phase.kind === 'running') pids[c.spec.name] = c.phase.pid;
    return pids;
  }

  /** Each running container's liveness probe so far, by container name (those that have one). */
  liveness(): Record<string, { passes: number; failures: number }> {
    const out: Record<string, { passes: number; failures: number }> = {};
    for (const c of this.containers) {
      if (c.phase.kind === 'running' && c.liveness) {
        out[c.spec.name] = { passes: c.liveness.passes, failures: c.liveness.failures };
      }
    }
    return out;
  }

  logFiles(): string[] {
    return this.containers.map((c) => c.logFile);
  }

  /** Starts the pod, after `delayMs` when its owner is in crash backoff (reported meanwhile). */
  async start(delayMs = 0): Promise<void> {
    if (delayMs > 0) {
      const message = `pods of its owner keep failing: starting in ${(delayMs / 1000).toFixed(0)} s`;
      for (const c of this.containers) c.phase = waiting('CrashLoopBackOff', message);
      this.report();
      this.delayTimer = setTimeout(() => {
        this.start().catch((error: unknown) => {
          this.deps.log.warn(
            { err: error, pod: `${this.namespace}/${this.name}` },
            'pod not started',
          );
        });
      }, delayMs);
      return;
    }
    if (this.stopping) return;
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
    try {
      await this.startContainers();
    } catch (error) {
      const reason = error instanceof EnvError ? error.reason : 'CreateContainerError';
      const message = error instanceof Error ? error.message : String(error);
      this.deps.log.warn(
        { pod: `${this.namespace}/${this.name}`, reason, message },
        'pod not started',
      );
      for (const c of this.containers)
        if (c.phase.kind === 'waiting') c.phase = waiting(reason, message);
    }
    this.report();
  }

  private async startContainers(): Promise<void> {
    const { config, network, kube } = this.deps;
    // Like a failed image pull, an image the agent cannot run leaves the pod Pending, unstarted.
    const probeContext = { ...config, podIp: network.nodeIp, nodeBinary: process.execPath };
    let runnable = true;
    for (const c of this.containers) {
      const result = resolveImageCommand(c.spec, probeContext);
      if (!result.ok) {
        c.phase = waiting(result.reason, result.message);
        runnable = false;
      }
    }
    if (!runnable) return;
    this.podIp = network.allocate();
    this.kubeconfig = await writePodKubeconfig(kube.core, kube.config, this.pod, this.dir);
    const base: Record<string, string> = { ...imageEnv(this.dir), HOSTNAME: this.name };
    if (this.kubeconfig) base.KUBECONFIG = this.kubeconfig;
    const facts = { pod: this.pod, podIp: this.podIp, hostIp: network.nodeIp };
    // Everything that can fail is prepared for every container before any of them runs.
    const prepared = [];
    for (const c of this.containers) {
      const env = { ...base, ...(await containerEnv(c.spec, facts, this.deps.keys)) };
      const probes = { readiness: this.readinessProbe(c), liveness: this.livenessProbe(c) };
      prepared.push({ container: c, env, probes });
    }
    for (const { container, env, probes } of prepared) this.spawn(container, env, probes);
  }

  /** The container's readiness probe against the pod IP; it throws on a port it cannot resolve. */
  private readinessProbe(container: Container): ReadinessProbe | undefined {
    const { readinessProbe } = container.spec;
    if (!readinessProbe) return undefined;
    return new ReadinessProbe(readinessProbe, container.spec, this.podIp ?? '', (ready) => {
      container.ready = ready;
      this.report();
    });
  }

  /** The container's liveness probe: when it fails, the container is killed and the pod ends. */
  private livenessProbe(container: Container): LivenessProbe | undefined {
    const { livenessProbe } = container.spec;
    if (!livenessProbe) return undefined;
    const probe = new LivenessProbe(livenessProbe, container.spec, this.podIp ?? '', (why) => {
      container.killedBecause = why;
      this.deps.log.warn(
        { pod: `${this.namespace}/${this.name}`, container: container.spec.name, reason: why },
        'killing the container',
      );
      void container.process?.stop(probe.terminationGraceMs ?? this.graceMs());
    });
    return probe;
  }

  private spawn(
    container: Container,
    env: Record<string, string>,
    probes: { readiness: ReadinessProbe | undefined; liveness: LivenessProbe | undefined },
  ): void {
    const probe = probes.readiness;
    const { spec } = container;
    const expanded: V1Container = {
      ...spec,
      command: spec.command?.map((part) => expand(part, env)),
      args: spec.args?.map((part) => expand(part, env)),
    };
    const resolved = resolveImageCommand(expanded, {
      ...this.deps.config,
      podIp: this.podIp ?? '',
      nodeBinary: process.execPath,
    });
    if (!resolved.ok) throw new Error(resolved.message); // checked before: cannot happen
    const child = new ContainerProcess({ ...resolved, env, logFile: container.logFile });
    container.process = child;
    container.phase = { kind: 'running', pid: child.pid ?? 0, startedAt: child.startedAt };
    container.ready = probe === undefined;
    container.probe = probe;
    container.liveness = probes.liveness;
    this.deps.log.info(
      {
        pod: `${this.namespace}/${this.name}`,
        container: spec.name,
        pid: child.pid,
        ip: this.podIp,
      },
      'container started',
    );
    probe?.start();
    probes.liveness?.start();
    void child.exited.then(() => this.onExit(container));
  }

  private async onExit(container: Container): Promise<void> {
    const { process: child } = container;
    const exit = child?.result;
    container.probe?.stop();
    container.liveness?.stop();
    if (!child || !exit || this.stopping) return;
    container.phase = {
      kind: 'terminated',
      pid: child.pid ?? 0,
      startedAt: child.startedAt,
      ...exit,
      ...(container.killedBecause === undefined ? {} : { message: container.killedBecause }),
    };
    container.ready = false;
    this.deps.log.warn(
      { pod: `${this.namespace}/${this.name}`, container: container.spec.name, ...exit },
      'container ended; the pod ends with it',
    );
    this.report();
    await this.stopProcesses(this.graceMs());
    this.report();
    if (exit.exitCode !== 0) this.deps.onFailed(this.pod);
  }

  /** The pod's termination grace period (deletion may shorten it), in milliseconds. */
  graceMs(seconds?: number): number {
    return (seconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  /** SIGTERM every container, SIGKILL what is left after the grace period; no more reports. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.delayTimer);
    await this.stopProcesses(graceMs);
  }

  private async stopProcesses(graceMs: number): Promise<void> {
    for (const c of this.containers) {
      c.probe?.stop();
      c.liveness?.stop();
    }
    await Promise.all(this.containers.flatMap((c) => (c.process ? [c.process.stop(graceMs)] : [])));
    for (const c of this.containers) {
      const exit = c.process?.result;
      if (c.process && exit && c.phase.kind === 'running') {
        c.phase = { kind: 'terminated', pid: c.phase.pid, startedAt: c.phase.startedAt, ...exit };
      }
    }
    if (this.podIp) this.deps.network.release(this.podIp);
  }

  private facts(): ContainerFacts[] {
    return this.containers.map((c) => ({
      name: c.spec.name,
      image: c.spec.image ?? '',
      phase: c.phase,
      ready: c.ready,
    }));
  }

  /** Sends the status if it changed since the last one the API server took; in order, one at a time. */
  report(): void {
    this.reporting = this.reporting.then(() => this.sendStatus());
  }

  private async sendStatus(): Promise<void> {
    if (this.stopping) return;
    const status = podStatus({
      uid: this.uid,
      podIp: this.podIp,
      hostIp: this.deps.network.nodeIp,
      startTime: this.startTime,
      containers: this.facts(),
      previousConditions: this.lastConditions,
      now: new Date(),
    });
    const body = JSON.stringify(status);
    if (body === this.lastSent) return;
    try {
      await this.deps.kube.core.patchNamespacedPodStatus(
        // The uid makes the patch conditional: a new pod of the same name is not ours to write.
        {
          name: this.name,
          namespace: this.namespace,
          body: { metadata: { uid: this.uid }, status },
        },
        MERGE_PATCH,
      );
      this.lastSent = body;
      this.lastConditions = status.conditions ?? [];
    } catch (error) {
      if (isNotFound(error)) return;
      // Left unsent: the agent's periodic resync calls report() again.
      this.deps.log.warn(
        {
          err: describeApiError(`patching the status of pod ${this.namespace}/${this.name}`, error),
        },
        'status not sent',
      );
    }
  }
}
