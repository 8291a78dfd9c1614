import type { GlassCluster } from '@glass/crds';
import { tokenEnv } from './credentials.js';
import { glassDeployment } from './glass-deployment.js';
import { childMeta, contentHash, names, selector } from './meta.js';
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
    // Its Faaslets, to send each call to the owner of the namespace it touches (ADR 0101).
    '--cluster',
    cluster.metadata.name,
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
  return glassDeployment(cluster, 'router', {
    replicas: router.replicas,
    configHash: contentHash({ args, image: spec.image }),
    container: {
      name: 'router',
      args,
      env: [
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        // /lb/status and /metrics answer only to these (ADR 0125); /lb/health stays open.
        ...tokenEnv(cluster),
      ],
      ports: [{ name: 'http', containerPort: ROUTER_PORT }],
      readinessProbe: { httpGet: { path: '/lb/health', port: 'http' }, periodSeconds: 2 },
      livenessProbe: { httpGet: { path: '/lb/health', port: 'http' }, periodSeconds: 10 },
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    },
  });
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
