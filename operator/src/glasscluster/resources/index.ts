import type { GlassCluster } from '@glass/crds';
import { networkPolicies } from './network-policy.js';
import { rbac } from './rbac.js';
import { managedRedis } from './redis.js';
import { routerDeployment, routerService } from './router.js';
import { runtimeDeployment, runtimeService, type RuntimePodOptions } from './runtime.js';

export type { RuntimePodOptions } from './runtime.js';
export { credentialsSecret } from './credentials.js';

/** Every child a GlassCluster should have, in the order they are applied. */
export function desiredChildren(
  cluster: GlassCluster,
  runtimePods: RuntimePodOptions = {},
  options: { networkPolicies?: boolean } = {},
): Record<string, unknown>[] {
  return [
    ...rbac(cluster),
    ...(options.networkPolicies === false ? [] : networkPolicies(cluster)),
    ...(cluster.spec.state?.managed ? managedRedis(cluster) : []),
    runtimeService(cluster),
    runtimeDeployment(cluster, runtimePods),
    routerService(cluster),
    routerDeployment(cluster),
  ];
}

/** The kinds a GlassCluster can own, so children no longer desired can be found and deleted. */
export const CHILD_KINDS: { apiVersion: string; kind: string }[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
];
