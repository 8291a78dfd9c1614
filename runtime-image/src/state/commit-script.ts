// The Lua scripts of the global tier (ADR 0040) and how their arguments and replies are
// laid out. A commit is one script: Redis runs it atomically, so checking every version read
// and applying every write (and storing an idempotent response) is one indivisible step.
import { shortAsciiText } from '../host/ascii.js';
import type { StateKey, VersionedEntry } from '../host/protocol.js';
import { decodeResponse, encodeResponse, type IdempotencyRecord } from './idempotency.js';
import type { CommitRequest } from './store.js';

/**
 * How a commit keeps its namespace's usage (ADR 0127): `usage` is the namespace's hash
 * {keys, bytes} in Redis; a stored entry counts its state key's bytes (`ns/key`: its Redis
 * key's length less `overhead`) and its value's, as the local tier counts (ADR 0071). `dk` and
 * `db` are the commit's change; over `maxKeys` / `maxBytes` ('' = no quota) it is refused with
 * {4, quota, would-be total, limit}, unless it does not grow that count. Counts never go below
 * zero (keys written before counting began are not in them).
 */
const USAGE_LUA = `
local function over(usage, dk, db, maxKeys, maxBytes)
  if maxKeys == '' then return nil end
  local now = redis.call('HMGET', usage, 'keys', 'bytes')
  local keys = (tonumber(now[1]) or 0) + dk
  local bytes = (tonumber(now[2]) or 0) + db
  if dk > 0 and keys > tonumber(maxKeys) then return {4, 'maxKeys', keys, maxKeys} end
  if db > 0 and bytes > tonumber(maxBytes) then return {4, 'maxNamespaceBytes', bytes, maxBytes} end
  return nil
end
local function count(usage, field, delta)
  if delta ~= 0 and redis.call('HINCRBY', usage, field, delta) < 0 then
    redis.call('HSET', usage, field, 0)
  end
end
local function sizeOf(key, overhead)
  if redis.call('HEXISTS', key, 'v') == 0 then return nil end
  return #key - overhead + redis.call('HSTRLEN', key, 'v')
end
`;

/**
 * KEYS[1..n] state keys (hashes {v, ver}); KEYS[n+1] the namespace's turn (ADR 0046);
 * KEYS[n+2] the namespace's usage (ADR 0127); KEYS[n+3] the idempotency record, when
 * ARGV[2] ~= ''.
 * ARGV[1] n; ARGV[2] request fingerprint or ''; ARGV[3] record TTL in ms; ARGV[4] response;
 * ARGV[5] this pod's id; ARGV[6] '1' to take the namespace's turn
 * if this commit is stale; ARGV[7] how long a turn lasts, in ms; ARGV[8] the state keys'
 * overhead; ARGV[9] maxKeys or ''; ARGV[10] maxNamespaceBytes.
 * Then per key i: ARGV[4i+7] version read ('*' = not read), ARGV[4i+8] write ('' none,
 * 's' set, 'd' delete), ARGV[4i+9] value, ARGV[4i+10] new version.
 * Returns 1 (applied), {0, took, value1, version1, …} (a read was stale: the current values of
 * every key, nothing applied; took = 1 when this pod now holds the turn), {2, fingerprint, response} (the key already has a record),
 * {3, ms, value1, version1, …} (another pod has the namespace's turn for ms more; nothing
 * applied) or {4, quota, total, limit} (over a namespace quota; nothing applied).
 */
export const COMMIT_LUA = `${USAGE_LUA}
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
  local record = redis.call('HMGET', KEYS[n + 3], 'fp', 'response')
  if record[1] then return {2, record[1], record[2]} end
end
local turn = KEYS[n + 1]
local holder = redis.call('GET', turn)
if holder and holder ~= ARGV[5] then return reply(3, redis.call('PTTL', turn)) end
for i = 1, n do
  local expected = ARGV[4 * i + 7]
  if expected ~= '*' and (redis.call('HGET', KEYS[i], 'ver') or '') ~= expected then
    local took = 0
    if ARGV[6] == '1' and not holder then
      redis.call('SET', turn, ARGV[5], 'PX', ARGV[7])
      took = 1
    end
    return reply(0, took)
  end
end
local overhead = tonumber(ARGV[8])
local dk, db = 0, 0
for i = 1, n do
  local op = ARGV[4 * i + 8]
  if op ~= '' then
    local old = sizeOf(KEYS[i], overhead)
    if op == 's' then
      dk = dk + (old and 0 or 1)
      db = db + #KEYS[i] - overhead + #ARGV[4 * i + 9] - (old or 0)
    elseif old then
      dk = dk - 1
      db = db - old
    end
  end
end
local refused = over(KEYS[n + 2], dk, db, ARGV[9], ARGV[10])
if refused then return refused end
for i = 1, n do
  local op = ARGV[4 * i + 8]
  if op == 's' then
    redis.call('HSET', KEYS[i], 'v', ARGV[4 * i + 9], 'ver', ARGV[4 * i + 10])
  elseif op == 'd' then
    redis.call('DEL', KEYS[i])
  end
end
count(KEYS[n + 2], 'keys', dk)
count(KEYS[n + 2], 'bytes', db)
if fingerprint ~= '' then
  redis.call('HSET', KEYS[n + 3], 'fp', fingerprint, 'response', ARGV[4])
  redis.call('PEXPIRE', KEYS[n + 3], ARGV[3])
end
return 1
`;

