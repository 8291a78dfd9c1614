// `glass router` flags: one zod schema, parsed once at the edge into a frozen object.
import { z } from 'zod';
import { Duration, durationToMs, Quantity, quantityToBytes } from '@glass/crds';
import { parseCidr } from './client-ip.js';
import { memberFromUrl } from './static-membership.js';
import { DEFAULT_ROUTING_KEYS, RoutingKeySource } from './keys.js';
import { DEFAULT_VIRTUAL_NODES } from './ring.js';

/** A flag given as a list, repeated (`--x a --x b`) or comma-separated (`--x a,b`). */
const list = z.union([z.string(), z.array(z.string())]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

const ms = Duration.transform(durationToMs);
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const Cidr = z.string().superRefine((text, ctx) => {
  try {
    parseCidr(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const BackendUrl = z.string().superRefine((text, ctx) => {
  try {
    memberFromUrl(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** The router's settings that do not depend on where its members come from. */
export const RouterSettings = z.object({
  host: z.string().min(1).default('0.0.0.0'),
  port: count(0, 65_535).default(8080),
  virtualNodes: count(1, 10_000).default(DEFAULT_VIRTUAL_NODES),
  keys: list.pipe(z.array(RoutingKeySource).min(1)).default([...DEFAULT_ROUTING_KEYS]),
  trustedProxies: list.pipe(z.array(Cidr)).default([]),
  healthInterval: ms.default(1000),
  probeTimeout: ms.default(1000),
  unhealthyThreshold: count(1, 100).default(3),
  healthyThreshold: count(1, 100).default(2),
  maxBody: Quantity.transform(quantityToBytes).default(1024 * 1024),
  upstreamTimeout: ms.default(60_000),
  maxAttempts: count(1, 16).default(3),
});
export type RouterSettings = Readonly<z.infer<typeof RouterSettings>>;

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error', 'silent']);

/** `glass router`: the settings plus a static list of backends. */
export const RouterFlags = RouterSettings.extend({
  logLevel: LogLevel.default('info'),
  backend: z.preprocess(
    (v) => v ?? [],
    list.pipe(z.array(BackendUrl).min(1, 'give at least one --backend URL')),
  ),
});
export type RouterFlags = Readonly<z.infer<typeof RouterFlags>>;

/** `['trustedProxies', 1]` → `--trusted-proxies[1]`: the flag a user typed, roughly. */
function flagName(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  const flag = `--${(head ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return flag + rest.map((p) => `[${p}]`).join('');
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Parses raw flags (strings from commander, or typed values from code) into frozen config. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown): Readonly<z.infer<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${flagName(i.path)}: ${i.message}`);
    throw new Error(`invalid flags:\n  ${problems.join('\n  ')}`);
  }
  return deepFreeze(result.data);
}
