// The namespaces this router has sent calls for, bounded, so /lb/status can say how many of
// them each pod owns now. Only a pod knows all of its namespaces; this is the router's view.
const MAX_SEEN = 100_000;

export class SeenNamespaces {
  private readonly names = new Set<string>();

  add(namespace: string): void {
    if (this.names.has(namespace)) return;
    // Past the cap the oldest goes: a Set iterates in insertion order.
    if (this.names.size >= MAX_SEEN) {
      const oldest = this.names.values().next();
      if (oldest.done !== true) this.names.delete(oldest.value);
    }
    this.names.add(namespace);
  }

  countByOwner(ownerOf: (namespace: string) => string | undefined): Map<string, number> {
    const counts = new Map<string, number>();
    for (const namespace of this.names) {
      const owner = ownerOf(namespace);
      if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    return counts;
  }
}
