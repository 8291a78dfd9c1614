import type { StateKey, VersionedEntry } from '../host/protocol.js';

interface CacheEntry {
  value: Uint8Array | null;
  version: string;
  /** The command whose outcome this entry is: replies only overwrite older knowledge. */
  stamp: number;
  /**
   * The chain this entry belongs to: a value learned from Redis starts a chain, and the
   * writes of commits issued on top of it (speculatively, before Redis answered) continue it.
   */
  chain: number;
}

/** What the pod knew of a commit's keys when it issued it. */
export interface IssuedCommit {
  stamp: number;
  /** Per key, the chain its cached entry was on (undefined: nothing was cached). */
  chains: Map<StateKey, number | undefined>;
}

/** More keys than this and the cache starts over (it is a hint; Redis decides). */
const MAX_KEYS = 100_000;

/**
 * The pod's copy of Redis values (ADR 0041). Every command touching state takes a stamp when
 * it is issued; commands go over one connection, so Redis runs and answers them in stamp
 * order. An entry is what Redis will hold once every command issued so far has run, assuming
 * the commits in flight succeed: their writes are installed when they are issued, so the
 * pod's pipelined invocations on a hot key chain on each other instead of conflicting.
 *
 * When a commit turns out stale, every later write of its chain was built on it and is
 * doomed too: the chain is replaced at once by the current value Redis sent back, so retries
 * start from the truth instead of from the doomed chain. Writes by other pods are not seen
 * until a commit conflicts. Nothing here decides a commit: Redis validates every version.
 */
export class PodCache {
  private readonly entries = new Map<StateKey, CacheEntry>();
  private clock = 0;
  private chains = 0;

  get(key: StateKey): VersionedEntry | undefined {
    const entry = this.entries.get(key);
    return entry && [key, entry.value, entry.version];
  }

  /** The version the pod expects `key` to have, or undefined when it knows nothing. */
  versionOf(key: StateKey): string | undefined {
    return this.entries.get(key)?.version;
  }

  /** A stamp for a read about to be issued. */
  issueRead(): number {
    return ++this.clock;
  }

  /** A commit of `keys` is issued now; it will write `writes` (if it succeeds). */
  issueCommit(keys: StateKey[], writes: VersionedEntry[]): IssuedCommit {
    const stamp = ++this.clock;
    const chains = new Map(keys.map((key) => [key, this.entries.get(key)?.chain]));
    for (const [key, value, version] of writes) {
      const chain = chains.get(key) ?? ++this.chains;
      chains.set(key, chain);
      this.set(key, { value, version, stamp, chain });
    }
    return { stamp, chains };
  }

  /** Values Redis answered to a read issued at `stamp`. */
  learn(entries: VersionedEntry[], stamp: number): void {
    for (const [key, value, version] of entries) {
      const entry = this.entries.get(key);
      if (entry === undefined || entry.stamp <= stamp) {
        this.set(key, { value, version, stamp, chain: ++this.chains });
      }
    }
  }

  /**
   * A commit applied nothing; `current` is what Redis held instead. `doomed` are its keys
   * whose chain cannot succeed (it wrote them, or read them at a version that was not current).
   */
  refuted(issued: IssuedCommit, current: VersionedEntry[], doomed: Set<StateKey>): void {
    for (const [key, value, version] of current) {
      const entry = this.entries.get(key);
      const sameChain = entry !== undefined && entry.chain === issued.chains.get(key);
      if (entry === undefined || entry.stamp <= issued.stamp || (sameChain && doomed.has(key))) {
        this.set(key, { value, version, stamp: issued.stamp, chain: ++this.chains });
      }
    }
  }

  /** A commit's outcome is unknown (or it applied nothing and Redis sent no values). */
  forget(issued: IssuedCommit): void {
    for (const [key, chain] of issued.chains) {
      const entry = this.entries.get(key);
      if (entry !== undefined && (entry.stamp <= issued.stamp || entry.chain === chain)) {
        this.entries.delete(key);
      }
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private set(key: StateKey, entry: CacheEntry): void {
    if (this.entries.size >= MAX_KEYS && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, entry);
  }
}
