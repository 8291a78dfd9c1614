import { isCidr } from '@glass/runtime/module-bytes';
import { z } from 'zod';

/** `glass-operator` flags, parsed once at the edge; nothing below reads process.env. */
export const OperatorConfig = z
  .object({
    kubeconfig: z.string().min(1).optional(),
    identity: z.string().min(1),
    healthPort: z.coerce.number().int().min(0).max(65535).default(8081),
    healthHost: z.string().default('0.0.0.0'),
    leaderElect: z.boolean().default(true),
    leaseNamespace: z.string().min(1).default('default'),
    leaseName: z.string().min(1).default('glass-operator'),
    leaseDurationMs: z.coerce.number().int().min(1000).default(15_000),
    retryPeriodMs: z.coerce.number().int().min(100).default(2_000),
    concurrency: z.coerce.number().int().min(1).max(64).default(4),
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /** Write a NetworkPolicy per GlassCluster, in its namespace (ADR 0125). */
    networkPolicies: z.boolean().default(true),
    /** Images a GlassCluster may run (ADR 0085); empty: any, with a warning at startup. */
    allowedImages: z.array(z.string().min(1)).default([]),
    /** Loopback/private ranges spec.module.url may be fetched from (ADR 0081); default none. */
    moduleFetchAllowCidrs: z
      .array(z.string().refine(isCidr, { message: 'must be a CIDR range like 10.0.0.0/8' }))
      .default([]),
    /** The largest module fetched from a URL. */
    moduleFetchMaxBytes: z.coerce
      .number()
      .int()
      .min(1)
      .default(64 * 1024 * 1024),
  })
  .refine((c) => c.leaseDurationMs >= 4 * c.retryPeriodMs, {
    message: 'the Lease duration must be at least 4 retry periods (see docs/adr/0052)',
    path: ['leaseDurationMs'],
  });
export type OperatorConfig = z.infer<typeof OperatorConfig>;
