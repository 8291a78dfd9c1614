import { DnsLabel, StateNamespacePattern } from '@glass/crds';
import { z } from 'zod';
import { isCidr } from '../runtime/module-fetch.js';
import { RedisSettings } from '../state/redis-config.js';

/** An IPv4 or IPv6 range, `address/prefix`. */
export const Cidr = z
  .string()
  .refine(isCidr, { message: 'must be a CIDR range like 127.0.0.0/8 or ::1/128' });

/** `--cluster`: serve the Faaslets of a GlassCluster, watched in Kubernetes. */
export const KubernetesSettings = z.object({
  cluster: DnsLabel,
  /** Absent: the kubeconfig context's namespace, else `default`. */
  namespace: DnsLabel.optional(),
  /** Absent: KUBECONFIG, ~/.kube/config, then the pod's service account. */
  kubeconfig: z.string().min(1).optional(),
});
export type KubernetesSettings = z.infer<typeof KubernetesSettings>;

/** `glass runtime` flags, parsed once at the edge; nothing below reads process.env. */
export const RuntimeConfig = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1).default('127.0.0.1'),
  faaslets: z.array(z.string().min(1)).default([]),
  podName: z.string().min(1).optional(),
  workers: z.coerce.number().int().min(1).max(64).default(2),
  maxBodyBytes: z.coerce
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Absent: only the Faaslets in `faaslets` files. */
  kubernetes: KubernetesSettings.optional(),
  /**
   * Where this pod learns the other runtime pods, so it knows which namespaces it owns (ADR
   * 0101): a JSON file (`glass up`), or the EndpointSlices of the runtime Service (with
   * --cluster). Absent: a lone runtime, owner of every namespace.
   */
  membersFile: z.string().min(1).optional(),
  peersService: DnsLabel.optional(),
  /** Default 150, as the router's. */
  virtualNodes: z.coerce.number().int().min(1).max(10_000).optional(),
  /** How long a pod that gains a namespace waits for its previous owner's hand-off. */
  handoffTimeoutMs: z.coerce.number().int().min(0).max(600_000).optional(),
  /** The global tier; absent: local tier only, and `durability: global` is refused. */
  redis: RedisSettings.optional(),
  /** How long an Idempotency-Key's response is replayed (default 24 h). */
  idempotencyTtlSeconds: z.coerce.number().int().min(1).max(31_536_000).optional(),
  /** Bytes of `durability: local` Idempotency-Key records kept (ADR 0080). */
  idempotencyBudgetBytes: z.coerce.number().int().min(0).optional(),
  /** The largest response stored for an Idempotency-Key; larger ones answer unstored. */
  idempotencyMaxResponseBytes: z.coerce.number().int().min(0).optional(),
  /** Loopback/private ranges spec.module.url may be fetched from (ADR 0081); default none. */
  moduleFetchAllowCidrs: z.array(Cidr).optional(),
  /** The largest module fetched from a URL. */
  moduleFetchMaxBytes: z.coerce.number().int().min(1).optional(),
  /**
   * With it, every route but `/invoke/...`, `/health` and `/ready` needs
   * `Authorization: Bearer <adminToken>` (ADR 0125); the pod sends it to its peers' hand-offs.
   */
  adminToken: z.string().min(16).optional(),
  /** Reads `/metrics` only (Prometheus); needs `adminToken`. */
  metricsToken: z.string().min(16).optional(),
  /** The state namespace patterns Faaslets may name (ADR 0129); absent: any, [] none. */
  allowedStateNamespaces: z.array(StateNamespacePattern).optional(),
  /** TEST ONLY: SIGKILL self after committing this Idempotency-Key, before answering. */
  testCrashAfterCommitOf: z.string().min(1).optional(),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;

/** The membership flags that only mean something together. */
export const RuntimeConfigChecked = RuntimeConfig.superRefine((config, ctx) => {
  if (config.peersService !== undefined && config.kubernetes === undefined) {
    ctx.addIssue({ code: 'custom', path: ['peersService'], message: 'needs --cluster' });
  }
  if (config.metricsToken !== undefined && config.adminToken === undefined) {
    ctx.addIssue({ code: 'custom', path: ['metricsToken'], message: 'needs GLASS_ADMIN_TOKEN' });
  }
  if (config.peersService !== undefined && config.membersFile !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['membersFile'],
      message: 'give --members-file or --peers-service, not both',
    });
  }
});
