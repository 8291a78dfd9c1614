// Every liveness probe the chart and the operator declare (operator, router, runtime, Redis) passes against
// the real containers: a wrong path or port name would have the kubelet kill them, which it
// reports as `Unhealthy` events and container restarts.
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
export async function checkLiveness(cluster: Cluster, namespace: string): Promise<string[]> {
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
  const failures = events.items.filter(
    (e) => e.reason === 'Unhealthy' && (e.message ?? '').startsWith('Liveness probe failed'),
  );
  check(
    failures.length === 0,
    `no liveness probe failed: ${failures.map((e) => `${e.involvedObject.name ?? '?'}: ${e.message ?? ''}`).join('; ')}`,
  );
  return probed;
}
