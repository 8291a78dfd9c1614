import type { StateKey, VersionedEntry } from '../host/protocol.js';
import { NamespaceUsage } from './namespace-usage.js';
import type { CommitOutcome, CommitRequest, StateStore } from './store.js';

interface Stored {
  value: Uint8Array;
  version: string;
}

/**
 * `durability: local`: the pod's memory is the store. Every commit is validated and applied
 * synchronously on the main thread, so commits are atomic and totally ordered.
 */
export class LocalTier implements StateStore {
  private readonly entries = new Map<StateKey, Stored>();
  private adminSequence = 0;
  private readonly usage = new NamespaceUsage();

  read(keys: StateKey[]): VersionedEntry[] {
    return keys.map((key) => {
      const stored = this.entries.get(key);
      return [key, stored?.value ?? null, stored?.version ?? ''];
    });
  }

  peek(key: StateKey): VersionedEntry {
    const stored = this.entries.get(key);
    return [key, stored?.value ?? null, stored?.version ?? ''];
  }

  stale(reads: [StateKey, string][]): StateKey[] {
    return reads
      .filter(([key, version]) => (this.entries.get(key)?.version ?? '') !== version)
      .map(([key]) => key);
  }

  /** The pod's memory is the source: the same check. */
  staleAtSource(reads: [StateKey, string][]): StateKey[] {
    return this.stale(reads);
  }

  commit(request: CommitRequest): CommitOutcome {
    const stale = this.stale(request.reads);
    if (stale.length > 0) return { ok: false, stale };
    if (request.quota) {
      this.usage.check(request.writes, (key) => this.entries.get(key)?.value, request.quota);
    }
    for (const [key, value, version] of request.writes) {
      this.usage.apply(key, this.entries.get(key)?.value, value);
      if (value === null) this.entries.delete(key);
      else this.entries.set(key, { value, version });
    }
    return { ok: true };
  }

  /** A version for writes that do not come from a worker (admin API, demo seeding). */
  adminVersion(): string {
    this.adminSequence++;
    return `m.${this.adminSequence}`;
  }

  /**
   * Removes and returns every entry of the namespaces `leaving` picks, by namespace: what a
   * pod hands over when it stops owning them (ADR 0103). One pass over the entries.
   */
  take(leaving: (namespace: string) => boolean): Map<string, VersionedEntry[]> {
    const taken = new Map<string, VersionedEntry[]>();
    for (const [key, stored] of this.entries) {
      const namespace = key.slice(0, key.indexOf('/'));
      if (!leaving(namespace)) continue;
      this.usage.apply(key, stored.value, null);
      this.entries.delete(key);
      const list = taken.get(namespace) ?? [];
      list.push([key, stored.value, stored.version]);
      taken.set(namespace, list);
    }
    return taken;
  }

  /** Makes `entries` the whole of `namespace`: what its previous owner handed over. */
  install(namespace: string, entries: VersionedEntry[]): void {
    const prefix = `${namespace}/`;
    for (const [key, stored] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      this.usage.apply(key, stored.value, null);
      this.entries.delete(key);
    }
    // Quotas held where the namespace was written; its new owner counts it as it arrives.
    for (const [key, value, version] of entries) {
      if (value === null || !key.startsWith(prefix)) continue;
      this.usage.apply(key, undefined, value);
      this.entries.set(key, { value, version });
    }
  }

  keyCount(): number {
    return this.entries.size;
  }
}
