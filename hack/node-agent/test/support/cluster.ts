// What the agent's tests share: a control plane of their own (the agent binds every pending pod,
// so it must not share one with tests that expect pods to stay Pending), the agent on a
// loopback range, a Redis, and polling reads of pods.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { NodeAgent } from '../../src/agent.js';
import { AgentConfig } from '../../src/config.js';
import { startControlPlane, type ControlPlane } from '../../src/e2e/control-plane.js';
import { RedisServer } from '../../src/e2e/redis-server.js';
import { waitFor } from '../../src/e2e/wait.js';
import { NAMESPACE } from './manifests.js';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../../../..');
/** Loopback needs no setup; these tests use no Services, so EndpointSlices do not matter. */
export const POD_CIDR = '127.88.0.0/16';

export interface Harness {
  dir: string;
  plane: ControlPlane;
  agent: NodeAgent;
  redis: RedisServer;
  core: CoreV1Api;
  apps: AppsV1Api;
}

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'glass-node-agent-test-'));
  mkdirSync(join(dir, 'control-plane'));
  const plane = await startControlPlane(REPO_ROOT, join(dir, 'control-plane'));
  const redis = await RedisServer.start();
  const config = AgentConfig.parse({
    kubeconfig: plane.kubeconfig,
    repoRoot: REPO_ROOT,
    podCidr: POD_CIDR,
    stateDir: join(dir, 'agent'),
    leaseRenewMs: 1000,
    statusRefreshMs: 2000,
  });
  const log = pino({ level: 'silent' });
  const agent = await NodeAgent.start(Object.freeze(config), log);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(plane.kubeconfig);
  return {
    dir,
    plane,
    agent,
    redis,
    core: kubeConfig.makeApiClient(CoreV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
  };
}

/** Waits until the named pod (in the tests' namespace) satisfies `ok`, and returns it. */
export function waitForPod(
  h: Harness,
  name: string,
  what: string,
  ok: (pod: V1Pod) => boolean,
  timeoutMs = 30_000,
): Promise<V1Pod> {
  return waitFor(`pod ${NAMESPACE}/${name} ${what}`, timeoutMs, async () => {
    const pod = await h.core.readNamespacedPod({ namespace: NAMESPACE, name });
    return ok(pod) ? pod : undefined;
  });
}

export const isReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** A process with this PID exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
