import { z } from 'zod';

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
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;
