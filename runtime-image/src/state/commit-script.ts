// The Lua scripts of the global tier (ADR 0040) and how their arguments and replies are
// laid out. A commit is one script: Redis runs it atomically, so checking every version read
// and applying every write (and storing an idempotent response) is one indivisible step.
import { shortAsciiText } from '../host/ascii.js';
import type { StateKey, VersionedEntry } from '../host/protocol.js';
import { decodeResponse, encodeResponse, type IdempotencyRecord } from './idempotency.js';
import type { CommitRequest } from './store.js';

/**
 * KEYS[1..n] state keys (hashes {v, ver}); KEYS[n+1] the namespace's turn (ADR 0046);
 * KEYS[n+2] the idempotency record, when ARGV[2] ~= ''.
 * ARGV[1] n; ARGV[2] request fingerprint or ''; ARGV[3] record TTL in ms; ARGV[4] response;
 * ARGV[5] this pod's id; ARGV[6] '1' to take the namespace's turn
 * if this commit is stale; ARGV[7] how long a turn lasts, in ms.
 * Then per key i: ARGV[4i+4] version read ('*' = not read), ARGV[4i+5] write ('' none,
 * 's' set, 'd' delete), ARGV[4i+6] value, ARGV[4i+7] new version.
 * Returns 1 (applied), {0, took, value1, version1, …} (a read was stale: the current values of
 * every key, nothing applied; took = 1 when this pod now holds the turn), {2, fingerprint, response} (the key already has a record) or
 * {3, ms, value1, version1, …} (another pod has the namespace's turn for ms more; nothing
 * applied).
 */
export const COMMIT_LUA = `
local n = tonumber(ARGV[1])
local function reply(head, extra)
  local out = {head, extra}
  for j = 1, n do
    local entry = redis.call('HMGET', KEYS[j], 'v', 'ver')
    out[2 * j + 1] = entry[1]
    out[2 * j + 2] = entry[2] or ''
  end
  return out
end
local fingerprint = ARGV[2]
if fingerprint ~= '' then
  local record = redis.call('HMGET', KEYS[n + 2], 'fp', 'response')
  if record[1] then return {2, record[1], record[2]} end
end
local turn = KEYS[n + 1]
local holder = redis.call('GET', turn)
if holder and holder ~= ARGV[5] then return reply(3, redis.call('PTTL', turn)) end
for i = 1, n do
  local expected = ARGV[4 * i + 4]
  if expected ~= '*' and (redis.call('HGET', KEYS[i], 'ver') or '') ~= expected then
    local took = 0
    if ARGV[6] == '1' and not holder then
      redis.call('SET', turn, ARGV[5], 'PX', ARGV[7])
      took = 1
    end
    return reply(0, took)
  end
end
for i = 1, n do
  local op = ARGV[4 * i + 5]
  if op == 's' then
    redis.call('HSET', KEYS[i], 'v', ARGV[4 * i + 6], 'ver', ARGV[4 * i + 7])
  elseif op == 'd' then
    redis.call('DEL', KEYS[i])
  end
end
if fingerprint ~= '' then
  redis.call('HSET', KEYS[n + 2], 'fp', fingerprint, 'response', ARGV[4])
  redis.call('PEXPIRE', KEYS[n + 2], ARGV[3])
end
return 1
`;

/**
 * The common commit, on its own: one key, no Idempotency-Key, no turn to take. Same checks and
 * replies as COMMIT_LUA with a third of its arguments and no closure; Redis runs it in about a
 * third of the time (ADR 47). KEYS[1] the state key, KEYS[2] the namespace's turn. ARGV[1]
 * this pod's id, ARGV[2] version read ('*' = not read), ARGV[3] value, ARGV[4] the new
 * version: '' deletes the key (absence has the version ''), '*' writes nothing.
 */
