import { DEFAULT_MANAGED_REDIS_IMAGE, type GlassCluster } from '@glass/crds';
import { CREDENTIAL_KEYS, credentialEnv } from './credentials.js';
import {
  childMeta,
  labels,
  names,
  pullSecrets,
  RESTRICTED_CONTAINER,
  RESTRICTED_POD,
  selector,
} from './meta.js';

/** `state.managed: true`: a single Redis with AOF, for clusters that bring none (`state.managedImage`). */
export function managedRedis(cluster: GlassCluster): Record<string, unknown>[] {
  const name = names(cluster).redis;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: childMeta(cluster, name, 'redis'),
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector(cluster, 'redis') },
        template: {
          metadata: { labels: labels(cluster, 'redis') },
          spec: {
            ...pullSecrets(cluster),
            securityContext: RESTRICTED_POD,
            containers: [
              {
                name: 'redis',
                image: cluster.spec.state?.managedImage ?? DEFAULT_MANAGED_REDIS_IMAGE,
                // The password from the cluster's Secret (ADR 0126): the kubelet fills in
                // $(REDIS_PASSWORD), so it is in no manifest.
                env: [credentialEnv(cluster, 'REDIS_PASSWORD', CREDENTIAL_KEYS.redisPassword)],
                args: [
                  '--requirepass',
                  '$(REDIS_PASSWORD)',
                  '--appendonly',
                  'yes',
                  '--dir',
                  '/data',
                  '--save',
                  '',
                ],
                ports: [{ name: 'redis', containerPort: 6379 }],
                readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 2 },
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: childMeta(cluster, name, 'redis'),
      spec: {
        selector: selector(cluster, 'redis'),
        ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }],
      },
    },
  ];
}
