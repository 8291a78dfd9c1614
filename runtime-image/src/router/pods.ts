// The router's view of the runtime pods: membership applied to a ring, a keep-alive pool per
// pod, and each pod's health and counters. The proxy asks it for candidates; nothing else.
import { Client, Pool } from 'undici';
import { PodHealth, type HealthChange, type HealthPolicy, type Scheduler } from './health.js';
import type { Member, Membership, MembershipEvent } from './membership.js';
import { HashRing, type RingHash } from './ring.js';

export interface Pod {
  readonly name: string;
  readonly url: string;
  readonly health: PodHealth;
  /** Keep-alive connections for proxied requests. */
  readonly pool: Pool;
  requests: number;
  errors: number;
  /** Requests sent to it that have not finished: what bounded-load placement weighs. */
  inFlight: number;
}

export interface PodStatus {
  name: string;
  url: string;
  healthy: boolean;
  /** Fraction of the hash space this pod owns on the ring; all pods' shares sum to 1. */
  ringShare: number;
  /** Fraction it serves now: its ring share plus the shares of ejected pods it stands in for. */
  servingShare: number;
  requests: number;
  errors: number;
  consecutiveFailures: number;
}

export interface PodTableOptions {
  virtualNodes: number;
  hash?: RingHash;
  policy: HealthPolicy;
  /** Deadline of one `/ready` probe. */
  probeTimeout: number;
  /** Most connections the router opens to one pod. */
  connectionsPerPod?: number;
  /** Bounded-load factor for calls placed by routing key (default BALANCE_FACTOR). */
  balanceFactor?: number;
  onHealthChange?: (pod: Pod, change: Exclude<HealthChange, undefined>) => void;
  onMembershipChange?: (event: MembershipEvent) => void;
}

/**
 * Consistent hashing with bounded loads (Mirrokni et al.; Envoy's `hash_balance_factor`,
 * HAProxy's `hash-balance-factor`): a pod may take at most this factor times the mean load,
 * so one hot routing key spills to the next pods on the ring instead of overloading its own.
 */
export const BALANCE_FACTOR = 1.25;

/**
 * Moves to the front the first pod, clockwise, whose in-flight requests (with this one) stay
 * within `factor` times the mean: the ring order is kept otherwise, so failover is unchanged.
 */
function boundLoad(pods: Pod[], factor: number): void {
  if (pods.length < 2) return;
  const total = pods.reduce((n, p) => n + p.inFlight, 0) + 1;
  const capacity = Math.ceil((factor * total) / pods.length);
  const index = pods.findIndex((p) => p.inFlight + 1 <= capacity);
  if (index > 0) pods.unshift(...pods.splice(index, 1));
}

/** Spreads keyless requests around the ring: successive multiples of 2^32 / golden ratio. */
const GOLDEN_STEP = 2_654_435_769;

export class PodTable {
  private readonly pods = new Map<string, Pod>();
  private readonly probeClients = new Map<string, Client>();
  private readonly probing = new Set<string>();
  private ringNow: HashRing;
  private ringShares = new Map<string, number>();
  /** Ring points of current members, so a membership change hashes only the newcomer. */
  private readonly pointCache = new Map<string, Uint32Array>();
  private rotation = 0;
  private stopProbing: (() => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    membership: Membership,
    private readonly options: PodTableOptions,
  ) {
    this.ringNow = this.buildRing();
    this.unsubscribe = membership.subscribe((event) => {
      this.apply(event);
    });
  }

  get ring(): HashRing {
    return this.ringNow;
  }

  get size(): number {
    return this.pods.size;
  }

  pod(name: string): Pod | undefined {
    return this.pods.get(name);
  }

  /**
   * Healthy pods to try for `key`, clockwise from its point: the owner first, then the pod
   * that takes its keys when the owner is gone. At most `limit`; empty when none is healthy.
   */
  candidates(key: string | undefined, limit: number, bounded = false): Pod[] {
    const start =
      key === undefined ? (this.rotation++ * GOLDEN_STEP) % 2 ** 32 : this.ringNow.pointOf(key);
    const out: Pod[] = [];
    for (const name of this.ringNow.walk('', start)) {
      const pod = this.pods.get(name);
      if (pod?.health.healthy === true) out.push(pod);
      if (!bounded && out.length >= limit) break;
    }
    const factor = this.options.balanceFactor ?? BALANCE_FACTOR;
    if (bounded && key !== undefined && factor > 0) boundLoad(out, factor);
    return out.slice(0, limit);
  }

