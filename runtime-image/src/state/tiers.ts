import type { Durability } from '@glass/crds';
import type { NamespaceTemplate } from '@glass/crds/namespace-template';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FetchReply, StateKey, VersionedEntry } from '../host/protocol.js';
import { GlassError } from '../runtime/errors.js';
import type { GlobalTier } from './global-tier.js';
import {
  LocalIdempotencyRecords,
  replayOf,
  type HandedRecord,
  type IdempotencyClaim,
  type StoredResponse,
} from './idempotency.js';
import type { LocalTier } from './local-tier.js';
import { NamespaceDurability } from './namespace-durability.js';
import type { CommitOutcome, CommitRequest, StateStore } from './store.js';

/** One `local` namespace as a pod hands it to its new owner. */
export interface NamespaceSnapshot {
  namespace: string;
  entries: VersionedEntry[];
  records: HandedRecord[];
}

export interface TieredStoreOptions {
  local: LocalTier;
  /** Absent when no Redis is configured: then `durability: global` is refused at load. */
  global: GlobalTier | undefined;
  /** Prefixes admin versions, so they are unique beyond this pod. */
  bootId: string;
  registry: Registry;
  /** Bytes of `durability: local` Idempotency-Key records this pod keeps (ADR 0080). */
  idempotencyBudgetBytes?: number;
}

function namespaceOf(key: StateKey): string {
  return key.slice(0, key.indexOf('/'));
}

function mixedError(local: string, global: string): GlassError {
  return new GlassError(
    500,
    'mixed_durability',
    `one transaction touched namespace ${local} (durability: local) and ${global} (durability: global); ` +
      'a transaction commits to one tier, so a nested call must stay within its caller’s durability',
  );
}

/**
 * The one store a runtime pod's invoker and fetch handler see (ADR 0044): each key goes to
 * its namespace's tier, the pod's memory (`durability: local`) or Redis (`durability:
 * global`). Local work stays synchronous, exactly as without Redis.
 */
export class TieredStore implements StateStore {
  private readonly durability = new NamespaceDurability();
  private readonly records: LocalIdempotencyRecords;
  private adminSequence = 0;
  private readonly replays: Counter<'stage'>;

  constructor(private readonly options: TieredStoreOptions) {
    this.replays = new Counter({
      name: 'glass_idempotent_replays_total',
      help: 'Idempotency-Key requests answered with a stored response, by where it was found',
      labelNames: ['stage'] as const,
      registers: [options.registry],
    });
    const evictions = new Counter({
      name: 'glass_idempotency_records_evicted_total',
      help: 'Local Idempotency-Key records dropped for the byte budget before their TTL (a retry runs again)',
      registers: [options.registry],
    });
    this.records = new LocalIdempotencyRecords({
      ...(options.idempotencyBudgetBytes !== undefined && {
        budgetBytes: options.idempotencyBudgetBytes,
      }),
      onEvict: () => {
        evictions.inc();
      },
    });
    const records = this.records;
    new Gauge({
      name: 'glass_idempotency_records_bytes',
      help: 'Bytes held by local Idempotency-Key records, counted against the budget',
      registers: [options.registry],
      collect() {
        this.set(records.bytes);
      },
    });
    const global = options.global;
    new Gauge({
      name: 'glass_global_state_up',
      help: '1 while the Redis of the global tier takes commits (absent without one)',
      registers: global ? [options.registry] : [],
      collect() {
        this.set(global?.link.unavailableReason === undefined ? 1 : 0);
      },
    });
  }

  get hasGlobalTier(): boolean {
    return this.options.global !== undefined;
  }

  /** Records a namespace template's durability (a Faaslet naming it was loaded). */
  assign(template: NamespaceTemplate, durability: Durability): void {
    this.durability.assign(template, durability);
  }

  /**
   * Removes and returns the `durability: local` namespaces `leaving` picks, entries and
   * idempotency records, for their new owners (ADR 0103). Global ones stay: Redis has them.
   */
  takeLocal(leaving: (namespace: string) => boolean): Map<string, NamespaceSnapshot> {
    const local = (namespace: string): boolean => this.isLocal(namespace) && leaving(namespace);
    const entries = this.options.local.take(local);
    const records = this.records.take(local);
    const out = new Map<string, NamespaceSnapshot>();
    for (const namespace of new Set([...entries.keys(), ...records.keys()])) {
      out.set(namespace, {
        namespace,
        entries: entries.get(namespace) ?? [],
        records: records.get(namespace) ?? [],
      });
    }
    return out;
  }

  /** Installs a namespace its previous owner handed over, replacing what this pod had of it. */
  installLocal(snapshot: NamespaceSnapshot): void {
    this.options.local.install(snapshot.namespace, snapshot.entries);
    this.records.install(snapshot.namespace, snapshot.records);
  }

  /** Whether a namespace's state lives in this pod's memory only. */
  isLocal(namespace: string): boolean {
    return !this.isGlobal(namespace);
  }

  /** Why global-durability work cannot be done now, or undefined. */
  get unavailableReason(): string | undefined {
    const reason = this.options.global?.link.unavailableReason;
    return reason === undefined
      ? undefined
      : `global state: Redis at ${this.options.global?.endpoint ?? '?'}: ${reason}`;
  }

  admit(namespace: string): Promise<void> | undefined {
    if (!this.isGlobal(namespace)) return undefined;
    return this.options.global?.admit(namespace);
  }

  /** A version for writes that do not come from a worker (admin API, demo seeding). */
  adminVersion(): string {
    this.adminSequence++;
    return `${this.options.bootId}.m.${this.adminSequence}`;
  }

