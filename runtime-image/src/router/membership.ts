// Where the router learns which runtime pods exist. Sources (static list, `glass up`'s
// processes, Kubernetes EndpointSlices) implement `Membership`; the router only listens.

/** One runtime pod: its name (the `X-Glass-Pod` value and ring identity) and base URL. */
export interface Member {
  name: string;
  url: string;
}

export type MembershipEvent =
  { type: 'added'; member: Member } | { type: 'removed'; member: Member };

export type MembershipListener = (event: MembershipEvent) => void;

/**
 * A source of runtime pods. `subscribe` replays the current members as `added` events, then
 * reports every change; the returned function unsubscribes. A member that is added is
 * believed ready (as an EndpointSlice's ready endpoints are); the router's health checks take
 * it from there. A member whose URL changes is removed and added again.
 */
export interface Membership {
  subscribe(listener: MembershipListener): () => void;
  members(): readonly Member[];
  /** Stops watching whatever the source watches; a static source has nothing to stop. */
  close(): Promise<void>;
  /** What `/lb/status` shows about the source (where it reads from, whether it is in sync). */
  describe?(): Record<string, unknown>;
}

/** A membership whose members are set by its owner: the base of the static and local sources. */
export class MemberSet implements Membership {
  private readonly current = new Map<string, Member>();
  private readonly listeners = new Set<MembershipListener>();

  subscribe(listener: MembershipListener): () => void {
    this.listeners.add(listener);
    for (const member of this.current.values()) listener({ type: 'added', member });
    return () => this.listeners.delete(listener);
  }

  members(): readonly Member[] {
    return [...this.current.values()];
  }

  /** Adds or replaces a member; a no-op when it is already there with the same URL. */
  add(member: Member): void {
    const known = this.current.get(member.name);
    if (known?.url === member.url) return;
    if (known) this.remove(known.name);
    const frozen = Object.freeze({ name: member.name, url: member.url });
    this.current.set(frozen.name, frozen);
    this.emit({ type: 'added', member: frozen });
  }

  remove(name: string): void {
    const member = this.current.get(name);
    if (!member) return;
    this.current.delete(name);
    this.emit({ type: 'removed', member });
  }

  /** Makes `members` the whole set, emitting only the differences (removals first). */
  replaceAll(members: readonly Member[]): void {
    const wanted = new Set(members.map((m) => m.name));
    for (const name of [...this.current.keys()]) if (!wanted.has(name)) this.remove(name);
    for (const member of members) this.add(member);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }

  private emit(event: MembershipEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
