import { createHash } from 'node:crypto';
import { GlassError, badRequest } from '../runtime/errors.js';

/** How long a stored response is replayed when no TTL is configured: 24 hours. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;
/**
 * Bytes of `durability: local` records one pod keeps (ADR 0080): an eighth of the default
 * 512Mi pod limit, so a flood of unique keys costs a bounded slice of memory, never the pod.
 */
export const DEFAULT_IDEMPOTENCY_BUDGET_BYTES = 64 * 1024 * 1024;
/** The largest response stored for replay; a larger one answers, unstored (ADR 0080). */
export const DEFAULT_IDEMPOTENCY_MAX_RESPONSE_BYTES = 1024 * 1024;
/** Response header of an answer that was not stored, so a retry would run again. */
export const NOT_STORED_HEADER = 'Idempotent-Not-Stored';

/** What an `Idempotency-Key` request asks the commit to do (ADR 0043). */
export interface IdempotencyClaim {
  /** The header's value. */
  key: string;
  /** The target Faaslet's namespace: the record lives (and commits) with its state. */
  namespace: string;
  /** Hash of the request: the same key with another request is refused, not replayed. */
  fingerprint: string;
  ttlMs: number;
  /** A response longer than this is answered but not stored (ADR 0080). */
  maxResponseBytes: number;
}

/** The answer of a committed invocation, as replayed to a retry. */
export interface StoredResponse {
  numeric: boolean;
  output: Uint8Array;
}

/** A record found under a key: its request fingerprint and the response it committed. */
export interface IdempotencyRecord {
  fingerprint: string;
  response: StoredResponse;
}

const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** The header's value checked: 1–255 visible ASCII characters, or absent. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (!KEY_SHAPE.test(header)) {
    throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return header;
}

/**
 * Whether a request carries a usable key, as the runtime will read it: the router retries a
 * request that reached a pod only then (ADR 23). An empty or malformed header is no key to
 * the runtime (absent, or a 400), so a retry would run the request a second time.
 */
export function carriesIdempotencyKey(header: string | string[] | undefined): boolean {
  try {
    return parseIdempotencyKey(Array.isArray(header) ? header[0] : header) !== undefined;
  } catch {
    return false;
  }
}

/** Identifies a request by what it asks for: Faaslet, export, arguments and body. */
export function fingerprintOf(
  faaslet: string,
  exportName: string,
  args: string[],
  body: Uint8Array,
): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([faaslet, exportName, args]));
  hash.update('\n');
  hash.update(body);
  return hash.digest('hex');
}

/** One byte of flags, then the output bytes: what Redis stores and replays. */
export function encodeResponse(response: StoredResponse): Buffer {
  const bytes = Buffer.allocUnsafe(response.output.length + 1);
  bytes[0] = response.numeric ? 1 : 0;
  bytes.set(response.output, 1);
  return bytes;
}

export function decodeResponse(bytes: Uint8Array): StoredResponse {
  return { numeric: bytes[0] === 1, output: bytes.subarray(1) };
}

/**
 * The record's response when it belongs to this request; 422 when the key was first used
 * for a different request (IETF draft "The Idempotency-Key HTTP Header Field", 2.7).
 */
export function replayOf(claim: IdempotencyClaim, record: IdempotencyRecord): StoredResponse {
  if (record.fingerprint !== claim.fingerprint) {
    throw new GlassError(
      422,
      'idempotency_key_reused',
      `Idempotency-Key ${claim.key} was already used for a different request in namespace ${claim.namespace}; use a new key`,
    );
  }
  return record.response;
}

interface LocalRecord extends IdempotencyRecord {
  expiresAt: number;
  /** What the record costs in memory, as counted against the budget. */
  bytes: number;
}

/** A record as one pod hands it to another: its key and the time it has left. */
export interface HandedRecord extends IdempotencyRecord {
  key: string;
  ttlMs: number;
}

/** Records kept per pod for `durability: local`; more than this and the oldest go first. */
const MAX_LOCAL_RECORDS = 100_000;
/**
 * What a record costs besides its response bytes: the Map entry, the id and fingerprint
 * strings, the objects. Counted so a flood of empty responses is bounded by bytes too.
 */
const RECORD_OVERHEAD_BYTES = 256;
/**
 * Evicted records remembered, so a retry of one says it ran again (ADR 0128): a 16-character
 * digest each, about 7 MiB at most, far less than the records they stand for.
 */
const MAX_EVICTED_REMEMBERED = 100_000;

/** A short, fixed-size stand-in for a record's id (keys are up to 255 characters). */
const evictedId = (id: string): string =>
  createHash('sha256').update(id).digest('base64').slice(0, 16);

