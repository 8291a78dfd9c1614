import { cpus, totalmem } from 'node:os';
import { z } from 'zod';

/** A pod network: an IPv4 CIDR whose every address binds on this machine (see pod-network.ts). */
const Cidr = z
  .string()
  .regex(
    /^(\d{1,3}\.){3}\d{1,3}\/(8|9|1\d|2[0-4])$/,
    'an IPv4 CIDR of /8 to /24, e.g. 10.244.0.0/16',
  );

/** What the agent needs, parsed once at its edge (the CLI or the e2e driver) and frozen. */
export const AgentConfig = z.object({
  /** The Node it registers and the pods it runs (spec.nodeName). */
  nodeName: z.string().min(1).default('glass-e2e'),
  /** Admin credentials of the control plane: the agent acts as the scheduler and the kubelet. */
  kubeconfig: z.string().min(1),
  /** Checkout whose built code stands in for Glass's image (`/app` in the image). */
  repoRoot: z.string().min(1),
  /**
   * Image repositories that are Glass's image, matched on the last path segment of the
   * repository (`registry.example/team/glass:1.2` is `glass`). Anything else cannot be pulled.
   */
  imageNames: z.array(z.string().min(1)).min(1).default(['glass']),
  /**
   * Pod IPs are handed out from here; the node itself takes the first address. Every address
   * must be local (Linux: `ip addr add <cidr> dev lo`, which the e2e does in its own network
   * namespace). 127.0.0.0/8 needs no setup, but the API server refuses loopback addresses in
   * EndpointSlices, so Services then have no endpoints.
   */
  podCidr: Cidr.default('10.244.0.0/16'),
  /** Per-pod directories (kubeconfig, HOME, logs) go under here. */
  stateDir: z.string().min(1),
  /** How often the Node's Lease is renewed (the kubelet's default is 10 s of a 40 s lease). */
  leaseRenewMs: z.number().int().min(100).default(10_000),
  /** How often the Ready condition's heartbeat is refreshed. */
  statusRefreshMs: z.number().int().min(100).default(20_000),
  /** Capacity the Node reports; the agent does not enforce it (there is no scheduler to). */
  capacity: z.object({ cpu: z.string(), memory: z.string(), pods: z.string() }).default(() => ({
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
  })),
});
export type AgentConfig = Readonly<z.infer<typeof AgentConfig>>;
