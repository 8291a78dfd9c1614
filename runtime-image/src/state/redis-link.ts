import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GlassError, unavailable } from '../runtime/errors.js';
import { CommandWatchdog } from './command-watchdog.js';
import {
  describeEndpoint,
  ioredisOptions,
  parseRedisUrl,
  type RedisSettings,
} from './redis-config.js';

/** Reconnect backoff once running: quick at first, never slower than a second. */
const RECONNECT_MS = [50, 100, 200, 400, 800, 1000];
/** While reachable but refusing (LOADING, BUSY, a timed-out command), probe this often. */
const PROBE_MS = 250;
/** Replies that mean "Redis cannot take commands right now", not "this command is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|READONLY|MISCONF|TRYAGAIN|MASTERDOWN|NOREPLICAS)\b/;
const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Why startup gave up on Redis: a message meant for the person running `glass runtime`. */
export class RedisStartupError extends Error {}

/** A reply of Redis refusing a command (ioredis's ReplyError), as opposed to a lost connection. */
function isReply(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

function isAuthFailure(error: Error | undefined): boolean {
  return error !== undefined && AUTH_FAILURE.test(error.message);
}

function isTlsFailure(error: Error | undefined): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_'));
}

function startupMessage(endpoint: string, error: Error | undefined, timeoutMs: number): string {
  if (isAuthFailure(error)) {
    return `Redis at ${endpoint}: authentication failed (${error?.message ?? ''}); check the password (--redis-password-file) and user`;
  }
  if (isTlsFailure(error)) {
    return `Redis at ${endpoint}: TLS handshake failed (${error?.message ?? ''}); check --redis-tls-ca`;
  }
  const cause = error?.message ?? 'no answer';
  return `cannot reach Redis at ${endpoint} within ${timeoutMs} ms: ${cause}`;
}

/**
 * The global tier's one connection to Redis and what the pod knows about its health. One
 * connection, because commands on it run in the order they were issued (ADR 0041).
 */
export class RedisLink {
  readonly endpoint: string;
  readonly client: Redis;
  private lastError: Error | undefined;
  private starting = true;
  private problem: string | undefined = 'not connected yet';
  private probing: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onDownListeners: (() => void)[] = [];
  /** Bounds a half-open connection: a command unanswered this long reconnects. */
  readonly watchdog: CommandWatchdog;

  private constructor(
    settings: RedisSettings,
    private readonly log: Logger,
  ) {
    this.endpoint = describeEndpoint(parseRedisUrl(settings.url));
    this.client = new Redis({
      ...ioredisOptions(settings),
      retryStrategy: (times) => this.retryDelay(times),
    });
    this.watchdog = new CommandWatchdog(settings.commandTimeoutMs, () => {
      this.overdue(settings.commandTimeoutMs);
    });
  }

  /** Sends one command under the watchdog. */
  async command<T>(send: (client: Redis) => Promise<T>): Promise<T> {
    this.watchdog.sent();
    try {
      return await send(this.client);
    } finally {
      this.watchdog.answered();
    }
  }

  /**
   * Connects and checks that this is a Redis the pod can commit to. Retries an unreachable
   * server until `connectTimeoutMs`; a refused password or certificate fails at once.
   */
  static async connect(settings: RedisSettings, log: Logger): Promise<RedisLink> {
    const link = new RedisLink(settings, log);
    link.watch();
    await link.waitReady(settings.connectTimeoutMs);
    await link.checkRole();
    link.starting = false;
    return link;
  }

  /** Undefined while commits can go through; otherwise why not, for 503s and `/ready`. */
  get unavailableReason(): string | undefined {
    return this.problem;
  }

  /** Throws the 503 an invocation answers while Redis cannot take commits. */
  ensureAvailable(): void {
    if (this.problem !== undefined) {
      throw unavailable(`global state is unavailable: Redis at ${this.endpoint}: ${this.problem}`);
    }
  }

