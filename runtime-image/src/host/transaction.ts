import { bytesText, textBytes } from './ascii.js';
import type { StateKey, StoreQuota, VersionedEntry } from './protocol.js';
import { QuotaExceeded } from './quota-exceeded.js';
import type { StateView } from './worker-cache.js';

/** A guest-visible error in a state operation (bad stored value): it traps the guest. */
export class StateValueError extends Error {}

/**
 * One invocation's transaction, on the worker: reads see the cache (a snapshot validated at
 * commit), writes are buffered and leave the worker only if the guest returns normally.
 */
export class Transaction {
  readonly reads = new Map<StateKey, string>();
  readonly writes = new Map<StateKey, Uint8Array | null>();
  /**
   * Bytes of the keys and values in `writes`: what the commit carries. Keys count too, deleted
   * ones included, or a guest could send a commit of huge keys with empty values.
   */
  private writtenBytes = 0;

  /**
   * @param quota of the invoked Faaslet: it governs the whole transaction, nested calls
   * included (absent: no quota, for host-side uses).
   */
  constructor(
    private readonly cache: StateView,
    private readonly quota?: Pick<StoreQuota, 'valueBytes' | 'transactionBytes'>,
  ) {}

  get(key: StateKey): Uint8Array | null {
    const written = this.writes.get(key);
    if (written !== undefined || this.writes.has(key)) return written ?? null;
    const entry = this.cache.lookup(key, this.reads);
    if (!this.reads.has(key)) this.reads.set(key, entry.version);
    return entry.value;
  }

  set(key: StateKey, value: Uint8Array): void {
    const quota = this.quota;
    if (quota && value.length > quota.valueBytes) {
      throw new QuotaExceeded(
        'maxValueSize',
        `a value of ${value.length} bytes for ${key}`,
        quota.valueBytes,
      );
    }
    this.write(key, value);
  }

  delete(key: StateKey): boolean {
    const existed = this.get(key) !== null;
    this.write(key, null);
    return existed;
  }

  /** Buffers a write (null: a delete) within maxTransactionBytes. */
  private write(key: StateKey, value: Uint8Array | null): void {
    const written = this.writtenBytes - this.entryBytes(key) + writeBytes(key, value);
    const quota = this.quota;
    if (quota && written > quota.transactionBytes) {
      throw new QuotaExceeded(
        'maxTransactionBytes',
        `${written} bytes written`,
        quota.transactionBytes,
      );
    }
    this.writtenBytes = written;
    this.writes.set(key, value);
  }

  /** What `key`'s buffered write counts now: nothing when there is none. */
  private entryBytes(key: StateKey): number {
    const value = this.writes.get(key);
    return value === undefined && !this.writes.has(key) ? 0 : writeBytes(key, value ?? null);
  }

  /** Redis `INCRBY` semantics: the value is decimal text, absent counts as 0. */
  increment(key: StateKey, delta: bigint): bigint {
    const current = this.get(key);
    let value = 0n;
    if (current !== null) {
      const text = bytesText(current);
      if (!/^-?[0-9]+$/.test(text)) {
        throw new StateValueError(`value of ${key} is not an integer`);
      }
      value = BigInt(text);
    }
    const next = value + delta;
    this.set(key, textBytes(next.toString()));
    return next;
  }

  append(key: StateKey, bytes: Uint8Array): number {
    const current = this.get(key) ?? new Uint8Array(0);
    const next = new Uint8Array(current.length + bytes.length);
    next.set(current);
    next.set(bytes, current.length);
    this.set(key, next);
    return next.length;
  }

  /** The buffered writes, to undo a nested call that trapped. */
  savepoint(): Map<StateKey, Uint8Array | null> {
    return new Map(this.writes);
  }

  rollback(savepoint: Map<StateKey, Uint8Array | null>): void {
    this.writes.clear();
    this.writtenBytes = 0;
    for (const [key, value] of savepoint) {
      this.writes.set(key, value);
      this.writtenBytes += writeBytes(key, value);
    }
  }

  /** Versions the writes and records them in the cache, where later invocations read them. */
  finish(): { reads: [StateKey, string][]; writes: VersionedEntry[] } {
    const writes: VersionedEntry[] = [];
    for (const [key, value] of this.writes) {
      // Absence has the one version '': a deleted key reads the same as one never written.
      writes.push([key, value, value === null ? '' : this.cache.nextVersion()]);
    }
    this.cache.install(writes);
    return { reads: [...this.reads], writes };
  }
}

/** What one buffered write adds to a commit: its key's bytes, and its value's unless a delete. */
function writeBytes(key: StateKey, value: Uint8Array | null): number {
  return Buffer.byteLength(key) + (value?.length ?? 0);
}
