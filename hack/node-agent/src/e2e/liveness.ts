// Every liveness probe Glass's manifests declare (operator, router, runtime pods) passes
// against the real processes: a wrong path or port name would have a kubelet kill them.
import type { NodeAgent } from '../agent.js';
import { waitFor } from './wait.js';

/** Waits until every container with a liveness probe has passed it and is not failing it. */
export async function checkLiveness(agent: NodeAgent, namespace: string): Promise<string[]> {
  return waitFor('every liveness probe to pass (periodSeconds 10)', 40_000, () => {
    const probed = agent
      .pods()
      .filter((pod) => pod.namespace === namespace)
      .flatMap((pod) =>
        Object.entries(pod.liveness).map(([container, seen]) => ({
          name: `${pod.name}/${container}`,
          ...seen,
        })),
      );
    const failing = probed.filter((p) => p.failures > 0);
    if (failing.length > 0) {
      throw new Error(`failing: ${failing.map((p) => `${p.name} (${p.failures})`).join(', ')}`);
    }
    const passedAll = probed.length > 0 && probed.every((p) => p.passes > 0);
    return Promise.resolve(passedAll ? probed.map((p) => p.name) : undefined);
  });
}
