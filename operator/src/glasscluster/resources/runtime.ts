import type { GlassCluster } from '@glass/crds';
import { CREDENTIAL_KEYS, credentialEnv, tokenEnv } from './credentials.js';
import { glassDeployment } from './glass-deployment.js';
import { childMeta, contentHash, names, selector } from './meta.js';

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
  if (state?.managed) {
    // The password from the Secret, then a URL that names it: the kubelet expands $(VAR) of an
    // earlier variable, so the password is in no manifest and the runtime never logs the URL.
    return [
      credentialEnv(cluster, 'GLASS_MANAGED_REDIS_PASSWORD', CREDENTIAL_KEYS.redisPassword),
      {
        name: 'GLASS_REDIS_URL',
        value: `redis://:$(GLASS_MANAGED_REDIS_PASSWORD)@${names(cluster).redis}:6379`,
      },
    ];
  }
  return [];
}

/**
 * The runtime's Redis key prefix: `glass.<namespace>.<cluster>` (ADR 0082). Two GlassClusters
 * sharing a Redis then never share keys, even with the same Faaslet state namespaces. A
 * Kubernetes namespace is a DNS label, which holds no dot, so the prefix reads one way only.
 */
export function redisKeyPrefix(cluster: GlassCluster): string {
  return `glass.${cluster.metadata.namespace ?? 'default'}.${cluster.metadata.name}`;
}

/** What the operator's own flags pass on to the runtime pods it makes. */
export interface RuntimePodOptions {
  /** Ranges spec.module.url may point to, as the operator allows them (ADR 0081). */
  moduleFetchAllowCidrs?: readonly string[];
  /** The largest module the pods fetch from a URL. */
  moduleFetchMaxBytes?: number;
}

/** The runtime's module-fetch flags: the pods fetch URL modules too, under the same rules. */
function moduleFetchArgs(options: RuntimePodOptions): string[] {
  return [
    ...(options.moduleFetchAllowCidrs ?? []).flatMap((cidr) => ['--module-fetch-allow-cidr', cidr]),
    ...(options.moduleFetchMaxBytes === undefined
      ? []
      : ['--module-fetch-max-bytes', String(options.moduleFetchMaxBytes)]),
  ];
}

export function runtimeDeployment(
  cluster: GlassCluster,
  options: RuntimePodOptions = {},
): Record<string, unknown> {
  const { spec } = cluster;
  const env = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ...redisEnv(cluster),
    ...tokenEnv(cluster),
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
    // Its peers, to know which namespaces it owns, on the router's ring (ADR 0101).
    '--peers-service',
    names(cluster).runtime,
    '--virtual-nodes',
    String(spec.router.virtualNodes),
    ...(env.some((e) => e.name === 'GLASS_REDIS_URL')
      ? ['--redis-key-prefix', redisKeyPrefix(cluster)]
      : []),
    ...moduleFetchArgs(options),
    // The pods refuse a Faaslet outside the list themselves, whatever its status (ADR 0129).
    ...(spec.allowedStateNamespaces === undefined
      ? []
      : ['--allowed-state-namespaces', spec.allowedStateNamespaces.join(',')]),
  ];
  return glassDeployment(cluster, 'runtime', {
    replicas: spec.replicas,
    configHash: contentHash({ args, env, image: spec.image, state: spec.state }),
    container: {
      name: 'runtime',
      args,
      env,
      ports: [{ name: 'http', containerPort: RUNTIME_PORT }],
      // The local tier only (ADR 45): a Redis outage answers 503 on global calls, but must not
      // take every pod out of the Service and stop local Faaslets too.
      readinessProbe: { httpGet: { path: '/ready?tier=local', port: 'http' }, periodSeconds: 2 },
      livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10 },
      resources: spec.resources ?? {
        requests: { cpu: '100m', memory: '128Mi' },
        limits: { memory: '512Mi' },
      },
    },
  });
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
