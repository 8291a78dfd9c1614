import { randomBytes } from 'node:crypto';
import type { GlassCluster } from '@glass/crds';
import { childMeta, names } from './meta.js';

/**
 * The keys of a GlassCluster's credentials Secret (ADR 0125): the admin token of its runtime
 * pods' and routers' routes that are not calls, a token that reads /metrics only (what a
 * Prometheus is given), and the managed Redis's password (ADR 0084 did the chart's).
 */
export const CREDENTIAL_KEYS = {
  admin: 'admin-token',
  metrics: 'metrics-token',
  redisPassword: 'redis-password',
} as const;

/** 32 random bytes as 64 hex digits: safe in a URL's userinfo and in a shell, no escaping. */
const randomToken = (): string => randomBytes(32).toString('hex');

/**
 * The Secret, with fresh values. It is created once and never applied again (the operator
 * may create Secrets but not read them), so its values stay what the pods started with;
 * it goes with the GlassCluster through its owner reference.
 */
export function credentialsSecret(
  cluster: GlassCluster,
  random: () => string = randomToken,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: childMeta(cluster, names(cluster).credentials, 'runtime'),
    type: 'Opaque',
    stringData: {
      [CREDENTIAL_KEYS.admin]: random(),
      [CREDENTIAL_KEYS.metrics]: random(),
      [CREDENTIAL_KEYS.redisPassword]: random(),
    },
  };
}

/** An env variable holding one key of the cluster's credentials Secret. */
export function credentialEnv(
  cluster: GlassCluster,
  name: string,
  key: (typeof CREDENTIAL_KEYS)[keyof typeof CREDENTIAL_KEYS],
): Record<string, unknown> {
  return { name, valueFrom: { secretKeyRef: { name: names(cluster).credentials, key } } };
}

/** The tokens every runtime and router pod checks (read by `glass` from its environment). */
export function tokenEnv(cluster: GlassCluster): Record<string, unknown>[] {
  return [
    credentialEnv(cluster, 'GLASS_ADMIN_TOKEN', CREDENTIAL_KEYS.admin),
    credentialEnv(cluster, 'GLASS_METRICS_TOKEN', CREDENTIAL_KEYS.metrics),
  ];
}
