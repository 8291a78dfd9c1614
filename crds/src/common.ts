import { z } from 'zod';

/** API group and version shared by every Glass custom resource. */
export const GROUP = 'glass.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A DNS-1123 label, what Kubernetes accepts as most object names. */
export const DnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (a-z, 0-9, "-")');

/** A DNS-1123 subdomain, what Kubernetes accepts as a Secret's (and most other) names. */
export const DnsSubdomain = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS-1123 subdomain (a-z, 0-9, "-", ".")',
  );

/**
 * A reference to an object in the same namespace, by name (the API's LocalObjectReference).
 * The API server only checks such a name is set; it names a Secret here, so anything that
 * could not be a Secret's name is refused up front rather than as an ImagePullBackOff later.
 */
export const LocalObjectReference = z.object({ name: DnsSubdomain });

/** A Kubernetes quantity such as `64Mi` or `1G`, kept as text like Kubernetes does. */
export const Quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a quantity such as 64Mi');

/** A duration such as `500ms`, `5s` or `1m`. */
export const Duration = z
  .string()
  .regex(/^[0-9]+(ms|s|m)$/, 'must be a duration such as 500ms, 5s or 1m');

/** Object metadata: only what Glass reads is checked; the rest passes through untouched. */
export const ObjectMeta = z.looseObject({
  name: DnsLabel,
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  generation: z.number().int().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
});

export const Condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof Condition>;

const QUANTITY_FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Bytes in a quantity that `Quantity` accepted. */
export function quantityToBytes(quantity: string): number {
  const match = /^([0-9.]+)([A-Za-z]*)$/.exec(quantity);
  const factor = match ? QUANTITY_FACTORS[match[2] ?? ''] : undefined;
  if (!match || factor === undefined) throw new Error(`not a quantity: ${quantity}`);
  return Math.floor(Number(match[1]) * factor);
}

const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Milliseconds in a duration that `Duration` accepted. */
export function durationToMs(duration: string): number {
  const match = /^([0-9]+)(ms|s|m)$/.exec(duration);
  const factor = match ? DURATION_FACTORS[match[2] ?? ''] : undefined;
  if (!match || factor === undefined) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * factor;
}