/**
 * The common commit, on its own: one key, no Idempotency-Key, no turn to take. Same checks and
 * replies as COMMIT_LUA with a third of its arguments and no closure; Redis runs it in about a
 * third of the time (ADR 47). KEYS[1] the state key, KEYS[2] the namespace's turn, KEYS[3] its
 * usage (ADR 0127). ARGV[1] this pod's id, ARGV[2] the state key's overhead, ARGV[3] version
 * read ('*' = not read), ARGV[4] value, ARGV[5] the new version: '' deletes the key (absence
 * has the version ''), '*' writes nothing; ARGV[6] maxKeys or '', ARGV[7] maxNamespaceBytes.
 */
export const COMMIT_ONE_LUA = `${USAGE_LUA}
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then
  local entry = redis.call('HMGET', KEYS[1], 'v', 'ver')
  return {3, redis.call('PTTL', KEYS[2]), entry[1], entry[2] or ''}
end
local expected = ARGV[3]
if expected ~= '*' and (redis.call('HGET', KEYS[1], 'ver') or '') ~= expected then
  local entry = redis.call('HMGET', KEYS[1], 'v', 'ver')
  return {0, 0, entry[1], entry[2] or ''}
end
local version = ARGV[5]
if version == '*' then return 1 end
local overhead = tonumber(ARGV[2])
local old = sizeOf(KEYS[1], overhead)
local dk, db
if version == '' then
  dk, db = old and -1 or 0, -(old or 0)
else
  dk, db = old and 0 or 1, #KEYS[1] - overhead + #ARGV[4] - (old or 0)
end
local refused = over(KEYS[3], dk, db, ARGV[6], ARGV[7])
if refused then return refused end
if version == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'v', ARGV[4], 'ver', version)
end
count(KEYS[3], 'keys', dk)
count(KEYS[3], 'bytes', db)
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
  /** How much longer a state key's Redis name is than the key itself (`ns/key`). */
  stateOverhead: number;
  turn(namespace: string): string;
  /** The namespace's usage hash {keys, bytes} (ADR 0127). */
  usage(namespace: string): string;
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
    // `prefix:{` and `}:k:` added, the `/` taken away.
    stateOverhead: prefix.length + 5,
    turn(namespace) {
      return `${prefix}:{${namespace}}:turn`;
    },
    usage(namespace) {
      return `${prefix}:{${namespace}}:usage`;
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
  /** The namespace quotas as script arguments; '' when the commit carries none. */
  maxKeys: string;
  maxBytes: string;
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

/** A commit's namespace quotas as the scripts take them: '' for none. */
function quotaArgs(request: CommitRequest): { maxKeys: string; maxBytes: string } {
  const { quota } = request;
  return quota === undefined
    ? { maxKeys: '', maxBytes: '' }
    : { maxKeys: String(quota.keys), maxBytes: String(quota.namespaceBytes) };
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
  const limits = quotaArgs(request);
  let commit: OneKeyCommit;
  if (write === undefined) commit = { key, expected, value: '', version: '*', ...limits };
  else if (write[1] === null) commit = { key, expected, value: '', version: '', ...limits };
  else commit = { key, expected, value: argOf(write[1]), version: write[2], ...limits };
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
  redisKeys.push(naming.turn(turn.namespace), naming.usage(turn.namespace));
  if (claim) redisKeys.push(naming.record(claim.namespace, claim.key));
  const response = request.idempotency ? argOf(encodeResponse(request.idempotency.response)) : '';
  const args: (string | Buffer | number)[] = [redisKeys.length, ...redisKeys, keys.length];
  args.push(claim?.fingerprint ?? '', claim?.ttlMs ?? 0, response);
  args.push(turn.me, turn.take ? '1' : '', turn.ms);
  const { maxKeys, maxBytes } = quotaArgs(request);
  args.push(naming.stateOverhead, maxKeys, maxBytes);
  for (const key of keys) args.push(read.get(key) ?? '*', ...writeArgs(written.get(key)));
  return { script: 'general', keys, args };
}

export type CommitReply =
  | { type: 'applied' }
  | { type: 'busy'; ms: number; current: VersionedEntry[] }
  | { type: 'stale'; took: boolean; current: VersionedEntry[] }
  | { type: 'replay'; record: IdempotencyRecord }
  | { type: 'quota'; quota: string; total: number; limit: number };

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
  if (flat[0] === 4) {
    const text = (part: unknown): string =>
      Buffer.isBuffer(part) ? part.toString() : String(part);
    return {
      type: 'quota',
      quota: text(flat[1]),
      total: Number(text(flat[2])),
      limit: Number(text(flat[3])),
    };
  }
  if (flat[0] === 2) {
    const fingerprint = (flat[1] as Buffer).toString();
    return { type: 'replay', record: { fingerprint, response: decodeResponse(flat[2] as Buffer) } };
  }
  return { type: 'stale', took: flat[1] === 1, current: entriesOf(keys, flat, 2) };
}
