// The node agent: a scheduler and a kubelet for one node, over one watch of every pod.
// Pending pods with no node are bound here; pods bound here are run as local processes,
// reported on, and stopped and removed when deleted. Each pod is handled one event at a time.
import { makeInformer, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeApiError, isNotFound } from '@glass/runtime/kube-api-errors';
import { apiKeyReader } from './api-key-reader.js';
import type { AgentConfig } from './config.js';
import { CrashBackoff } from './crash-backoff.js';
import { connect, type Kube } from './kube.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import { bindToNode, needsBinding } from './pod-binder.js';
import { PodNetwork } from './pod-network.js';
import { PodRunner, type RunnerDeps } from './pod-runner.js';

/** How often every pod is looked at again, so nothing waits on an event that was missed. */
const RESYNC_MS = 3000;
const WATCH_RESTART_MS = 1000;

export interface RunningPod {
  namespace: string;
  name: string;
  uid: string;
  podIp: string | undefined;
  /** PID of each running container, by container name. */
  pids: Record<string, number>;
  /** Each running container's liveness probe so far (passes, failures since the last pass). */
  liveness: Record<string, { passes: number; failures: number }>;
  logFiles: string[];
  /** The kubeconfig holding the pod's ServiceAccount token, if it has one. */
  kubeconfig: string | undefined;
}

/** Pods of one controller (a ReplicaSet) share a crash backoff; a bare pod has its own. */
const ownerOf = (pod: V1Pod): string =>
  pod.metadata?.ownerReferences?.find((o) => o.controller)?.uid ?? pod.metadata?.uid ?? '';

const isTerminal = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export class NodeAgent {
  private readonly runners = new Map<string, PodRunner>();
  /** Per pod uid: the tail of its chain of handlers, so one pod's events never overlap. */
  private readonly turns = new Map<string, Promise<void>>();
  private readonly informer;
  private readonly heartbeat: NodeHeartbeat;
  private readonly deps: RunnerDeps;
  private readonly backoff = new CrashBackoff();
  private resyncTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly killAllSync = (): void => {
    for (const pod of this.pods()) {
      for (const pid of Object.values(pod.pids)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };

  private constructor(
    readonly config: AgentConfig,
    private readonly kube: Kube,
    private readonly network: PodNetwork,
    private readonly log: Logger,
  ) {
    this.deps = {
      kube,
      config,
      network,
      keys: apiKeyReader(kube),
      log,
      onFailed: (pod) => {
        this.backoff.recordFailure(ownerOf(pod));
      },
    };
    this.heartbeat = new NodeHeartbeat(kube, config, network.nodeIp, log);
    this.informer = makeInformer<V1Pod>(kube.config, '/api/v1/pods', () =>
      kube.core.listPodForAllNamespaces(),
    );
    for (const verb of ['add', 'update'] as const) {
      this.informer.on(verb, (pod) => {
        this.enqueue(pod);
      });
    }
    this.informer.on('delete', (pod) => {
      this.enqueue(pod, true);
    });
    this.informer.on('error', (error) => {
      if (this.stopped) return;
      this.log.warn({ err: error }, 'pod watch failed; restarting it');
      this.restartTimer = setTimeout(() => void this.informer.start(), WATCH_RESTART_MS);
    });
  }

  /** Registers the node and starts binding and running pods. */
  static async start(config: AgentConfig, log: Logger): Promise<NodeAgent> {
    const network = new PodNetwork(config.podCidr);
    await network.assertLocal();
    const agent = new NodeAgent(config, connect(config.kubeconfig), network, log);
    await agent.heartbeat.start();
    await agent.informer.start();
    agent.resyncTimer = setInterval(() => {
      agent.resync();
    }, RESYNC_MS);
    // Whatever ends this process, no pod process outlives it.
    process.once('exit', agent.killAllSync);
    log.info(
      { node: config.nodeName, nodeIp: network.nodeIp, podCidr: config.podCidr },
      'node agent started',
    );
    return agent;
  }

  /** The pods this agent runs or ran, with their addresses, PIDs and log files. */
  pods(): RunningPod[] {
    return [...this.runners.values()].map((r) => ({
      namespace: r.namespace,
      name: r.name,
      uid: r.uid,
      podIp: r.podIp,
      pids: r.pids(),
      liveness: r.liveness(),
      logFiles: r.logFiles(),
      kubeconfig: r.kubeconfig,
    }));
  }

  /** Stops watching, then stops every pod's processes (SIGTERM, SIGKILL after `graceMs`). */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.restartTimer);
    this.heartbeat.stop();
    await this.informer.stop();
    await Promise.allSettled([...this.turns.values()]);
    await Promise.all([...this.runners.values()].map((r) => r.stop(graceMs)));
    process.off('exit', this.killAllSync);
  }

  private resync(): void {
    const seen = new Set<string>();
    for (const pod of this.informer.list()) {
      seen.add(pod.metadata?.uid ?? '');
      this.enqueue(pod);
    }
    for (const [uid, runner] of this.runners) {
      if (seen.has(uid)) runner.report();
      else
        this.enqueue({ metadata: { uid, name: runner.name, namespace: runner.namespace } }, true);
    }
  }

  private enqueue(pod: V1Pod, deleted = false): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? '';
    const previous = this.turns.get(uid) ?? Promise.resolve();
    const turn = previous
      .then(() => (deleted ? this.forget(uid) : this.handle(pod)))
      .catch((error: unknown) => {
        this.log.warn(
          { err: error, pod: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}` },
          'pod not handled; retried on resync',
        );
      });
    this.turns.set(uid, turn);
    void turn.then(() => {
      if (this.turns.get(uid) === turn) this.turns.delete(uid);
    });
  }

  private async handle(pod: V1Pod): Promise<void> {
    if (this.stopped) return;
    if (needsBinding(pod)) {
      await bindToNode(this.kube, pod, this.config.nodeName);
      return;
    }
    if (pod.spec?.nodeName !== this.config.nodeName) return;
    const uid = pod.metadata?.uid ?? '';
    if (pod.metadata?.deletionTimestamp) {
      await this.terminate(pod);
      return;
    }
    if (!this.runners.has(uid) && !isTerminal(pod)) {
      const runner = new PodRunner(pod, this.deps);
      this.runners.set(uid, runner);
      await runner.start(this.backoff.delayMs(ownerOf(pod)));
    }
  }

  /** The kubelet's part of a graceful delete: stop the processes, then remove the object. */
  private async terminate(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    const runner = this.runners.get(uid);
    if (runner) {
      await runner.stop(runner.graceMs(pod.metadata?.deletionGracePeriodSeconds));
    }
    try {
      await this.kube.core.deleteNamespacedPod({
        name,
        namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (error) {
      if (!isNotFound(error)) throw describeApiError(`deleting pod ${namespace}/${name}`, error);
      return;
    }
    this.log.info(
      { pod: `${namespace}/${name}` },
      'pod deleted: processes stopped, object removed',
    );
  }

  /** The pod object is gone: make sure its processes are too, and let go of it. */
  private async forget(uid: string): Promise<void> {
    const runner = this.runners.get(uid);
    if (!runner) return;
    await runner.stop(0);
    this.runners.delete(uid);
  }
}
