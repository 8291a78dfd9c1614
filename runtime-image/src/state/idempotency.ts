import { createHash } from 'node:crypto';
import { GlassError, badRequest } from '../runtime/errors.js';

/** How long a stored response is replayed when no TTL is configured: 24 hours. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;

/** What an `Idempotency-Key` request asks the commit to do (ADR 0043). */
export interface IdempotencyClaim {
  /** The header's value. */
  key: string;
  /** The target Faaslet's namespace: the record lives (and commits) with its state. */
  namespace: string;
  /** Hash of the request: the same key with another request is refused, not replayed. */
  fingerprint: string;
  ttlMs: number;
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
}

/** A record as one pod hands it to another: its key and the time it has left. */
export interface HandedRecord extends IdempotencyRecord {
  key: string;
  ttlMs: number;
}

/** Records kept per pod for `durability: local`; more than this and the oldest go first. */
const MAX_LOCAL_RECORDS = 100_000;

/**
 * `durability: local`'s idempotency records: in the pod's memory, like its state, and
 * written in the same synchronous step as the local commit, so they are just as atomic.
 */
export class LocalIdempotencyRecords {
  /** Insertion order is expiry order for one TTL, so the oldest is always first. */
  private readonly records = new Map<string, LocalRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  get(namespace: string, key: string): IdempotencyRecord | undefined {
    const id = `${namespace}/${key}`;
    const record = this.records.get(id);
    if (record === undefined) return undefined;
    if (record.expiresAt > this.now()) return record;
    this.records.delete(id);
    return undefined;
  }

  put(claim: IdempotencyClaim, response: StoredResponse): void {
    const id = `${claim.namespace}/${claim.key}`;
    this.records.delete(id);
    this.records.set(id, {
      fingerprint: claim.fingerprint,
      response: { numeric: response.numeric, output: Uint8Array.from(response.output) },
      expiresAt: this.now() + claim.ttlMs,
    });
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
      this.records.delete(id);
      if (record.expiresAt <= now) continue;
      const list = taken.get(namespace) ?? [];
      list.push({ key: id.slice(slash + 1), ttlMs: record.expiresAt - now, ...record });
      taken.set(namespace, list);
    }
    return taken;
  }

  /** Takes over records another pod handed over, with the time they had left. */
  install(namespace: string, records: HandedRecord[]): void {
    for (const r of records) {
      const claim = { namespace, key: r.key, fingerprint: r.fingerprint, ttlMs: r.ttlMs };
      this.put(claim, r.response);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, record] of this.records) {
      if (record.expiresAt > now && this.records.size <= MAX_LOCAL_RECORDS) return;
      this.records.delete(id);
    }
  }
}
