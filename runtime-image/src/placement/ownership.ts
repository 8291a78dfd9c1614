// Who owns a namespace (DESIGN.md, State placement): the ring owner of its name among the
// runtime pods, computed by the router and by every pod from the same membership with this
// one module, so they agree whenever their memberships do.
import type { Member } from '../router/membership.js';
import { HashRing, type RingHash } from '../router/ring.js';

/** Lookups cached between membership changes; past this many, the cache starts over. */
const MAX_CACHED = 65_536;

export interface OwnershipOptions {
  virtualNodes: number;
  hash?: RingHash;
}

/** A membership snapshot as a ring, with the owner of each namespace looked up once. */
export class Ownership {
  private ring: HashRing;
  private byName = new Map<string, Member>();
  private readonly cache = new Map<string, Member | undefined>();
  private readonly pointCache = new Map<string, Uint32Array>();
  /** Increases on every membership change: what a hand-off is numbered by. */
  epoch = 0;

  constructor(private readonly options: OwnershipOptions) {
    this.ring = this.build([]);
  }

  /** Replaces the members; every cached lookup is forgotten. */
  update(members: readonly Member[]): void {
    this.byName = new Map(members.map((m) => [m.name, m]));
    for (const name of this.pointCache.keys()) {
      if (!this.byName.has(name)) this.pointCache.delete(name);
    }
    this.ring = this.build([...this.byName.keys()]);
    this.cache.clear();
    this.epoch += 1;
  }

  get members(): readonly Member[] {
    return [...this.byName.values()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The owner of `namespace`, or undefined while no pod is a member. */
  ownerOf(namespace: string): Member | undefined {
    const cached = this.cache.get(namespace);
    if (cached !== undefined) return cached;
    const name = this.ring.owner(namespace);
    const owner = name === undefined ? undefined : this.byName.get(name);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(namespace, owner);
    return owner;
  }

  /** A ring of these members, for placing a key or counting owners. */
  get currentRing(): HashRing {
    return this.ring;
  }

  private build(names: string[]): HashRing {
    return new HashRing(names, {
      virtualNodes: this.options.virtualNodes,
      cache: this.pointCache,
      ...(this.options.hash ? { hash: this.options.hash } : {}),
    });
  }
}
