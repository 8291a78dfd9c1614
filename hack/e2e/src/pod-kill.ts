// Step 5: kill -9 one runtime container's process (found through the node's containerd) under
// steady load on a global-durability counter. The kubelet must restart the container, the pod
// must turn ready again and be back on the router's ring, the load must keep being answered,
// and the counter must end at exactly the number of acknowledged increments: nothing
// acknowledged is lost, nothing counted twice.
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster } from './cluster.js';
import type { ClusterView, PodView } from './cluster-view.js';
import { call, describeAnswer } from './http.js';
import { IncrementLoad, type LoadResult } from './increment-load.js';
import { GLOBAL_FAASLET } from './faaslets.js';
import { CLUSTER, RUNTIME_REPLICAS } from './install-glass.js';
import { onRing, ringOf } from './ring.js';
import { check, waitFor } from './wait.js';

export interface PodKill {
  victim: string;
  /** From the kill to: the kubelet restarted the container, the pod ready, back on the ring. */
  restartedMs: number;
  readyMs: number;
  ringMs: number;
  load: LoadResult;
  /** From the first failed request to the last one; 0 when at most one failed. */
  errorWindowMs: number;
  /** The counter before the load, and read back after it on every runtime pod. */
  before: number;
  counter: number;
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
 * are all answered by one pod.
 */
async function checkOneHomeAfter(routerUrl: string): Promise<void> {
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
    pods.size === 1,
    `after the kill, one pod answers the counter for every user: ${[...pods].join(', ')}`,
  );
}

interface Recovery {
  restartedMs: number;
  readyMs: number;
  ringMs: number;
}

const runtimeContainer = (pod: PodView | undefined) =>
  pod?.containers.find((c) => c.name === 'runtime');

/** Waits for the cluster to heal around the killed container, timing each stage from the kill. */
async function awaitRecovery(
  view: ClusterView,
  routerUrl: string,
  victim: PodView,
): Promise<Recovery> {
  const killedAt = performance.now();
  const since = (): number => performance.now() - killedAt;
  const restartsBefore = runtimeContainer(victim)?.restartCount ?? 0;
  const current = async () => (await view.pods('runtime')).find((p) => p.name === victim.name);
  await waitFor(
    `the kubelet to restart the runtime container of ${victim.name}`,
    60_000,
    async () =>
      (runtimeContainer(await current())?.restartCount ?? 0) > restartsBefore ? true : undefined,
  );
  const restartedMs = since();
  await waitFor(`pod ${victim.name} to be ready again`, 90_000, async () =>
    (await current())?.ready === true ? true : undefined,
  );
  const readyMs = since();
  await waitFor(`the router's ring to have ${victim.name} healthy again`, 30_000, async () =>
    onRing(await ringOf(routerUrl, await view.adminToken(CLUSTER)), victim)?.healthy
      ? true
      : undefined,
  );
  return { restartedMs, readyMs, ringMs: since() };
}

/** The host PID of a container's main process, from the node's containerd. */
async function containerPid(cluster: Cluster, pod: PodView): Promise<number> {
  const id = runtimeContainer(pod)?.id?.replace(/^containerd:\/\//, '');
  check(id !== undefined, `pod ${pod.name} reports the ID of its runtime container`);
  const tasks = await cluster.ctrOk(['tasks', 'ls']);
  const line = tasks.split('\n').find((l) => l.startsWith(`${id} `));
  const pid = Number(line?.trim().split(/\s+/)[1]);
  check(Number.isInteger(pid) && pid > 1, `containerd runs container ${id}: ${line ?? tasks}`);
  return pid;
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
  cluster: Cluster,
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
    // The counter's owner: the pod that holds its namespace is the one worth killing.
    const owner = (await call(`${routerUrl}/invoke/${GLOBAL_FAASLET}/get`, { method: 'POST' })).pod;
    const victim = (await view.pods('runtime')).find((p) => p.name === owner);
    check(
      victim !== undefined && runtimePods.some((p) => p.name === owner),
      `the owner of ${GLOBAL_FAASLET}'s namespace, ${owner ?? '?'}, is a runtime pod`,
    );
    process.kill(await containerPid(cluster, victim), 'SIGKILL');
    const recovery = await awaitRecovery(view, routerUrl, victim);
    await delay(3000); // the restarted pod takes its share of the load
    const result = await load.stop();
    check(
      result.unacknowledged === 0,
      `every increment was acknowledged in the end; ${result.unacknowledged} were not: ${result.failureSamples.join(' | ')}`,
    );
    await checkOneHomeAfter(routerUrl);
    const expected = before + result.acknowledged;
    const how = `${before} before + ${result.acknowledged} acknowledged increments`;
    const counter = await checkCounters(view, expected, how);
    const { firstFailureAt, lastFailureAt } = result;
    return {
      ...recovery,
      victim: victim.name,
      load: result,
      errorWindowMs: firstFailureAt === undefined ? 0 : (lastFailureAt ?? 0) - firstFailureAt,
      before,
      counter,
    };
  } finally {
    await load.stop();
  }
}
