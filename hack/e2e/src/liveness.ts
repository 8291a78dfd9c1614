// Every container the chart and the operator make (operator, router, runtime, Redis) declares a
// liveness probe, and the kubelet never killed one for failing it: a wrong path or port name
// would have it do so, with a `Killing` event that says why.
import type { Cluster } from './cluster.js';
import { check } from './wait.js';

interface PodList {
  items: {
    metadata: { name: string };
    spec: { containers: { name: string; livenessProbe?: { periodSeconds?: number } }[] };
  }[];
}

interface EventList {
  items: { reason?: string; message?: string; involvedObject: { name?: string } }[];
}

/** Called at the end of the run, when every pod has been up for many probe periods. */
export async function checkLiveness(
  cluster: Cluster,
  namespace: string,
  /** Pods whose container the run killed: a probe may have failed while it was down. */
  killed: readonly string[],
): Promise<string[]> {
  const pods = JSON.parse(
    await cluster.kubectlOk(['get', 'pods', '-n', namespace, '-o', 'json']),
  ) as PodList;
  const probed = pods.items.flatMap((pod) =>
    pod.spec.containers
      .filter((c) => c.livenessProbe !== undefined)
      .map((c) => `${pod.metadata.name}/${c.name}`),
  );
  const unprobed = pods.items.flatMap((pod) =>
    pod.spec.containers
      .filter((c) => c.livenessProbe === undefined)
      .map((c) => `${pod.metadata.name}/${c.name}`),
  );
  check(unprobed.length === 0, `every container declares a liveness probe: ${unprobed.join(', ')}`);
  const events = JSON.parse(
    await cluster.kubectlOk(['get', 'events', '-n', namespace, '-o', 'json']),
  ) as EventList;
  const failed = events.items.filter(
    (e) =>
      e.reason === 'Unhealthy' &&
      (e.message ?? '').startsWith('Liveness probe failed') &&
      !killed.includes(e.involvedObject.name ?? ''),
  );
  check(
    failed.length === 0,
    `no liveness probe failed: ${failed.map((e) => `${e.involvedObject.name ?? '?'}: ${e.message ?? ''}`).join('; ')}`,
  );
  // The kubelet killing a container because its probe kept failing is a fault even there.
  const kills = events.items.filter(
    (e) => e.reason === 'Killing' && /failed liveness probe/i.test(e.message ?? ''),
  );
  check(
    kills.length === 0,
    `the kubelet killed no container for failing its liveness probe: ${kills.map((e) => `${e.involvedObject.name ?? '?'}: ${e.message ?? ''}`).join('; ')}`,
  );
  return probed;
}