export interface LocalRecordsOptions {
  /** Bytes the records may hold; default DEFAULT_IDEMPOTENCY_BUDGET_BYTES. */
  budgetBytes?: number;
  now?: () => number;
  /** Called for each record dropped for the budget or the count before its TTL. */
  onEvict?: () => void;
}

/**
 * `durability: local`'s idempotency records: in the pod's memory, like its state, and
 * written in the same synchronous step as the local commit, so they are just as atomic.
 * Bounded by a byte budget: past it, the oldest records go first (ADR 0080).
 */
export class LocalIdempotencyRecords {
  /** Insertion order is expiry order for one TTL, so the oldest is always first. */
  private readonly records = new Map<string, LocalRecord>();
  /** Ids (digests) of records dropped before their TTL, oldest first, bounded. */
  private readonly evicted = new Set<string>();
  private totalBytes = 0;
  private readonly budgetBytes: number;
  private readonly now: () => number;
  private readonly onEvict: () => void;

  constructor(options: LocalRecordsOptions = {}) {
    this.budgetBytes = options.budgetBytes ?? DEFAULT_IDEMPOTENCY_BUDGET_BYTES;
    this.now = options.now ?? Date.now;
    this.onEvict = options.onEvict ?? (() => undefined);
  }

  get(namespace: string, key: string): IdempotencyRecord | undefined {
    const id = `${namespace}/${key}`;
    const record = this.records.get(id);
    if (record === undefined) return undefined;
    if (record.expiresAt > this.now()) return record;
    this.remove(id, record);
    return undefined;
  }

  /** Whether this key's record was dropped for the budget before its TTL ran out. */
  wasEvicted(namespace: string, key: string): boolean {
    return this.evicted.size > 0 && this.evicted.has(evictedId(`${namespace}/${key}`));
  }

  put(claim: IdempotencyClaim, response: StoredResponse): void {
    const id = `${claim.namespace}/${claim.key}`;
    if (this.evicted.size > 0) this.evicted.delete(evictedId(id));
    const old = this.records.get(id);
    if (old) this.remove(id, old);
    const bytes = response.output.length + id.length + RECORD_OVERHEAD_BYTES;
    // A record the whole budget cannot hold is not kept (the cap on stored responses makes
    // this rare); keeping it would evict everything else for it.
    if (bytes > this.budgetBytes) return;
    this.records.set(id, {
      fingerprint: claim.fingerprint,
      response: { numeric: response.numeric, output: Uint8Array.from(response.output) },
      expiresAt: this.now() + claim.ttlMs,
      bytes,
    });
    this.totalBytes += bytes;
    this.sweep();
  }

  get size(): number {
    return this.records.size;
  }

  /** Removes and returns the live records of the namespaces `leaving` picks (ADR 0103). */
  take(leaving: (namespace: string) => boolean): Map<string, HandedRecord[]> {
    const taken = new Map<string, HandedRecord[]>();
    const now = this.now();
    for (const [id, record] of this.records) {
      const slash = id.indexOf('/');
      const namespace = id.slice(0, slash);
      if (!leaving(namespace)) continue;
      this.remove(id, record);
      if (record.expiresAt <= now) continue;
      const list = taken.get(namespace) ?? [];
      const { fingerprint, response } = record;
      list.push({ key: id.slice(slash + 1), ttlMs: record.expiresAt - now, fingerprint, response });
      taken.set(namespace, list);
    }
    return taken;
  }

  /** Takes over records another pod handed over, with the time they had left. */
  install(namespace: string, records: HandedRecord[]): void {
    for (const r of records) {
      const claim = {
        namespace,
        key: r.key,
        fingerprint: r.fingerprint,
        ttlMs: r.ttlMs,
        maxResponseBytes: Number.MAX_SAFE_INTEGER,
      };
      this.put(claim, r.response);
    }
  }

  /** Bytes the records hold, as counted against the budget. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Expired records, then the oldest while over the count or the byte budget. */
  private sweep(): void {
    const now = this.now();
    for (const [id, record] of this.records) {
      const expired = record.expiresAt <= now;
      const over = this.records.size > MAX_LOCAL_RECORDS || this.totalBytes > this.budgetBytes;
      if (!expired && !over) return;
      // Dropped before its TTL: a retry of that request runs again, and says so.
      if (!expired) this.rememberEvicted(id);
      this.remove(id, record);
    }
  }

  private rememberEvicted(id: string): void {
    this.onEvict();
    this.evicted.add(evictedId(id));
    if (this.evicted.size > MAX_EVICTED_REMEMBERED) {
      const oldest = this.evicted.values().next().value;
      if (oldest !== undefined) this.evicted.delete(oldest);
    }
  }

  private remove(id: string, record: LocalRecord): void {
    this.records.delete(id);
    this.totalBytes -= record.bytes;
  }
}
