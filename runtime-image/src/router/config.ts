// `glass router` flags: one zod schema, parsed once at the edge into a frozen object.
import { z } from 'zod';
import { DnsLabel, Duration, durationToMs, Quantity, quantityToBytes } from '@glass/crds';
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
  /**
   * Bounded-load factor for calls that touch no state, placed by routing key: a pod takes at
   * most this times the mean in-flight load before the next pod clockwise takes the call
   * (HAProxy's hash-balance-factor / 100). 0 turns it off: strict key affinity.
   */
  balanceFactor: z.coerce.number().min(0).max(100).default(1.25),
  /**
   * The router's own limits (ADR 0104), set on purpose rather than left at Node's defaults: a
   * client must send its headers within `headerTimeout` and its whole request within
   * `requestTimeout`; an idle keep-alive connection closes after `idleTimeout`; at most
   * `maxConnections` client connections; at most `maxBuffered` bytes of request bodies held
   * at once across all requests (503 past it).
   */
  headerTimeout: ms.default(10_000),
  requestTimeout: ms.default(30_000),
  idleTimeout: ms.default(65_000),
  maxConnections: count(1, 1_000_000).default(10_000),
  maxBuffered: Quantity.transform(quantityToBytes).default(64 * 1024 * 1024),
  /**
   * With it, `/lb/status` and `/metrics` need `Authorization: Bearer <adminToken>` (`/metrics`
   * also takes `metricsToken`); `/lb/health` and `/lb/ready` stay open (ADR 0125). `glass up`
   * sets none: on loopback they stay open, as the original Glass had them.
   */
  adminToken: z.string().min(16).optional(),
  metricsToken: z.string().min(16).optional(),
});
export type RouterSettings = Readonly<z.infer<typeof RouterSettings>>;

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error', 'silent']);

/**
 * Flags that only mean something when the members come from EndpointSlices. `--namespace` is
 * not among them: it also comes from POD_NAMESPACE, which a pod's environment may well set.
 */
const KUBERNETES_ONLY = ['backendPort', 'kubeconfig', 'cluster'] as const;

/**
 * `glass router`: the settings plus where the members come from, exactly one of a static
 * `--backend` list or the EndpointSlices of `--kubernetes-service` (docs/adr/0065).
 */
export const RouterFlags = RouterSettings.extend({
  logLevel: LogLevel.default('info'),
  backend: z.preprocess((v) => v ?? [], list.pipe(z.array(BackendUrl))),
  /** The runtime Service whose EndpointSlices name the members. */
  kubernetesService: DnsLabel.optional(),
  /** The GlassCluster whose Faaslets the router follows, to place calls by namespace. */
  cluster: DnsLabel.optional(),
  /** The runtime port when a slice has no port named `http`. */
  backendPort: count(1, 65_535).optional(),
  /** Absent: the kubeconfig context's namespace, else `default` (resolved with the config). */
  namespace: DnsLabel.optional(),
  /** Absent: KUBECONFIG, ~/.kube/config, then the pod's service account. */
  kubeconfig: z.string().min(1).optional(),
}).superRefine((flags, ctx) => {
  const kubernetes = flags.kubernetesService !== undefined;
  if (kubernetes && flags.backend.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['kubernetesService'],
      message: 'give either --backend URLs or --kubernetes-service, not both',
    });
  } else if (!kubernetes && flags.backend.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['backend'],
      message: 'give at least one --backend URL, or --kubernetes-service NAME',
    });
  }
  for (const key of KUBERNETES_ONLY) {
    if (!kubernetes && flags[key] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'needs --kubernetes-service' });
    }
  }
});
export type RouterFlags = Readonly<z.infer<typeof RouterFlags>>;

/** The runtime pods' port in a GlassCluster, used when a slice names none. */
export const DEFAULT_BACKEND_PORT = 8080;

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
