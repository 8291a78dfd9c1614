import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { StateKey, VersionedEntry } from '../host/protocol.js';
import {
  COMMIT_LUA,
  COMMIT_ONE_LUA,
  READ_LUA,
  commitNamespace,
  decodeCommitReply,
  entriesOf,
  keyNaming,
  planCommit,
  type CommitPlan,
  type KeyNaming,
} from './commit-script.js';
import {
  decodeResponse,
  replayOf,
  type IdempotencyClaim,
  type StoredResponse,
} from './idempotency.js';
import { isNoScript, OneKeyCommitEncoder } from './one-key-commit-command.js';
import { PodCache, type IssuedCommit } from './pod-cache.js';
import { NamespaceTurns } from './turns.js';
import type { RedisSettings } from './redis-config.js';
import { RedisLink } from './redis-link.js';
import { quotaExceeded } from '../runtime/errors.js';
import type { CommitOutcome, CommitRequest } from './store.js';

/** The scripts ioredis defines on the client (`defineCommand`), Buffer-replying variants. */
interface GlassCommands {
  glassCommitOneBuffer(...args: (string | Buffer | number)[]): Promise<unknown>;
  glassCommitBuffer(...args: (string | Buffer | number)[]): Promise<unknown>;
  glassReadBuffer(...args: (string | number)[]): Promise<unknown[]>;
}

/** The outcome of every commit that applied (shared: nothing writes to it). */
const APPLIED: CommitOutcome = Object.freeze({ ok: true });

/** An invocation still losing at this attempt takes its namespace's turn (ADR 0046). */
const TAKE_TURN_AT_ATTEMPT = 4;
/** How long a turn lasts: other pods' commits on the namespace wait meanwhile. */
const TURN_MS = 100;

/**
 * `durability: global` (ADR 0040): Redis is the store. Each key is a hash {v, ver}; a commit
 * is one Lua script that checks every version read and applies every write, so the pod's
 * cached copies (which may be stale: other pods write too) can never produce a wrong commit.
 * An invocation is answered only after Redis acknowledged its commit.
 */
export class GlobalTier {
  private readonly cache = new PodCache();
  private readonly naming: KeyNaming;
  private readonly commands: GlassCommands;
  /** Who this pod is when it holds a namespace's turn. */
  private readonly podId = randomBytes(6).toString('hex');
  private readonly turns = new NamespaceTurns();
  private readonly oneKeyCommits: OneKeyCommitEncoder;

  constructor(
    readonly link: RedisLink,
    keyPrefix: string,
  ) {
    this.naming = keyNaming(keyPrefix);
    this.oneKeyCommits = new OneKeyCommitEncoder(COMMIT_ONE_LUA, this.naming, this.podId);
    link.client.defineCommand('glassCommit', { lua: COMMIT_LUA });
    link.client.defineCommand('glassCommitOne', { lua: COMMIT_ONE_LUA, numberOfKeys: 3 });
    link.client.defineCommand('glassRead', { lua: READ_LUA });
    this.commands = link.client as unknown as GlassCommands;
    // Other pods kept writing while this one could not see: start from Redis again.
    link.onDown(() => {
      this.cache.clear();
    });
  }

  static async connect(settings: RedisSettings, log: Logger): Promise<GlobalTier> {
    return new GlobalTier(await RedisLink.connect(settings, log), settings.keyPrefix);
  }

  get endpoint(): string {
    return this.link.endpoint;
  }

  /** For a guest's cache miss: the pod's copy where it has one, else Redis (one snapshot). */
  async fetch(keys: StateKey[]): Promise<VersionedEntry[]> {
    const missing = keys.filter((key) => this.cache.get(key) === undefined);
    const loaded = missing.length > 0 ? await this.load(missing) : [];
    const fromRedis = new Map(loaded.map((entry) => [entry[0], entry]));
    return keys.map((key) => this.cache.get(key) ?? fromRedis.get(key) ?? [key, null, '']);
  }

  /** The pod's copy, without asking Redis: undefined when it has none. */
  peek(key: StateKey): VersionedEntry | undefined {
    return this.cache.get(key);
  }

  /** Straight from Redis (the admin API), bypassing the pod's copy. */
  read(keys: StateKey[]): Promise<VersionedEntry[]> {
    return this.load(keys);
  }

  /** Reads whose version differs from what the pod knows (unknown keys wait for the commit). */
  stale(reads: [StateKey, string][]): StateKey[] {
    const stale: StateKey[] = [];
    for (const [key, version] of reads) {
      const known = this.cache.versionOf(key);
      if (known !== undefined && known !== version) stale.push(key);
    }
    return stale;
  }

  /**
   * Reads whose version is not the one in Redis now, asked of Redis (one read script): the
   * check of a failed invocation (ADR 0048). The reply also refreshes the pod's copy, so a
   * retry reads the current values instead of failing on the same stale ones again.
   */
  async staleInRedis(reads: [StateKey, string][]): Promise<StateKey[]> {
    const current = await this.load(
      reads.map(([key]) => key),
      'the check of a failed invocation',
    );
    return reads.filter(([, seen], i) => current[i]?.[2] !== seen).map(([key]) => key);
  }

