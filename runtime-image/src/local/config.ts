// `glass up` flags: the embedded router's settings plus what the local cluster needs.
import { z } from 'zod';
import { LogLevel, RouterSettings } from '../router/config.js';

const paths = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).filter((s) => s !== ''));

export const UpFlags = RouterSettings.extend({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Runtime processes to start. */
  runtimes: z.coerce.number().int().min(1).max(64).default(3),
  /** YAML files or folders of Faaslets; empty means the top-level samples in crds/samples/. */
  faaslets: paths.default([]),
  /** Global state tier for every runtime; absent means the local tier only. */
  redis: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Guest worker threads per runtime; absent leaves the runtime's default. */
  workers: z.coerce.number().int().min(1).max(64).optional(),
  runtimeLogLevel: LogLevel.default('warn'),
  /** The embedded router's log level. */
  logLevel: LogLevel.default('warn'),
  /** How long a runtime may take to answer /ready before `glass up` gives up on it. */
  readyTimeout: z.coerce.number().int().min(100).default(30_000),
});
export type UpFlags = Readonly<z.infer<typeof UpFlags>>;
