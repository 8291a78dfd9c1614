// Step 5: kill -9 one runtime pod's process under steady load on a global-durability counter.
// The pod must go Failed, its ReplicaSet must replace it, the router's ring must drop it and
// take the new pod in, the load must keep being answered, and the counter must end at exactly
// the number of acknowledged increments: nothing acknowledged is lost, nothing counted twice.
import { setTimeout as delay } from 'node:timers/promises';
import type { NodeAgent } from '../agent.js';
import type { ClusterView, PodView } from './cluster-view.js';
import { call, describeAnswer } from './http.js';
import { IncrementLoad, type LoadResult } from './increment-load.js';
import { GLOBAL_FAASLET } from './faaslets.js';
import { RELEASE, RUNTIME_REPLICAS } from './install-glass.js';
import { check, waitFor } from './wait.js';

export interface PodKill {
  victim: string;
  replacement: string;
  /** From the kill to: the pod Failed, the replacement ready, the router's ring updated. */
  failedMs: number;
  replacementReadyMs: number;
  ringMs: number;
  load: LoadResult;
  /** From the first failed request to the last one; 0 when at most one failed. */
  errorWindowMs: number;
  /** The counter before the load, and read back after it on every runtime pod. */
  before: number;
  counter: number;
}

interface RingPod {
  name: string;
  url: string;
  healthy: boolean;
}

/** The router's ring names this pod (by name, or by its address). */
const onRing = (ring: RingPod[], pod: PodView): RingPod | undefined =>
  ring.find((p) => p.name === pod.name || (pod.ip !== undefined && p.url.includes(`//${pod.ip}:`)));

async function ringOf(routerUrl: string, token: string): Promise<RingPod[]> {
  const answer = await call(`${routerUrl}/lb/status`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (answer.status !== 200) throw new Error(describeAnswer('GET /lb/status', answer));
  return (JSON.parse(answer.text) as { pods: RingPod[] }).pods;
}

/** The counter as Redis holds it: a +0 increment commits, so a stale cached copy cannot answer. */
async function counterOn(baseUrl: string): Promise<number> {
  const answer = await call(`${baseUrl}/invoke/${GLOBAL_FAASLET}/add?value=0`, { method: 'POST' });
  check(
    answer.status === 200,
    describeAnswer(`${GLOBAL_FAASLET} add?value=0 on ${baseUrl}`, answer),
  );
  return Number(answer.text);
}

/**
 * After the kill the counter's namespace has one home again (ADR 0101): calls from many users
 * are all answered by one live pod, never the victim.
 */
async function checkOneHomeAfter(routerUrl: string, victim: string): Promise<void> {
  const pods = new Set<string>();
  for (let u = 0; u < 20; u++) {
    const answer = await call(`${routerUrl}/invoke/${GLOBAL_FAASLET}/get`, {
      method: 'POST',
      headers: { 'X-User-ID': `after-kill-${u}` },
    });
    check(answer.status === 200, describeAnswer(`${GLOBAL_FAASLET} get after the kill`, answer));
    pods.add(answer.pod ?? '?');
  }
  check(
    pods.size === 1 && !pods.has(victim),
    `after the kill, one live pod answers the counter for every user: ${[...pods].join(', ')}`,
  );
}

interface Recovery {
  replacement: PodView;
  failedMs: number;
  replacementReadyMs: number;
  ringMs: number;
}

/** Waits for the cluster to heal around the killed pod, timing each stage from the kill. */
async function awaitRecovery(
  view: ClusterView,
  routerUrl: string,
  victim: PodView,
  runtimePods: PodView[],
): Promise<Recovery> {
  const killedAt = performance.now();
  const since = (): number => performance.now() - killedAt;
  await waitFor(`pod ${victim.name} to be Failed after kill -9`, 20_000, async () =>
    (await view.pods('runtime')).some((p) => p.name === victim.name && p.phase === 'Failed')
      ? true
      : undefined,
  );
  const failedMs = since();
  const known = new Set(runtimePods.map((p) => p.name));
  const replacement = await waitFor('a replacement runtime pod to be ready', 90_000, async () => {
    const ready = await view.readyPods('runtime');
    return ready.length === RUNTIME_REPLICAS ? ready.find((p) => !known.has(p.name)) : undefined;
  });
  const replacementReadyMs = since();
  await waitFor(
    `the router's ring to drop ${victim.name} and take in ${replacement.name}`,
    30_000,
    async () => {
      const ring = await ringOf(routerUrl, await view.adminToken(RELEASE));
      return !onRing(ring, victim) && onRing(ring, replacement)?.healthy ? true : undefined;
    },
  );
  return { replacement, failedMs, replacementReadyMs, ringMs: since() };
}

/** Reads the counter on every ready runtime pod directly; each must be `expected`. */
async function checkCounters(view: ClusterView, expected: number, how: string): Promise<number> {
  const values = [];
  for (const pod of await view.readyPods('runtime')) {
    const value = await counterOn(`http://${pod.ip ?? ''}:8080`);
    check(value === expected, `the counter on ${pod.name} is ${value}, not ${expected} (${how})`);
    values.push(value);
  }
  check(values.length === RUNTIME_REPLICAS, `the counter was read on ${values.length} ready pods`);
  return values[0] ?? Number.NaN;
}

export async function killRuntimePod(
  agent: NodeAgent,
  view: ClusterView,
  routerUrl: string,
  runtimePods: PodView[],
): Promise<PodKill> {
  const before = await counterOn(routerUrl);
  const load = new IncrementLoad({
    url: `${routerUrl}/invoke/${GLOBAL_FAASLET}/add?value=1`,
    workers: 4,
    pauseMs: 20,
    keyDeadlineMs: 30_000,
  });
  load.start();
  try {
    await waitFor('the load to get 100 increments acknowledged', 30_000, () =>
      Promise.resolve(load.acknowledged >= 100 ? true : undefined),
    );
    const victim = runtimePods[0];
    const pid = agent.pods().find((p) => p.name === victim?.name)?.pids.runtime;
    check(
      victim !== undefined && pid !== undefined,
      `the agent knows the PID of runtime pod ${victim?.name ?? '?'}`,
    );
    process.kill(pid, 'SIGKILL');
    const recovery = await awaitRecovery(view, routerUrl, victim, runtimePods);
    await delay(3000); // the replacement takes its share of the load
    const result = await load.stop();
    check(
      result.unacknowledged === 0,
      `every increment was acknowledged in the end; ${result.unacknowledged} were not: ${result.failureSamples.join(' | ')}`,
    );
    const { replacement } = recovery;
    await checkOneHomeAfter(routerUrl, victim.name);
    const expected = before + result.acknowledged;
    const how = `${before} before + ${result.acknowledged} acknowledged increments`;
    const counter = await checkCounters(view, expected, how);
    const { firstFailureAt, lastFailureAt } = result;
    return {
      ...recovery,
      victim: victim.name,
      replacement: replacement.name,
      load: result,
      errorWindowMs: firstFailureAt === undefined ? 0 : (lastFailureAt ?? 0) - firstFailureAt,
      before,
      counter,
    };
  } finally {
    await load.stop();
  }
}
