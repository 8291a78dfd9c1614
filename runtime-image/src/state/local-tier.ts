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

  keyCount(): number {
    return this.entries.size;
  }
}
