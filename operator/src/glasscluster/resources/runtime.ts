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

export const RUNTIME_PORT = 8080;

/** Where the runtime finds Redis: a URL, a key of a Secret, or the managed Redis. */
function redisEnv(cluster: GlassCluster): Record<string, unknown>[] {
  const state = cluster.spec.state;
  if (state?.redis?.url) return [{ name: 'GLASS_REDIS_URL', value: state.redis.url }];
  if (state?.redis?.secretRef) {
    return [
      {
        name: 'GLASS_REDIS_URL',
        valueFrom: {
          secretKeyRef: { name: state.redis.secretRef.name, key: state.redis.secretRef.key },
        },
      },
    ];
  }
  if (state?.managed)
    return [{ name: 'GLASS_REDIS_URL', value: `redis://${names(cluster).redis}:6379` }];
  return [];
}

export function runtimeDeployment(cluster: GlassCluster): Record<string, unknown> {
  const { spec } = cluster;
  const env = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ...redisEnv(cluster),
  ];
  const args = [
    'runtime',
    '--port',
    String(RUNTIME_PORT),
    '--host',
    '0.0.0.0',
    '--workers',
    String(spec.workers),
    '--cluster',
    cluster.metadata.name,
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(cluster, names(cluster).runtime, 'runtime'),
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: selector(cluster, 'runtime') },
      template: {
        metadata: {
          labels: labels(cluster, 'runtime'),
          annotations: {
            [CONFIG_HASH_ANNOTATION]: contentHash({
              args,
              env,
              image: spec.image,
              state: spec.state,
            }),
          },
        },
        spec: {
          serviceAccountName: names(cluster).runtime,
          ...pullSecrets(cluster),
          securityContext: RESTRICTED_POD,
          containers: [
            {
              name: 'runtime',
              image: spec.image,
              args,
              env,
              ports: [{ name: 'http', containerPort: RUNTIME_PORT }],
              // The local tier only (ADR 45): a Redis outage answers 503 on global calls, but
              // must not take every pod out of the Service and stop local Faaslets too.
              readinessProbe: {
                httpGet: { path: '/ready?tier=local', port: 'http' },
                periodSeconds: 2,
              },
              livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10 },
              resources: spec.resources ?? {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { memory: '512Mi' },
              },
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

/** Headless: the router reads the ready pod addresses from its EndpointSlices. */
export function runtimeService(cluster: GlassCluster): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(cluster, names(cluster).runtime, 'runtime'),
    spec: {
      clusterIP: 'None',
      selector: selector(cluster, 'runtime'),
      ports: [{ name: 'http', port: RUNTIME_PORT, targetPort: 'http' }],
      publishNotReadyAddresses: false,
    },
  };
}
