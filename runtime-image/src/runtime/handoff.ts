// Hand-off of `local` namespaces between owners (ADR 0103). When the membership changes, a
// pod sends every local namespace it no longer owns to its new owner, then a `done` to every
// member; a pod that gains a namespace serves it only once the previous owner's `done` for the
// same membership arrived, the previous owner turned out to be gone (a crash: its namespaces
// are lost, and said so by name), or the wait ran out (said so too).
import type { Logger } from 'pino';
import type { Member } from '../router/membership.js';
import type { HashRing } from '../router/ring.js';
import type { Ownership } from '../placement/ownership.js';
import { PeerLeavingError } from '../placement/peer-forwarder.js';
import { viewIdOf, wireSize, type HandoffMessage } from '../placement/handoff-wire.js';
import type { NamespaceSnapshot, TieredStore } from '../state/tiers.js';
import type { RuntimeMetrics } from './metrics.js';

/** Namespaces go in messages of about this many bytes (one larger namespace goes alone). */
const MESSAGE_BYTES = 8 * 1024 * 1024;
/** Lost or late namespaces named in the log at most this often each; the metric counts all. */
const MAX_REPORTED = 10_000;

/**
 * A hand-off of namespaces the receiver does not own in its view of the membership: it has
 * moved on (or not yet arrived) there, and the sender must look again (ADR 0140).
 */
export class NotOwnedError extends Error {}

export interface HandoffOptions {
  self: string;
  ownership: Ownership;
  store: TieredStore;
  /** Worker caches of these keys are stale: the namespace moved in or out. */
  invalidate: (snapshot: NamespaceSnapshot) => void;
  metrics: RuntimeMetrics;
  log: Logger;
  /** How long a gained namespace waits for its previous owner, and a send is retried. */
  timeoutMs: number;
  /** Delivers one message; rejects when it did not arrive. */
  send: (to: Member, message: HandoffMessage) => Promise<void>;
  /** Whether a pod that left still answers (leaving gracefully) or not (crashed). */
  reachable: (member: Member) => Promise<boolean>;
  now?: () => number;
}

