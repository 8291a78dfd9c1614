import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isConflict, isNotFound } from '@glass/runtime/kube-api-errors';

/**
 * Lease times are MicroTime: RFC 3339 with exactly six fractional digits. client-node passes
 * them through unserialized, and a Date would go out with three, which the server refuses.
 */
function microTime(date: Date): Date {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

export interface LeaseOptions {
  namespace: string;
  name: string;
  /** This replica's identity (its pod name). */
  identity: string;
  leaseDurationMs: number;
  /** How often the leader renews and the others try to take over. */
  retryPeriodMs: number;
  now?: () => Date;
}

/**
 * Leader election on a coordination.k8s.io Lease, the way client-go does it: the holder
 * renews it; another replica takes it only once it has seen no renewal for the Lease's
 * duration, timed by its own clock from when it first saw the current record (not by the
 * holder's renewTime, so clock skew between nodes cannot make a live Lease look expired).
 * Writes carry the resourceVersion read, so two candidates cannot both win a race.
 */
export class LeaderElection {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly api: CoordinationV1Api;
  private readonly now: () => Date;

  constructor(
    config: KubeConfig,
    private readonly options: LeaseOptions,
    private readonly callbacks: { onStartedLeading(): void; onStoppedLeading(): void },
    private readonly log: Logger,
  ) {
    this.api = config.makeApiClient(CoordinationV1Api);
    this.now = options.now ?? (() => new Date());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops renewing and, when leading, releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        lease.spec.holderIdentity = undefined;
        await this.api.replaceNamespacedLease({
          name: this.options.name,
          namespace: this.options.namespace,
          body: lease,
        });
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not release the lease');
    }
  }

  private async tick(): Promise<void> {
    try {
      this.setLeading(await this.tryAcquireOrRenew());
    } catch (error) {
      this.log.warn({ err: error }, 'leader election failed; retrying');
      if (this.leading && !this.stillValid()) this.setLeading(false);
    }
    if (!this.stopped) {
      // A follower looks again exactly when the Lease may be taken, if that is sooner.
      const untilTakeover =
        this.leading || this.takeoverAt === undefined
          ? Infinity
          : this.takeoverAt - this.now().getTime();
      const delay = Math.max(1, Math.min(this.options.retryPeriodMs, untilTakeover + 1));
      this.timer = setTimeout(() => void this.tick(), delay);
      this.timer.unref();
    }
  }

  private lastRenew = 0;
  /** The Lease record last seen (its resourceVersion) and when, by our clock. */
  private observed: { version: string; at: number } | undefined;

  /**
   * The holder leads only while its last renewal is younger than Lease − 3×retry (client-go's
   * renew deadline); a follower takes over only after Lease − 2×retry without change, by its
   * own clock, looking exactly then. The holder so always steps down at least one retry
   * before anyone may take over, and a follower that saw the last renewal up to one retry
   * late still takes over within the Lease duration of the holder's death (ADR 52).
   */
  private stillValid(): boolean {
    const { leaseDurationMs, retryPeriodMs } = this.options;
    return this.now().getTime() - this.lastRenew < leaseDurationMs - 3 * retryPeriodMs;
  }

  /** When a follower may take the Lease over (by its clock), or undefined when none is held by another. */
  private takeoverAt: number | undefined;

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity, leaseDurationMs } = this.options;
    const now = this.now();
    const lease = await this.read();
    const durationSeconds = Math.ceil(leaseDurationMs / 1000);
    if (!lease) {
      const body: V1Lease = {
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      };
      return this.write(() => this.api.createNamespacedLease({ namespace, body }), now);
    }
    const spec = lease.spec ?? {};
    const version = lease.metadata?.resourceVersion ?? '';
    if (this.observed?.version !== version) this.observed = { version, at: now.getTime() };
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    this.takeoverAt = this.observed.at + leaseMs - 2 * this.options.retryPeriodMs;
    const expired = now.getTime() >= this.takeoverAt;
    const mine = spec.holderIdentity === identity;
    if (!mine && spec.holderIdentity && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
      acquireTime: mine ? spec.acquireTime : microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    return this.write(() => this.api.replaceNamespacedLease({ name, namespace, body: lease }), now);
  }

  private async write(call: () => Promise<unknown>, now: Date): Promise<boolean> {
    try {
      await call();
      this.lastRenew = now.getTime();
      return true;
    } catch (error) {
      if (isConflict(error)) return false; // another candidate wrote first
      throw error;
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info(
      { identity: this.options.identity, leading },
      leading ? 'became leader' : 'stopped leading',
    );
    if (leading) this.callbacks.onStartedLeading();
    else this.callbacks.onStoppedLeading();
  }
}