  /** Records a failed attempt on `pod`; ejects it when the failures are consecutive enough. */
  failed(pod: Pod): void {
    pod.errors += 1;
    this.changed(pod, pod.health.failure());
  }

  /** Probes every pod's `/ready` once (skipping pods whose last probe is still running). */
  async probeAll(): Promise<void> {
    await Promise.all([...this.pods.values()].map((pod) => this.probe(pod)));
  }

  startProbing(scheduler: Scheduler, intervalMs: number): void {
    this.stopProbing?.();
    this.stopProbing = scheduler.every(intervalMs, () => {
      void this.probeAll();
    });
  }

  status(): PodStatus[] {
    const serving = this.ringNow.shares((name) => this.pods.get(name)?.health.healthy === true);
    return this.ringNow.members.map((name) => {
      const pod = this.pods.get(name);
      return {
        name,
        url: pod?.url ?? '',
        healthy: pod?.health.healthy ?? false,
        ringShare: this.ringShares.get(name) ?? 0,
        servingShare: serving.get(name) ?? 0,
        requests: pod?.requests ?? 0,
        errors: pod?.errors ?? 0,
        consecutiveFailures: pod?.health.consecutiveFailures ?? 0,
      };
    });
  }

  podGauges(): { name: string; healthy: boolean; ringShare: number }[] {
    return [...this.pods.values()].map((pod) => ({
      name: pod.name,
      healthy: pod.health.healthy,
      ringShare: this.ringShares.get(pod.name) ?? 0,
    }));
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.stopProbing?.();
    const names = [...this.pods.keys()];
    await Promise.all(names.map((name) => this.drop(name)));
  }

  private apply(event: MembershipEvent): void {
    if (event.type === 'added') this.add(event.member);
    else void this.drop(event.member.name);
    this.ringNow = this.buildRing();
    this.options.onMembershipChange?.(event);
  }

  private add(member: Member): void {
    void this.drop(member.name);
    const connections = this.options.connectionsPerPod ?? 256;
    this.pods.set(member.name, {
      name: member.name,
      url: member.url,
      health: new PodHealth(this.options.policy),
      pool: new Pool(member.url, { connections, keepAliveTimeout: 30_000 }),
      requests: 0,
      errors: 0,
      inFlight: 0,
    });
    const timeout = this.options.probeTimeout;
    this.probeClients.set(
      member.name,
      new Client(member.url, { connectTimeout: timeout, keepAliveTimeout: 30_000 }),
    );
  }

  private async drop(name: string): Promise<void> {
    const pod = this.pods.get(name);
    const probe = this.probeClients.get(name);
    this.pods.delete(name);
    this.probeClients.delete(name);
    // In-flight requests finish on the old pool; close() waits for them, then frees sockets.
    const closing: Promise<void>[] = [];
    if (pod) closing.push(pod.pool.close());
    if (probe) closing.push(probe.close());
    await Promise.all(closing.map((p) => p.catch(() => undefined)));
  }

  private buildRing(): HashRing {
    for (const name of this.pointCache.keys()) {
      if (!this.pods.has(name)) this.pointCache.delete(name);
    }
    const ring = new HashRing(this.pods.keys(), {
      virtualNodes: this.options.virtualNodes,
      cache: this.pointCache,
      ...(this.options.hash ? { hash: this.options.hash } : {}),
    });
    this.ringShares = ring.shares();
    return ring;
  }

  private async probe(pod: Pod): Promise<void> {
    const client = this.probeClients.get(pod.name);
    if (!client || this.probing.has(pod.name)) return;
    this.probing.add(pod.name);
    let ready = false;
    try {
      const timeout = this.options.probeTimeout;
      const res = await client.request({
        method: 'GET',
        // The local tier only: a Redis outage is every pod's, and must not empty the ring.
        path: '/ready?tier=local',
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      await res.body.dump();
      ready = res.statusCode === 200;
    } catch {
      ready = false;
    } finally {
      this.probing.delete(pod.name);
    }
    // A pod removed (or replaced) while its probe ran is no longer this pod.
    if (this.pods.get(pod.name) !== pod) return;
    this.changed(pod, ready ? pod.health.probeSucceeded() : pod.health.failure());
  }

  private changed(pod: Pod, change: HealthChange): void {
    if (change !== undefined) this.options.onHealthChange?.(pod, change);
  }
}
