// Puts a runtime pod's namespace ownership together (ADR 0101, 0103): the membership it
// follows, the ring it builds from it, the forwarder to the other pods, and the hand-off of
// local namespaces whenever the membership changes, and once more when the pod leaves.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { decodeHandoff, encodeHandoff } from '../placement/handoff-wire.js';
import { Ownership } from '../placement/ownership.js';
import type { PeerForwarder } from '../placement/peer-forwarder.js';
import type { Member, Membership } from '../router/membership.js';
import type { GlassRuntime } from './glass-runtime.js';
import { Handoff } from './handoff.js';
import { PodPlacement } from './pod-placement.js';

/** A hand-off sent to a pod that is itself leaving. */
export class LeavingError extends Error {}

/** How long a leaving pod waits for the membership to drop it before it hands over anyway. */
const LEAVE_WAIT_MS = 3000;

/** How long a pod that left may take to answer /health before it is taken for crashed. */
const PROBE_MS = 500;

export interface PodOwnershipOptions {
  self: string;
  virtualNodes: number;
  handoffTimeoutMs: number;
}

export class PodOwnership {
  readonly ownership: Ownership;
  readonly handoff: Handoff;
  private members: Member[] = [];
  private scheduled = false;
  private leaving = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly runtime: GlassRuntime,
    private readonly membership: Membership,
    private readonly forwarder: PeerForwarder,
    private readonly log: Logger,
    private readonly options: PodOwnershipOptions,
  ) {
    this.ownership = new Ownership({ virtualNodes: options.virtualNodes });
    this.handoff = new Handoff({
      self: options.self,
      ownership: this.ownership,
      store: runtime.store,
      invalidate: (snapshot) => {
        runtime.pool.noteCommitted(undefined, snapshot.entries);
      },
      metrics: runtime.metrics,
      log,
      timeoutMs: options.handoffTimeoutMs,
      send: (to, message) => forwarder.post(to, '/handoff', encodeHandoff(message)),
      reachable: (member) => forwarder.answers(member, PROBE_MS),
    });
    runtime.placement = new PodPlacement(options.self, this.ownership);
    runtime.handoff = this.handoff;
    // A burst of events (a members file rewritten, a relist) is one change: the previous
    // owners are those before the burst, not some state in the middle of it.
    this.unsubscribe = membership.subscribe(() => {
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.apply(this.membership.members());
      });
    });
  }

  /**
   * The pod is stopping: it stops owning anything and hands every local namespace it has
   * over to its owner among the other members, before its server closes.
   */
  async leave(): Promise<void> {
    this.leaving = true;
    // Until the others see this pod gone they send it calls: it serves them while it waits.
    const deadline = Date.now() + LEAVE_WAIT_MS;
    while (this.members.some((m) => m.name === this.options.self) && Date.now() < deadline) {
      await delay(10);
    }
    this.unsubscribe();
    this.apply(this.members.filter((m) => m.name !== this.options.self));
    await this.handoff.settled();
  }

  /** Takes in a hand-off message (`POST /handoff`). */
  receive(body: string): void {
    // A pod on its way out cannot keep what it is sent: the sender must look elsewhere.
    if (this.leaving) throw new LeavingError('this pod is leaving');
    this.handoff.receive(decodeHandoff(body));
  }

  private apply(members: readonly Member[]): void {
    const previous = this.ownership.currentRing;
    const departed = this.members.filter(
      (m) => !members.some((n) => n.name === m.name && n.url === m.url),
    );
    this.members = [...members];
    this.ownership.update(members);
    this.forwarder.retain(members);
    this.log.info({ members: members.map((m) => m.name) }, 'runtime pods changed');
    void this.handoff.changed(previous, departed, members);
  }
}
