import type { GlassCluster } from '@glass/crds';
import {
  childMeta,
  CONFIG_HASH_ANNOTATION,
  labels,
  names,
  pullSecrets,
  RESTRICTED_CONTAINER,
  RESTRICTED_POD,
  selector,
  TMP_MOUNT,
  TMP_VOLUME,
} from './meta.js';

export interface GlassPod {
  replicas: number;
  /** Rolls the pods when it changes: a content hash of what the container runs with. */
  configHash: string;
  /** The container's own fields: name, args, env, ports, probes, resources. */
  container: Record<string, unknown>;
}

/**
 * A Deployment of one of Glass's own components, running the cluster's image. Its pod
 * hardening is written once for both: the component's ServiceAccount, the cluster's pull
 * secrets, the restricted security contexts and the only writable path, /tmp.
 */
export function glassDeployment(
  cluster: GlassCluster,
  component: 'runtime' | 'router',
  pod: GlassPod,
): Record<string, unknown> {
  const name = names(cluster)[component];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(cluster, name, component),
    spec: {
      replicas: pod.replicas,
      selector: { matchLabels: selector(cluster, component) },
      template: {
        metadata: {
          labels: labels(cluster, component),
          annotations: { [CONFIG_HASH_ANNOTATION]: pod.configHash },
        },
        spec: {
          serviceAccountName: name,
          ...pullSecrets(cluster),
          securityContext: RESTRICTED_POD,
          containers: [
            {
              ...pod.container,
              image: cluster.spec.image,
              securityContext: RESTRICTED_CONTAINER,
              volumeMounts: [TMP_MOUNT],
            },
          ],
          volumes: [TMP_VOLUME],
        },
      },
    },
  };
}
