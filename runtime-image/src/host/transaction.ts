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
  /** Bytes of the values in `writes`: what the commit would store. */
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
    const written = this.writtenBytes - (this.writes.get(key)?.length ?? 0) + value.length;
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

  delete(key: StateKey): boolean {
    const existed = this.get(key) !== null;
    this.writtenBytes -= this.writes.get(key)?.length ?? 0;
    this.writes.set(key, null);
    return existed;
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
      this.writtenBytes += value?.length ?? 0;
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
