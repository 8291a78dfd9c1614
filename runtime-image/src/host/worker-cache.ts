import type { FetchReply, StateKey, VersionedEntry } from './protocol.js';

interface CachedValue {
  value: Uint8Array | null;
  version: string;
}

/** Thrown through the guest's frames when it read a value that changed: the main thread retries. */
export class ConflictAbort extends Error {
  constructor(readonly keys: StateKey[]) {
    super(`conflict on ${keys.join(', ')}`);
  }
}

export type SyncFetch = (keys: StateKey[], reads: [StateKey, string][]) => FetchReply;

/**
 * The guest cannot finish here (it ran out of fuel, or needs a value only a worker can
 * wait for): the main-thread fast lane gives the invocation to a worker instead. Nothing is
 * lost: an invocation's writes leave it only when it returns normally.
 */
export class YieldToWorker extends Error {}

/** The yield reason that counts against an export in the fast lane (see FastLane). */
export const OUT_OF_FUEL = 'out of fuel';

/** What a Transaction reads through and writes back to: a worker's cache, or the main thread's store. */
export interface StateView {
  lookup(
    key: StateKey,
    reads: Map<StateKey, string>,
  ): { value: Uint8Array | null; version: string };
  nextVersion(): string;
  install(writes: VersionedEntry[]): void;
  invalidate(keys: StateKey[]): void;
  clear(): void;
}

const MAX_CACHED_KEYS = 100_000;

/**
 * A worker's view of state: values it read or wrote, each with a version that is unique in
 * the whole pod (`uid.seq`). The view may be stale or speculative (a write whose commit the
 * main thread has not validated yet); that is safe because every commit is validated by
 * version on the main thread, and a version that never committed never matches.
 */
export class WorkerStateCache implements StateView {
  private readonly entries = new Map<StateKey, CachedValue>();
  private sequence = 0;

  constructor(
    private readonly uid: string,
    private readonly fetch: SyncFetch,
  ) {}

  apply(updates: VersionedEntry[]): void {
    for (const [key, value, version] of updates) this.entries.set(key, { value, version });
  }

  invalidate(keys: StateKey[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  nextVersion(): string {
    this.sequence++;
    return `${this.uid}.${this.sequence}`;
  }

  /** The cached entry, or a synchronous fetch from the main thread that first validates `reads`. */
  lookup(key: StateKey, reads: Map<StateKey, string>): CachedValue {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const reply = this.fetch([key], [...reads]);
    if (!reply.ok) throw new ConflictAbort(reply.stale);
    this.apply(reply.entries);
    return this.entries.get(key) ?? { value: null, version: '' };
  }

  install(writes: VersionedEntry[]): void {
    if (this.entries.size > MAX_CACHED_KEYS) this.entries.clear();
    this.apply(writes);
  }
}
