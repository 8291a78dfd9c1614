import type { GlassCluster } from '@glass/crds';
import { childMeta, names } from './meta.js';

const READ = ['get', 'list', 'watch'];

/**
 * Least privilege: the runtime reads Faaslets, module ConfigMaps and the EndpointSlices of
 * its peers (who owns which namespace, ADR 0101); the router reads EndpointSlices and Faaslets
 * (which namespace a call touches), nothing more.
 */
const RULES: Record<'runtime' | 'router', Record<string, unknown>[]> = {
  runtime: [
    { apiGroups: ['glass.dev'], resources: ['faaslets'], verbs: READ },
    { apiGroups: [''], resources: ['configmaps'], verbs: READ },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  ],
  router: [
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
    { apiGroups: ['glass.dev'], resources: ['faaslets'], verbs: READ },
  ],
};

function forComponent(
  cluster: GlassCluster,
  component: 'runtime' | 'router',
): Record<string, unknown>[] {
  const name = names(cluster)[component];
  const meta = (): Record<string, unknown> => childMeta(cluster, name, component);
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(),
      automountServiceAccountToken: true,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(),
      rules: RULES[component],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: cluster.metadata.namespace }],
    },
  ];
}

export function rbac(cluster: GlassCluster): Record<string, unknown>[] {
  return [...forComponent(cluster, 'runtime'), ...forComponent(cluster, 'router')];
}
