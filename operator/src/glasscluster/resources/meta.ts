import { createHash } from 'node:crypto';
import { API_VERSION, GLASS_CLUSTER_KIND, type GlassCluster } from '@glass/crds';

export const MANAGED_BY = 'glass-operator';
export const CLUSTER_LABEL = 'glass.dev/cluster';
export const CONFIG_HASH_ANNOTATION = 'glass.dev/config-hash';
export type Component = 'runtime' | 'router' | 'redis';

/** Labels on every child; the operator's informers select on managed-by. */
export function labels(cluster: GlassCluster, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'glass',
    'app.kubernetes.io/instance': cluster.metadata.name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [CLUSTER_LABEL]: cluster.metadata.name,
  };
}

export function selector(cluster: GlassCluster, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/instance': cluster.metadata.name,
    'app.kubernetes.io/component': component,
  };
}

/** Metadata of a child: its name, the labels, and the GlassCluster as controller owner. */
export function childMeta(
  cluster: GlassCluster,
  name: string,
  component: Component,
): Record<string, unknown> {
  return {
    name,
    namespace: cluster.metadata.namespace,
    labels: labels(cluster, component),
    ownerReferences: [
      {
        apiVersion: API_VERSION,
        kind: GLASS_CLUSTER_KIND,
        name: cluster.metadata.name,
        uid: cluster.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
}

export const names = (cluster: GlassCluster) => ({
  runtime: `${cluster.metadata.name}-runtime`,
  router: `${cluster.metadata.name}-router`,
  redis: `${cluster.metadata.name}-redis`,
  credentials: `${cluster.metadata.name}-credentials`,
});

/** A short content hash: put on a pod template, a change of what it covers rolls the pods. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** The restricted Pod Security profile: non-root, read-only root, no capabilities. */
export const RESTRICTED_CONTAINER = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export const RESTRICTED_POD = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  fsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * The pod's only writable path, since the root filesystem is read-only: Node, undici and
 * diagnostic reports may write temp files. Bounded so a runaway writer is evicted by the
 * kubelet instead of filling the node's disk (docs/adr/0054).
 */
export const TMP_SIZE_LIMIT = '128Mi';
export const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };
export const TMP_VOLUME = { name: 'tmp', emptyDir: { sizeLimit: TMP_SIZE_LIMIT } };

/** `imagePullSecrets` for a pod spec, or nothing: every pod the operator makes pulls alike. */
export function pullSecrets(cluster: GlassCluster): Record<string, unknown> {
  const secrets = cluster.spec.imagePullSecrets ?? [];
  return secrets.length > 0 ? { imagePullSecrets: secrets.map(({ name }) => ({ name })) } : {};
}
