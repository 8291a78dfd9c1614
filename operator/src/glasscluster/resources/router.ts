import type { GlassCluster } from '@glass/crds';
import {
  childMeta,
  CONFIG_HASH_ANNOTATION,
  contentHash,
  labels,
  names,
  pullSecrets,
  RESTRICTED_CONTAINER,
  RESTRICTED_POD,
  selector,
  TMP_MOUNT,
  TMP_VOLUME,
} from './meta.js';
import { RUNTIME_PORT } from './runtime.js';

const ROUTER_PORT = 8080;

export function routerDeployment(cluster: GlassCluster): Record<string, unknown> {
  const { spec } = cluster;
  const router = spec.router;
  const args = [
    'router',
    '--port',
    String(ROUTER_PORT),
    '--host',
    '0.0.0.0',
    '--kubernetes-service',
    names(cluster).runtime,
    '--backend-port',
    String(RUNTIME_PORT),
    '--virtual-nodes',
    String(router.virtualNodes),
    '--keys',
    router.keys.join(','),
    '--health-interval',
    router.healthCheck.interval,
    '--unhealthy-threshold',
    String(router.healthCheck.unhealthyThreshold),
    '--healthy-threshold',
    String(router.healthCheck.healthyThreshold),
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(cluster, names(cluster).router, 'router'),
    spec: {
      replicas: router.replicas,
      selector: { matchLabels: selector(cluster, 'router') },
      template: {
        metadata: {
          labels: labels(cluster, 'router'),
          annotations: { [CONFIG_HASH_ANNOTATION]: contentHash({ args, image: spec.image }) },
        },
        spec: {
          serviceAccountName: names(cluster).router,
          ...pullSecrets(cluster),
          securityContext: RESTRICTED_POD,
          containers: [
            {
              name: 'router',
              image: spec.image,
              args,
              env: [
                {
                  name: 'POD_NAMESPACE',
                  valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
                },
              ],
              ports: [{ name: 'http', containerPort: ROUTER_PORT }],
              readinessProbe: { httpGet: { path: '/lb/health', port: 'http' }, periodSeconds: 2 },
              livenessProbe: { httpGet: { path: '/lb/health', port: 'http' }, periodSeconds: 10 },
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
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

/** What users port-forward to: `kubectl port-forward svc/<cluster>-router 8080:80`. */
export function routerService(cluster: GlassCluster): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(cluster, names(cluster).router, 'router'),
    spec: {
      type: 'ClusterIP',
      selector: selector(cluster, 'router'),
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}
