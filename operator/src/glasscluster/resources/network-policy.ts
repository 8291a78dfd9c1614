import type { GlassCluster } from '@glass/crds';
import { childMeta, names, selector, type Component } from './meta.js';

/**
 * Prometheus, as the Prometheus Operator labels it, in any namespace: it scrapes /metrics
 * (with the metrics token, ADR 0125). The chart's `networkPolicy.prometheusFrom` default.
 */
const PROMETHEUS = {
  namespaceSelector: {},
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
};

function policy(
  cluster: GlassCluster,
  component: Component,
  ingress: Record<string, unknown>[],
): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    // `-ingress`: the chart's own policies are `<release>-runtime` etc., and a release and a
    // cluster may well share a name.
    metadata: childMeta(cluster, `${names(cluster)[component]}-ingress`, component),
    spec: {
      podSelector: { matchLabels: selector(cluster, component) },
      policyTypes: ['Ingress'],
      ingress,
    },
  };
}

const pods = (cluster: GlassCluster, component: Component): Record<string, unknown> => ({
  podSelector: { matchLabels: selector(cluster, component) },
});

/**
 * The default ingress policies of one GlassCluster, in its own namespace (ADR 0125): its
 * runtime pods from its routers, each other (forwarded calls, hand-offs) and Prometheus; its
 * routers on their HTTP port from anyone; its managed Redis from its runtime pods only.
 * Egress stays open, as in the chart (ADR 62): pods reach the API server and module URLs.
 */
export function networkPolicies(cluster: GlassCluster): Record<string, unknown>[] {
  const http = [{ protocol: 'TCP', port: 'http' }];
  const policies = [
    policy(cluster, 'runtime', [
      { from: [pods(cluster, 'router'), pods(cluster, 'runtime'), PROMETHEUS], ports: http },
    ]),
    policy(cluster, 'router', [{ ports: http }]),
  ];
  if (cluster.spec.state?.managed) {
    policies.push(
      policy(cluster, 'redis', [
        { from: [pods(cluster, 'runtime')], ports: [{ protocol: 'TCP', port: 'redis' }] },
      ]),
    );
  }
  return policies;
}
