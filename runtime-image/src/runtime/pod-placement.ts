// Where a runtime pod runs a call (DESIGN.md, State placement): here when this pod owns the
// call's namespace, else at the owner, forwarded once. A pod started without a membership
// (a lone `glass runtime`) owns every namespace.
import type { Member } from '../router/membership.js';
import type { Ownership } from '../placement/ownership.js';
import { notOwner } from './errors.js';

export type Placement = { here: true } | { here: false; owner: Member };

export class PodPlacement {
  constructor(
    /** This pod's name, as its membership names it (`X-Glass-Pod`). */
    readonly self: string,
    /** Undefined: no membership, so this pod owns every namespace. */
    readonly ownership: Ownership | undefined,
  ) {}

  /** Whether this pod owns `namespace` now. */
  owns(namespace: string): boolean {
    if (this.ownership === undefined) return true;
    return this.ownership.ownerOf(namespace)?.name === this.self;
  }

  /**
   * Here, or the owner to forward to. `forwardedBy`: the pod that already forwarded this call;
   * then a disagreement answers 503 (retryable) rather than a second hop.
   */
  place(namespace: string, forwardedBy: string | undefined): Placement {
    if (this.ownership === undefined) return HERE;
    const owner = this.ownership.ownerOf(namespace);
    if (owner === undefined) {
      throw notOwner(`no runtime pod is a member yet, so namespace ${namespace} has no owner`);
    }
    if (owner.name === this.self) return HERE;
    if (forwardedBy !== undefined) {
      throw notOwner(
        `pod ${forwardedBy} sent namespace ${namespace} here, but this pod sees ${owner.name} as its owner; retry`,
      );
    }
    return { here: false, owner };
  }
}

const HERE: Placement = { here: true };
