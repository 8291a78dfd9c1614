/** A load of a Faaslet that a later load or unload of the same Faaslet overtook. */
export class SupersededLoadError extends Error {}

/**
 * The newest load of each Faaslet wins, whatever order the loads finish in: each load or
 * unload takes a ticket when it starts, and a load whose ticket is no longer its Faaslet's
 * newest is dropped. A slow compile of an old version can then never replace a newer one.
 */
export class LatestLoads {
  private readonly newest = new Map<string, number>();
  private lastTicket = 0;

  /** A load or unload of `name` starts: every ticket taken before for it is stale now. */
  take(name: string): number {
    const ticket = ++this.lastTicket;
    this.newest.set(name, ticket);
    return ticket;
  }

  /** Throws SupersededLoadError when a newer load or unload of `name` has started since. */
  check(name: string, ticket: number): void {
    if (this.newest.get(name) !== ticket) {
      throw new SupersededLoadError(`a newer version of Faaslet ${name} was loaded or unloaded`);
    }
  }
}