export const COMMIT_ONE_LUA = `
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then
  local entry = redis.call('HMGET', KEYS[1], 'v', 'ver')
  return {3, redis.call('PTTL', KEYS[2]), entry[1], entry[2] or ''}
end
local expected = ARGV[2]
if expected ~= '*' and (redis.call('HGET', KEYS[1], 'ver') or '') ~= expected then
  local entry = redis.call('HMGET', KEYS[1], 'v', 'ver')
  return {0, 0, entry[1], entry[2] or ''}
end
local version = ARGV[4]
if version == '' then
  redis.call('DEL', KEYS[1])
elseif version ~= '*' then
  redis.call('HSET', KEYS[1], 'v', ARGV[3], 'ver', version)
end
return 1
`;

/** KEYS: state keys. Returns {value1, version1, …}: one snapshot of all of them. */
export const READ_LUA = `
local out = {}
for i = 1, #KEYS do
  local entry = redis.call('HMGET', KEYS[i], 'v', 'ver')
  out[2 * i - 1] = entry[1]
  out[2 * i] = entry[2] or ''
end
return out
`;

/** How state keys, turns and idempotency records are named in Redis. */
export interface KeyNaming {
  state(key: StateKey): string;
  turn(namespace: string): string;
  record(namespace: string, idempotencyKey: string): string;
}

export function namespaceOf(key: StateKey): string {
  return key.slice(0, key.indexOf('/'));
}

/**
 * `prefix:{namespace}:k:key`, `prefix:{namespace}:turn` and `prefix:{namespace}:i:key`: the
 * braces are a hash tag, so a namespace's keys share one slot should Redis ever be a cluster.
 */
export function keyNaming(prefix: string): KeyNaming {
  return {
    state(key) {
      const slash = key.indexOf('/');
      return `${prefix}:{${key.slice(0, slash)}}:k:${key.slice(slash + 1)}`;
    },
    turn(namespace) {
      return `${prefix}:{${namespace}}:turn`;
    },
    record(namespace, idempotencyKey) {
      return `${prefix}:{${namespace}}:i:${idempotencyKey}`;
    },
  };
}

/** Who commits and whether it asks for its namespace's turn when it turns out stale. */
export interface TurnRequest {
  /** The pod. */
  me: string;
  namespace: string;
  take: boolean;
  ms: number;
}

/** COMMIT_ONE_LUA's own arguments (the turn's key and the pod's id follow from the key). */
export interface OneKeyCommit {
  key: StateKey;
  /** The version read; '*' when it was not read. */
  expected: string;
  value: string | Buffer;
  /** The new version: '' deletes the key, '*' writes nothing. */
  version: string;
}

/** COMMIT_ONE_LUA for one key with no Idempotency-Key and no turn to take; else COMMIT_LUA. */
export type CommitPlan =
  | { script: 'one'; keys: [StateKey]; commit: OneKeyCommit }
  | {
      script: 'general';
      /** The state keys, in KEYS order. */
      keys: StateKey[];
      /** numkeys, then KEYS, then ARGV: the script's arguments as ioredis sends them. */
      args: (string | Buffer | number)[];
    };

/** Up to this size, an all-ASCII value goes as a string (ioredis then skips its Buffer path). */
const ASCII_ARG_MAX = 256;

/** Bytes as a script argument: a string when that is the same bytes, else a Buffer. */
export function argOf(bytes: Uint8Array): string | Buffer {
  // A counter's few digits: no Buffer view to make and decode.
  const short = shortAsciiText(bytes);
  if (short !== undefined) return short;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length > ASCII_ARG_MAX) return buffer;
  for (const byte of buffer) if (byte > 0x7f) return buffer;
  return buffer.toString('latin1');
}

/** The namespace a commit takes turns on: its first key's (or its Idempotency-Key's). */
export function commitNamespace(request: CommitRequest): string | undefined {
  const first = request.writes[0]?.[0] ?? request.reads[0]?.[0];
  return first === undefined ? request.idempotency?.claim.namespace : namespaceOf(first);
}