export class Handoff {
  /**
   * The rings before each change of the last `timeoutMs`: who may still hold a namespace. A
   * namespace can pass through several owners in quick changes (a rollout adds a pod, then
   * removes another): each of them may owe this pod its state.
   */
  private history: { ring: HashRing; at: number }[] = [];
  private view = '';
  private changedAt = 0;
  /** The view each pod last said `done` for. */
  private readonly done = new Map<string, string>();
  /** Pods that left and do not answer: crashed; forgotten when they come back. */
  private readonly gone = new Set<string>();
  private readonly reported = new Set<string>();
  private waiters: (() => void)[] = [];
  /** Namespaces this pod took out of its store and has not delivered (or taken back) yet. */
  private readonly moving = new Set<string>();
  private sending: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: HandoffOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The membership changed from `previous` (a ring of the members before) to `members`, which
   * `ownership` has already been updated to. Resolves once this pod's sends are over.
   */
  changed(previous: HashRing, departed: Member[], members: readonly Member[]): Promise<void> {
    this.view = viewIdOf(members.map((m) => m.name));
    this.changedAt = this.now();
    // A `done` is for one passage through a view. The same members can come back (a pod that
    // flaps): a `done` from their last time must not stand for this one. One already sent
    // for this view by a peer that got here first is kept.
    for (const [from, view] of this.done) if (view !== this.view) this.done.delete(from);
    this.history = [...this.recentHistory(), { ring: previous, at: this.changedAt }];
    for (const member of members) this.gone.delete(member.name);
    for (const member of departed) {
      void this.options.reachable(member).then((alive) => {
        if (alive || members.some((m) => m.name === member.name)) return;
        this.gone.add(member.name);
        this.wake();
      });
    }
    this.wake();
    const sent = this.sending.then(() => this.sendAway());
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  /**
   * Undefined when a call on `namespace` may run now; otherwise resolves when it may: its
   * previous owner handed it over, is gone, or the wait ran out.
   */
  gate(namespace: string): Promise<void> | undefined {
    return this.mustWait(namespace) ? this.waitFor(namespace) : undefined;
  }

  /** Whether a call on `namespace` would wait at the gate now, without waiting. */
  pending(namespace: string): boolean {
    return this.mustWait(namespace);
  }

  /**
   * Takes in what a previous owner sent. Throws NotOwnedError, installing nothing, when this
   * pod does not own every namespace in it: kept here, a namespace would sit where no call
   * reaches it, after this pod told its owner it had nothing for it (ADR 0140).
   */
  receive(message: HandoffMessage): void {
    const self = this.options.self;
    const stray = message.namespaces.find(
      (n) => this.options.ownership.ownerOf(n.namespace)?.name !== self,
    );
    if (stray !== undefined) {
      const owner = this.options.ownership.ownerOf(stray.namespace)?.name ?? 'no pod';
      throw new NotOwnedError(
        `pod ${self} does not own namespace ${stray.namespace}: it sees ${owner} as its owner`,
      );
    }
    for (const snapshot of message.namespaces) {
      this.options.store.installLocal(snapshot);
      this.options.invalidate(snapshot);
    }
    if (message.namespaces.length > 0) {
      this.options.metrics.handoffs.inc({ outcome: 'received' }, message.namespaces.length);
      this.options.log.info(
        { from: message.from, namespaces: message.namespaces.length },
        'namespaces handed over to this pod',
      );
    }
    if (message.done) this.done.set(message.from, message.view);
    this.wake();
  }

  /** Resolves once every hand-off this pod started is over. */
  settled(): Promise<void> {
    return this.sending;
  }

  /** The changes of the last `timeoutMs`: older debts have timed out. */
  private recentHistory(): { ring: HashRing; at: number }[] {
    const since = this.now() - this.options.timeoutMs;
    return this.history.filter((h) => h.at > since);
  }

  private mustWait(namespace: string): boolean {
    // Still on its way out of this pod under an older view: it comes back here if undelivered.
    if (this.moving.size > 0 && this.moving.has(namespace)) return true;
    if (this.history.length === 0 || !this.options.store.isLocal(namespace)) return false;
    const late = this.now() - this.changedAt >= this.options.timeoutMs;
    for (const { ring } of this.history) {
      const from = ring.owner(namespace);
      if (from === undefined || from === this.options.self) continue;
      if (this.done.get(from) === this.view) continue;
      if (this.gone.has(from)) {
        this.report(
          namespace,
          'lost',
          `pod ${from}, its owner, is gone without handing it over: whatever local state it had there is lost`,
        );
        continue;
      }
      if (late) {
        this.report(
          namespace,
          'late',
          `pod ${from}, its previous owner, did not hand it over within ${this.options.timeoutMs} ms: serving what this pod has`,
        );
        continue;
      }
      return true;
    }
    if (late) this.history = this.recentHistory();
    return false;
  }

  private async waitFor(namespace: string): Promise<void> {
    while (this.mustWait(namespace)) {
      const left = this.options.timeoutMs - (this.now() - this.changedAt);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(10, left));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private report(namespace: string, outcome: 'lost' | 'late', why: string): void {
    const id = `${outcome} ${namespace} ${this.view}`;
    if (this.reported.has(id)) return;
    if (this.reported.size >= MAX_REPORTED) this.reported.clear();
    this.reported.add(id);
    this.options.metrics.handoffs.inc({ outcome });
    this.options.log.warn({ namespace }, `namespace ${namespace}: ${why}`);
  }

  /** Sends every local namespace this pod no longer owns to its owner, then `done` to all. */
  private async sendAway(): Promise<void> {
    const { ownership, self, store } = this.options;
    const members = ownership.members.filter((m) => m.name !== self);
    // With no other member there is nowhere to send: keep everything.
    if (members.length === 0) return;
    const view = viewIdOf(ownership.members.map((m) => m.name));
    const leaving = store.takeLocal((ns) => ownership.ownerOf(ns)?.name !== self);
    const byOwner = new Map<string, NamespaceSnapshot[]>();
    for (const snapshot of leaving.values()) {
      this.moving.add(snapshot.namespace);
      this.options.invalidate(snapshot);
      const owner = ownership.ownerOf(snapshot.namespace)?.name ?? '';
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), snapshot]);
    }
    await Promise.all(
      members.map((member) => this.sendTo(member, view, byOwner.get(member.name) ?? [])),
    );
  }

  private async sendTo(
    member: Member,
    view: string,
    snapshots: NamespaceSnapshot[],
  ): Promise<void> {
    const batches: NamespaceSnapshot[][] = [[]];
    let size = 0;
    for (const snapshot of snapshots) {
      const bytes = wireSize(snapshot);
      const current = batches[batches.length - 1] ?? [];
      if (current.length > 0 && size + bytes > MESSAGE_BYTES) {
        batches.push([snapshot]);
        size = bytes;
      } else {
        current.push(snapshot);
        size += bytes;
      }
    }
    const deadline = this.now() + this.options.timeoutMs;
    for (const [i, namespaces] of batches.entries()) {
      const message = { from: this.options.self, view, done: i === batches.length - 1, namespaces };
      const delivered = await this.deliver(member, message, deadline);
      this.settle(member, message, delivered);
    }
  }

  /** What becomes of a message's namespaces once its delivery is over, either way. */
  private settle(member: Member, message: HandoffMessage, delivered: boolean): void {
    const { namespaces } = message;
    for (const snapshot of namespaces) this.moving.delete(snapshot.namespace);
    this.wake();
    if (namespaces.length === 0) return;
    if (delivered) {
      this.options.metrics.handoffs.inc({ outcome: 'sent' }, namespaces.length);
      return;
    }
    if (this.view !== message.view) {
      // This pod has moved on: the hand-off of its new view, queued behind this one, sends
      // them to their owners there (or keeps them, if they are this pod's again).
      for (const snapshot of namespaces) this.options.store.installLocal(snapshot);
      return;
    }
    this.options.metrics.handoffs.inc({ outcome: 'failed' }, namespaces.length);
    this.options.log.error(
      { to: member.name, namespaces: namespaces.map((n) => n.namespace) },
      `could not hand ${namespaces.length} local namespaces over to pod ${member.name}: their state is lost`,
    );
  }

  private async deliver(
    member: Member,
    message: HandoffMessage,
    deadline: number,
  ): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.send(member, message);
        return true;
      } catch (error) {
        if (error instanceof PeerLeavingError) return message.namespaces.length === 0;
        // Refused or unanswered, and this pod's view changed since: a newer hand-off is due.
        if (this.view !== message.view) return false;
        if (this.now() >= deadline) {
          this.options.log.warn({ err: error, to: member.name }, 'hand-off not delivered');
          return false;
        }
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
      }
    }
  }
}