  /** Called when the connection is lost: the pod's copy of Redis values may be out of date. */
  onDown(listener: () => void): void {
    this.onDownListeners.push(listener);
  }

  /**
   * Turns a failed command into the error its invocation answers, and reacts: a transient
   * refusal starts probing (an unanswered command has already made the watchdog reconnect).
   * `what` says whether the outcome is unknown (a commit that may or may not have applied).
   */
  failure(error: unknown, what: string): GlassError {
    const message = error instanceof Error ? error.message : String(error);
    if (isReply(error) && !TRANSIENT_REPLY.test(message)) {
      // The message only: ioredis attaches the command's arguments to its errors.
      this.log.error({ endpoint: this.endpoint, reason: message }, `Redis refused ${what}`);
      return new GlassError(500, 'internal', `Redis refused ${what}: ${message}`);
    }
    if (this.problem === undefined) this.markDown(message);
    if (isReply(error)) this.probe();
    return unavailable(
      `global state is unavailable: Redis at ${this.endpoint}: ${this.problem ?? message}; ${what} was not acknowledged`,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probing);
    this.watchdog.stop();
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private retryDelay(times: number): number | null {
    if (this.closed) return null;
    if (this.starting) {
      return isAuthFailure(this.lastError) || isTlsFailure(this.lastError) ? null : 200;
    }
    return RECONNECT_MS[Math.min(times, RECONNECT_MS.length) - 1] ?? 1000;
  }

  private watch(): void {
    this.client.on('error', (error: Error) => {
      this.lastError = error;
      if (!this.starting && this.problem === undefined) this.markDown(error.message);
    });
    this.client.on('close', () => {
      if (!this.starting && this.problem === undefined && !this.closed) {
        this.markDown(this.lastError?.message ?? 'connection closed');
      }
    });
    this.client.on('ready', () => {
      if (this.starting) return;
      clearTimeout(this.probing);
      this.probing = undefined;
      if (this.problem !== undefined) {
        this.log.info({ endpoint: this.endpoint }, 'global state: Redis is reachable again');
      }
      this.problem = undefined;
    });
  }

  /** A command got no answer in time: the connection may be half-open, so make a new one. */
  private overdue(timeoutMs: number): void {
    if (this.problem === undefined) this.markDown(`no answer within ${timeoutMs} ms`);
    if (this.client.status === 'ready') this.client.disconnect(true);
  }

  private markDown(reason: string): void {
    this.problem = reason;
    this.log.warn({ endpoint: this.endpoint, reason }, 'global state: Redis is unavailable');
    for (const listener of this.onDownListeners) listener();
  }

  /** PING until Redis takes commands again (it is connected but said LOADING, BUSY…). */
  private probe(): void {
    if (this.probing !== undefined || this.closed) return;
    this.probing = setTimeout(() => {
      this.probing = undefined;
      this.command((client) => client.ping()).then(
        () => {
          if (this.client.status === 'ready') this.problem = undefined;
          else this.probe();
        },
        () => {
          this.probe();
        },
      );
    }, PROBE_MS);
    this.probing.unref();
  }

  private waitReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (): void => {
        clearTimeout(timer);
        this.closed = true;
        this.client.disconnect();
        reject(new RedisStartupError(startupMessage(this.endpoint, this.lastError, timeoutMs)));
      };
      const timer = setTimeout(fail, timeoutMs);
      this.client.once('ready', () => {
        clearTimeout(timer);
        this.client.off('end', fail);
        this.problem = undefined;
        resolve();
      });
      // 'end': the retry strategy gave up (a refused password or certificate).
      this.client.once('end', fail);
      this.client.connect().catch(() => {
        // the 'error' and 'end' events carry the cause
      });
    });
  }

  private async checkRole(): Promise<void> {
    const role = await this.command((client) => client.role());
    if (role[0] !== 'master') {
      await this.close();
      throw new RedisStartupError(
        `Redis at ${this.endpoint} is a read-only ${String(role[0])}: point --redis at the primary`,
      );
    }
  }
}