/** The write's three script arguments: op, value, new version. */
function writeArgs(write: VersionedEntry | undefined): (string | Buffer)[] {
  if (write === undefined) return ['', '', ''];
  if (write[1] === null) return ['d', '', ''];
  return ['s', argOf(write[1]), write[2]];
}

/** One key read and/or written, nothing else: COMMIT_ONE_LUA's arguments, else undefined. */
function planSingleKey(request: CommitRequest, turn: TurnRequest): CommitPlan | undefined {
  if (request.idempotency || turn.take) return undefined;
  const { reads, writes } = request;
  if (reads.length > 1 || writes.length > 1) return undefined;
  const key = reads[0]?.[0] ?? writes[0]?.[0];
  if (key === undefined) return undefined;
  const write = writes[0];
  if (write !== undefined && write[0] !== key) return undefined;
  const expected = reads[0]?.[1] ?? '*';
  let commit: OneKeyCommit;
  if (write === undefined) commit = { key, expected, value: '', version: '*' };
  else if (write[1] === null) commit = { key, expected, value: '', version: '' };
  else commit = { key, expected, value: argOf(write[1]), version: write[2] };
  return { script: 'one', keys: [key], commit };
}

export function planCommit(
  request: CommitRequest,
  naming: KeyNaming,
  turn: TurnRequest,
): CommitPlan {
  const single = planSingleKey(request, turn);
  if (single) return single;
  const read = new Map(request.reads);
  const written = new Map<StateKey, VersionedEntry>();
  for (const entry of request.writes) written.set(entry[0], entry);
  const keys = [...new Set([...read.keys(), ...written.keys()])];
  const claim = request.idempotency?.claim;
  const redisKeys = keys.map((key) => naming.state(key));
  redisKeys.push(naming.turn(turn.namespace));
  if (claim) redisKeys.push(naming.record(claim.namespace, claim.key));
  const response = request.idempotency ? argOf(encodeResponse(request.idempotency.response)) : '';
  const args: (string | Buffer | number)[] = [redisKeys.length, ...redisKeys, keys.length];
  args.push(claim?.fingerprint ?? '', claim?.ttlMs ?? 0, response);
  args.push(turn.me, turn.take ? '1' : '', turn.ms);
  for (const key of keys) args.push(read.get(key) ?? '*', ...writeArgs(written.get(key)));
  return { script: 'general', keys, args };
}

export type CommitReply =
  | { type: 'applied' }
  | { type: 'busy'; ms: number; current: VersionedEntry[] }
  | { type: 'stale'; took: boolean; current: VersionedEntry[] }
  | { type: 'replay'; record: IdempotencyRecord };

/** Values and versions in script-reply order: {value1, version1, value2, version2, …}. */
export function entriesOf(keys: StateKey[], flat: unknown[], offset = 0): VersionedEntry[] {
  return keys.map((key, i) => {
    const value = flat[offset + 2 * i] as Buffer | null | undefined;
    const version = flat[offset + 2 * i + 1] as Buffer | string | null | undefined;
    return [key, value ?? null, version ? version.toString() : ''];
  });
}

const APPLIED_REPLY: CommitReply = Object.freeze({ type: 'applied' });

export function decodeCommitReply(reply: unknown, keys: StateKey[]): CommitReply {
  if (reply === 1) return APPLIED_REPLY;
  const flat = reply as unknown[];
  if (flat[0] === 3)
    return { type: 'busy', ms: Number(flat[1]), current: entriesOf(keys, flat, 2) };
  if (flat[0] === 2) {
    const fingerprint = (flat[1] as Buffer).toString();
    return { type: 'replay', record: { fingerprint, response: decodeResponse(flat[2] as Buffer) } };
  }
  return { type: 'stale', took: flat[1] === 1, current: entriesOf(keys, flat, 2) };
}
