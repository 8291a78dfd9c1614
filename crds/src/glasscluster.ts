import { z } from 'zod';
import { StateNamespacePattern } from './state-namespace-allow-list.js';
import {
  API_VERSION,
  Condition,
  DnsLabel,
  Duration,
  LocalObjectReference,
  ObjectMeta,
} from './common.js';

export const GLASS_CLUSTER_KIND = 'GlassCluster';

/** Where the router reads a request's routing key from, tried in order; the first present wins. */
export const RoutingKeySource = z.enum(['user-id', 'session', 'function', 'client-ip']);
export type RoutingKeySource = z.infer<typeof RoutingKeySource>;
export const DEFAULT_ROUTING_KEYS: RoutingKeySource[] = [
  'user-id',
  'session',
  'function',
  'client-ip',
];

export const RouterSpec = z.object({
  replicas: z.number().int().min(1).max(100).default(1),
  virtualNodes: z.number().int().min(1).max(10_000).default(150),
  keys: z.array(RoutingKeySource).min(1).default(DEFAULT_ROUTING_KEYS),
  healthCheck: z
    .object({
      interval: Duration.default('1s'),
      /** Consecutive failures (probe or proxied request) that eject a pod. */
      unhealthyThreshold: z.number().int().min(1).max(100).default(3),
      /** Consecutive successful probes that bring an ejected pod back. */
      healthyThreshold: z.number().int().min(1).max(100).default(2),
    })
    .prefault({}),
});

export const SecretKeyRef = z.object({ name: DnsLabel, key: z.string().min(1) });

export const RedisSpec = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    secretRef: SecretKeyRef.optional(),
  })
  .refine((r) => (r.url === undefined) !== (r.secretRef === undefined), {
    message: 'exactly one of url or secretRef must be set',
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'has(self.url) != has(self.secretRef)',
        message: 'exactly one of url or secretRef must be set',
      },
    ],
  });

/** The Redis image a `managed: true` cluster runs unless `managedImage` names another. */
export const DEFAULT_MANAGED_REDIS_IMAGE = 'redis:7-alpine';

export const StateSpec = z
  .object({
    redis: RedisSpec.optional(),
    managed: z.boolean().optional(),
    /**
     * The image of the managed Redis, for clusters that pull from a mirror or pin a digest;
     * default DEFAULT_MANAGED_REDIS_IMAGE. Only with `managed: true`.
     */
    managedImage: z.string().min(1).max(512).optional(),
  })
  .refine((s) => !(s.redis !== undefined && s.managed === true), {
    message: 'redis and managed are mutually exclusive',
  })
  .refine((s) => s.managedImage === undefined || s.managed === true, {
    message: 'managedImage needs managed: true',
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '!(has(self.redis) && has(self.managed) && self.managed)',
        message: 'redis and managed are mutually exclusive',
      },
      {
        rule: '!has(self.managedImage) || (has(self.managed) && self.managed)',
        message: 'managedImage needs managed: true',
      },
    ],
  });

export const ResourceRequirements = z.object({
  limits: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

/** Enough for a registry per image and a rotation in flight; a bound keeps CRD validation cheap. */
export const MAX_IMAGE_PULL_SECRETS = 16;

export const GlassClusterSpec = z.object({
  replicas: z.number().int().min(0).max(1000).default(2),
  image: z.string().min(1).default('ghcr.io/glass-dev/glass:0.1.0'),
  resources: ResourceRequirements.optional(),
  /** Guest worker threads per runtime pod. */
  workers: z.number().int().min(1).max(64).default(2),
  /**
   * Secrets (in the cluster's namespace) for pulling `image`, put on every pod the operator
   * makes: runtime, router and managed Redis.
   */
  imagePullSecrets: z.array(LocalObjectReference).max(MAX_IMAGE_PULL_SECRETS).optional(),
  router: RouterSpec.prefault({}),
  state: StateSpec.optional(),
  /**
   * The state namespaces its Faaslets may name, as patterns where `*` is any run of
   * characters (`team-a-*`); a keyed template's placeholder matches only a `*` (ADR 0129).
   * Absent: any. A Faaslet outside it is refused by the operator and by the runtime pods.
   */
  allowedStateNamespaces: z.array(StateNamespacePattern).max(64).optional(),
});
export type GlassClusterSpec = z.infer<typeof GlassClusterSpec>;

export const GlassClusterStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
  /** Runtime pods that exist (the runtime Deployment's status.replicas): the scale subresource's. */
  replicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  /**
   * The runtime pods' label selector as text (`a=b,c=d`), exactly the runtime Deployment's: an
   * HPA reads it from the scale subresource to find the pods whose metrics it averages.
   */
  selector: z.string().optional(),
  routerService: z.string().optional(),
});

/**
 * Where `kubectl scale` and an HPA read and write a GlassCluster's runtime pods (ADR 0130); the
 * operator passes spec.replicas on to the runtime Deployment.
 */
export const GLASS_CLUSTER_SCALE = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};

export const GlassCluster = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(GLASS_CLUSTER_KIND),
  metadata: ObjectMeta,
  spec: GlassClusterSpec,
  status: GlassClusterStatus.optional(),
});
export type GlassCluster = z.infer<typeof GlassCluster>;
