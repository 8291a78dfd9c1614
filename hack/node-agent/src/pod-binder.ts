// The scheduler's one act, for a cluster of one node: bind a pending pod to it (pods/binding).
import type { V1Pod } from '@kubernetes/client-node';
import { describeApiError, isConflict, isNotFound } from '@glass/runtime/kube-api-errors';
import type { Kube } from './kube.js';

/** A pod no scheduler has placed yet: Pending, no node, not being deleted. */
export function needsBinding(pod: V1Pod): boolean {
  return (
    !pod.spec?.nodeName &&
    !pod.metadata?.deletionTimestamp &&
    (pod.status?.phase ?? 'Pending') === 'Pending'
  );
}

/** Binds the pod; one already bound (409) or gone (404) is not an error. */
export async function bindToNode(kube: Kube, pod: V1Pod, nodeName: string): Promise<void> {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? 'default';
  try {
    await kube.core.createNamespacedPodBinding({
      name,
      namespace,
      body: {
        metadata: { name, namespace, uid: pod.metadata?.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      },
    });
  } catch (error) {
    if (isConflict(error) || isNotFound(error)) return;
    throw describeApiError(`binding pod ${namespace}/${name} to node ${nodeName}`, error);
  }
}
