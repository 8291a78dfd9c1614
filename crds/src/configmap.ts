import { z } from 'zod';
import { ObjectMeta } from './common.js';

/** The part of a core/v1 ConfigMap that Glass reads: module bytes live in `binaryData`. */
export const ConfigMap = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: ObjectMeta,
  data: z.record(z.string(), z.string()).optional(),
  binaryData: z.record(z.string(), z.base64()).optional(),
});
export type ConfigMap = z.infer<typeof ConfigMap>;
