import type { StateKey, VersionedEntry } from '../host/protocol.js';

export interface CommitRequest {
  /** Keys read with the version seen; all must still be current. */
  reads: [StateKey, string][];
  writes: VersionedEntry[];
}

export type CommitOutcome = { ok: true } | { ok: false; stale: StateKey[] };

/**
 * The authoritative state of a runtime pod's namespaces. Commits are validated by version
 * and applied all at once (optimistic concurrency): the worker caches in front of it may be
 * stale or speculative, and never decide anything.
 */
export interface StateStore {
  /** Current value and version of each key (absent: value null, version ''). */
  read(keys: StateKey[]): VersionedEntry[] | Promise<VersionedEntry[]>;
  /** The keys among `reads` whose version changed. */
  stale(reads: [StateKey, string][]): StateKey[] | Promise<StateKey[]>;
  commit(request: CommitRequest): CommitOutcome | Promise<CommitOutcome>;
}