  /**
   * The main-thread fast lane's synchronous read: a local value, the pod's copy of a global
   * one, or undefined when only Redis knows (the invocation then runs on a worker).
   */
  peek(key: StateKey): VersionedEntry | undefined {
    if (!this.isGlobal(namespaceOf(key))) return this.options.local.peek(key);
    return this.options.global?.peek(key);
  }

  /** Authoritative values: the local tier, and Redis itself for global keys. */
  read(keys: StateKey[]): VersionedEntry[] | Promise<VersionedEntry[]> {
    const [local, global] = this.split(keys, (key) => key);
    if (global.length === 0 || !this.options.global) return this.options.local.read(keys);
    return this.merge(keys, this.options.local.read(local), this.options.global.read(global));
  }

  stale(reads: [StateKey, string][]): StateKey[] {
    const [local, global] = this.split(reads, ([key]) => key);
    const stale = this.options.local.stale(local);
    return this.options.global ? [...stale, ...this.options.global.stale(global)] : stale;
  }

  /**
   * The reads no longer current: local ones in the local tier, global ones in Redis itself,
   * since the pod's copy is only a hint (ADR 0048). Local-only reads stay synchronous.
   */
  staleAtSource(reads: [StateKey, string][]): StateKey[] | Promise<StateKey[]> {
    const [local, global] = this.split(reads, ([key]) => key);
    const stale = this.options.local.stale(local);
    if (global.length === 0 || !this.options.global) return stale;
    return this.options.global.staleInRedis(global).then((more) => [...stale, ...more]);
  }

  /** A guest's cache miss: validate the reads so far, then the values (ADR 0004). */
  fetch(keys: StateKey[], reads: [StateKey, string][]): FetchReply | Promise<FetchReply> {
    const stale = this.stale(reads);
    if (stale.length > 0) return { ok: false, stale };
    const [local, global] = this.split(keys, (key) => key);
    if (global.length === 0 || !this.options.global) {
      return { ok: true, entries: this.options.local.read(keys) };
    }
    return this.merge(keys, this.options.local.read(local), this.options.global.fetch(global)).then(
      (entries): FetchReply => ({ ok: true, entries }),
      // Redis failed the read: the invocation retries, and its next attempt answers 503.
      (): FetchReply => ({ ok: false, stale: global }),
    );
  }

  commit(request: CommitRequest): CommitOutcome | Promise<CommitOutcome> {
    if (this.tierOf(request) === 'local') return this.commitLocal(request);
    if (!this.options.global) throw new Error('a global commit on a pod without Redis');
    return this.options.global.commit(request).then((outcome) => {
      if (outcome.ok && outcome.replay) this.replays.inc({ stage: 'commit' });
      return outcome;
    });
  }

  /**
   * Whether this key's `durability: local` record was evicted for the budget before its TTL
   * (ADR 0128); global records live in Redis, bounded by their TTL only.
   */
  evicted(claim: IdempotencyClaim): boolean {
    const local = !this.isGlobal(claim.namespace) || !this.options.global;
    return local && this.records.wasEvicted(claim.namespace, claim.key);
  }

  /** The response an earlier request with this Idempotency-Key committed, if any. */
  recorded(
    claim: IdempotencyClaim,
  ): StoredResponse | undefined | Promise<StoredResponse | undefined> {
    if (!this.isGlobal(claim.namespace) || !this.options.global) {
      const record = this.records.get(claim.namespace, claim.key);
      if (record) this.replays.inc({ stage: 'lookup' });
      return record && replayOf(claim, record);
    }
    return this.options.global.recorded(claim).then((response) => {
      if (response) this.replays.inc({ stage: 'lookup' });
      return response;
    });
  }

  async close(): Promise<void> {
    await this.options.global?.close();
  }

  /** Record check, commit and record write in one synchronous step: atomic in this pod. */
  private commitLocal(request: CommitRequest): CommitOutcome {
    const idempotency = request.idempotency;
    if (idempotency) {
      const { claim } = idempotency;
      const record = this.records.get(claim.namespace, claim.key);
      if (record) {
        this.replays.inc({ stage: 'commit' });
        return { ok: true, replay: replayOf(claim, record) };
      }
    }
    const outcome = this.options.local.commit(request);
    if (outcome.ok && idempotency) this.records.put(idempotency.claim, idempotency.response);
    return outcome;
  }

  /** The one tier a transaction commits to; touching both is refused (ADR 0044). */
  private tierOf(request: CommitRequest): Durability {
    let local: string | undefined;
    let global: string | undefined;
    const note = (namespace: string): void => {
      if (this.isGlobal(namespace)) global ??= namespace;
      else local ??= namespace;
    };
    for (const [key] of request.reads) note(namespaceOf(key));
    for (const [key] of request.writes) note(namespaceOf(key));
    if (request.idempotency) note(request.idempotency.claim.namespace);
    if (local !== undefined && global !== undefined) throw mixedError(local, global);
    return global !== undefined ? 'global' : 'local';
  }

  private isGlobal(namespace: string): boolean {
    return this.durability.of(namespace) === 'global';
  }

  private split<T>(items: T[], keyOf: (item: T) => StateKey): [T[], T[]] {
    const local: T[] = [];
    const global: T[] = [];
    for (const item of items) {
      (this.isGlobal(namespaceOf(keyOf(item))) ? global : local).push(item);
    }
    return [local, global];
  }

  private async merge(
    keys: StateKey[],
    local: VersionedEntry[],
    global: Promise<VersionedEntry[]>,
  ): Promise<VersionedEntry[]> {
    const byKey = new Map<StateKey, VersionedEntry>();
    for (const entry of [...local, ...(await global)]) byKey.set(entry[0], entry);
    return keys.map((key) => byKey.get(key) ?? [key, null, '']);
  }
}