  /**
   * Validates and applies in one script. The script is sent before this returns its promise,
   * so commits leave in the order the invoker made them: pipelined invocations read each
   * other's writes, and Redis must see them in that order.
   */
  async commit(request: CommitRequest): Promise<CommitOutcome> {
    this.link.ensureAvailable();
    const namespace = commitNamespace(request);
    if (namespace === undefined) return APPLIED;
    const take = (request.attempt ?? 0) >= TAKE_TURN_AT_ATTEMPT;
    const plan = planCommit(request, this.naming, { me: this.podId, namespace, take, ms: TURN_MS });
    // link.command() inlined: this is the one command on every global invocation's path.
    this.link.watchdog.sent();
    const sent =
      plan.script === 'one'
        ? this.link.client.sendCommand(this.oneKeyCommits.command(plan.commit))
        : this.commands.glassCommitBuffer(...plan.args);
    // After the send, not before: Redis is already running the script meanwhile. Nothing
    // can read the cache in between, and no reply is handled before this returns.
    const issued = this.cache.issueCommit(plan.keys, request.writes);
    let reply: unknown;
    try {
      reply = await sent;
    } catch (error) {
      reply = await this.recommit(error, plan, issued);
    } finally {
      this.link.watchdog.answered();
    }
    const decoded = decodeCommitReply(reply, plan.keys);
    switch (decoded.type) {
      case 'applied':
        return APPLIED;
      case 'busy': {
        // Another pod has the turn: the retry waits for it to lapse (admit), then starts fresh.
        this.cache.refuted(issued, decoded.current, new Set(request.writes.map(([key]) => key)));
        this.turns.held(namespace, Math.min(decoded.ms, TURN_MS));
        return { ok: false, stale: plan.keys };
      }
      case 'stale': {
        const current = new Map(decoded.current.map(([key, , version]) => [key, version]));
        const stale = request.reads.filter(([key, seen]) => current.get(key) !== seen);
        const doomed = new Set([...stale.map(([key]) => key), ...request.writes.map(([k]) => k)]);
        this.cache.refuted(issued, decoded.current, doomed);
        return { ok: false, stale: stale.length > 0 ? stale.map(([key]) => key) : plan.keys };
      }
      case 'quota': {
        // Nothing was applied: the writes installed when the commit was issued are doomed.
        this.cache.forget(issued);
        throw quotaExceeded(
          `quota ${decoded.quota} exceeded: namespace ${namespace} would hold ${decoded.total} ${decoded.quota === 'maxKeys' ? 'keys' : 'bytes'}, over the limit of ${decoded.limit}; nothing was applied`,
        );
      }
      case 'replay': {
        // Nothing was applied: the writes installed when the commit was issued are doomed.
        this.cache.forget(issued);
        const claim = request.idempotency?.claim;
        if (!claim) throw new Error('Redis replayed a commit that carried no Idempotency-Key');
        return { ok: true, replay: replayOf(claim, decoded.record) };
      }
    }
  }

  /**
   * A commit that failed to reach Redis, or that Redis refused. The one-key script goes by
   * its SHA alone; if Redis has lost it (SCRIPT FLUSH, a restart), the commit goes again
   * through ioredis's own script command, which sends the body with EVAL when Redis lacks it.
   */
  private async recommit(error: unknown, plan: CommitPlan, issued: IssuedCommit): Promise<unknown> {
    try {
      if (plan.script !== 'one' || !isNoScript(error)) throw error;
      const args = this.oneKeyCommits.args(plan.commit);
      return await this.link.command(() => this.commands.glassCommitOneBuffer(...args));
    } catch (failed) {
      this.cache.forget(issued);
      throw this.link.failure(failed, 'the commit');
    }
  }

  /** Before an attempt: 503 during an outage; a wait while another pod has the turn. */
  admit(namespace: string): Promise<void> | undefined {
    this.link.ensureAvailable();
    return this.turns.wait(namespace);
  }

  /** The response stored under the claim's key, if an earlier request committed one. */
  async recorded(claim: IdempotencyClaim): Promise<StoredResponse | undefined> {
    this.link.ensureAvailable();
    let fields: (Buffer | null)[];
    try {
      fields = await this.link.command((client) =>
        client.hmgetBuffer(this.naming.record(claim.namespace, claim.key), 'fp', 'response'),
      );
    } catch (error) {
      throw this.link.failure(error, 'the Idempotency-Key lookup');
    }
    const [fingerprint, response] = fields;
    if (!fingerprint || !response) return undefined;
    return replayOf(claim, {
      fingerprint: fingerprint.toString(),
      response: decodeResponse(response),
    });
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  private async load(keys: StateKey[], what = 'the read'): Promise<VersionedEntry[]> {
    this.link.ensureAvailable();
    const stamp = this.cache.issueRead();
    let flat: unknown[];
    try {
      flat = await this.link.command(() =>
        this.commands.glassReadBuffer(keys.length, ...keys.map((key) => this.naming.state(key))),
      );
    } catch (error) {
      throw this.link.failure(error, what);
    }
    const entries = entriesOf(keys, flat);
    this.cache.learn(entries, stamp);
    return entries;
  }
}
