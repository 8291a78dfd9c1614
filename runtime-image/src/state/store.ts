import type { StateKey, StoreQuota, VersionedEntry } from '../host/protocol.js';
import type { IdempotencyClaim, StoredResponse } from './idempotency.js';

export interface CommitRequest {
  /** Keys read with the version seen; all must still be current. */
  reads: [StateKey, string][];
  writes: VersionedEntry[];
  /**
   * `Idempotency-Key`: store this response under the claim's key atomically with the writes;
   * when a record is already there, apply nothing and replay it instead.
   */
  idempotency?: { claim: IdempotencyClaim; response: StoredResponse };
  /** Which attempt of its invocation this is (1 = the first): a starving one takes a turn. */
  attempt?: number;
  /**
   * The invoked Faaslet's namespace quotas, for every namespace the commit writes: over one,
   * the commit throws a 413 naming it and applies nothing. Enforced by the local tier only.
   */
  quota?: Pick<StoreQuota, 'keys' | 'namespaceBytes'>;
}

export type CommitOutcome =
  { ok: true; replay?: StoredResponse } | { ok: false; stale: StateKey[] };

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
  /**
   * Like `stale`, asked of each key's source of truth, never of a copy: for an invocation that
   * failed, whose reads no commit will check (ADR 0048). Throws a 503 GlassError when the
   * source cannot answer.
   */
  staleAtSource(reads: [StateKey, string][]): StateKey[] | Promise<StateKey[]>;
  commit(request: CommitRequest): CommitOutcome | Promise<CommitOutcome>;
  /**
   * Called before each attempt: throws a 503 GlassError when the namespace's tier cannot
   * commit now (Redis outage); a promise when the attempt should wait before it starts.
   */
  admit?(namespace: string): Promise<void> | undefined;
}
