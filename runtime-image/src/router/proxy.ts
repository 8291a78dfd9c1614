// Sends one buffered request to the pods the ring chose, with the failover rules of
// docs/adr/0023: a request that never reached a pod goes to the next one; a request that
// reached a pod goes on only when it carries an Idempotency-Key. The answer streams from the
// pod's connection straight into the client's response (undici `dispatch`, no extra streams).
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { FailureKind, RouterMetrics } from './metrics.js';
import type { Pod, PodTable } from './pods.js';

/** The runtime names the error code of every error answer here (runtime-image/src/http). */
const ERROR_CODE_HEADER = 'x-glass-error';

export interface UpstreamRequest {
  method: string;
  path: string;
  /** Flat `[name, value, name, value, ...]`, as undici and `rawHeaders` have them. */
  headers: string[];
  body: Buffer | undefined;
  /** Carries an Idempotency-Key: the pod replays rather than re-runs a repeat. */
  idempotent: boolean;
}

/**
 * Where a request goes: to the owner of `key` (a namespace: `bounded` false), or to the pod
 * `key` hashes to unless that pod is past its share of the load (a routing key: `bounded`).
 */
export interface RequestPlacement {
  key: string | undefined;
  bounded: boolean;
  /** The namespace the call touches, answered in `X-Glass-Namespace`. */
  namespace?: string;
}

/** How a forward ended: answered by `pod` (the body may still be streaming), or not at all. */
export type ProxyOutcome =
  | { ok: true; pod: Pod; status: number; attempts: number }
  | { ok: false; status: number; code: string; message: string; attempts: number };

/** Error codes that mean the connection was never made, so the pod never saw the request. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  // The pod's pool was closed (it left the ring) before the request was dispatched.
  'UND_ERR_CLOSED',
]);

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function failureKind(err: unknown): FailureKind {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return 'reset';
  if (NOT_CONNECTED.has(code)) return 'connect';
  return TIMEOUTS.has(code) ? 'timeout' : 'reset';
}

/** Hop-by-hop headers (RFC 9110 7.6.1) are the router's own business, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Flat raw headers without hop-by-hop ones, those the Connection header names, and `drop`
 * (lower-case names). Works on `rawHeaders`-style arrays so no object is built per request.
 */
export function endToEnd(raw: readonly string[], drop: ReadonlySet<string>): string[] {
  let named: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') {
      named = (raw[i + 1] ?? '').split(',').map((h) => h.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || drop.has(lower) || named?.includes(lower) === true) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/** Response headers as undici reports them, minus hop-by-hop ones, plus `X-Glass-Pod`. */
function responseHeaders(
  headers: IncomingHttpHeaders,
  pod: string,
  namespace: string | undefined,
): Record<string, string | string[]> {
  const named =
    typeof headers.connection === 'string'
      ? headers.connection.split(',').map((h) => h.trim().toLowerCase())
      : [];
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue;
    out[name] = value;
  }
  out['x-glass-pod'] = pod;
  if (namespace !== undefined) out['x-glass-namespace'] = namespace;
  return out;
}

/**
 * Rounds over the candidates while a pod answers `not_owner`, and the first pause. 8 rounds wait
 * 1.3 s in all: about how long a kubelet takes to report a killed container, after which the
 * pods stop naming it as the owner.
 */
const NOT_OWNER_ROUNDS = 8;
const NOT_OWNER_BACKOFF_MS = 5;
const NOBODY_OWNS = Symbol('every pod answered not_owner');

export interface ProxyOptions {
  upstreamTimeout: number;
  maxAttempts: number;
}

/**
 * A pod that answers one of these ran nothing: `not_owner` (its view of the owners moved) or
 * `not_ready` (starting, or done handing over and about to exit). Another pod may take the call,
 * with or without an Idempotency-Key.
 */
type RanNothing = 'not-owner' | 'not-ready';
const RAN_NOTHING: Readonly<Record<string, RanNothing>> = {
  not_owner: 'not-owner',
  not_ready: 'not-ready',
};
const RAN_NOTHING_KINDS: Readonly<Record<RanNothing, true>> = {
  'not-owner': true,
  'not-ready': true,
};

type Attempt =
  { ok: true; status: number } | { ok: false; kind: FailureKind | RanNothing; error: Error };

export class UpstreamProxy {
  constructor(
    private readonly table: PodTable,
    private readonly metrics: RouterMetrics,
    private readonly options: ProxyOptions,
  ) {}

  /**
   * Forwards `req` for `key` and streams the answer into `res`. Resolves once a pod's answer
   * has started (its headers are written) or no pod could answer (nothing written; the caller
   * answers with the outcome).
   */
  async forward(
    req: UpstreamRequest,
    placement: RequestPlacement,
    res: ServerResponse,
  ): Promise<ProxyOutcome> {
    // Every pod said `not_owner`: the pods' views of the membership are moving (a hand-off).
    // Nothing ran anywhere, so the call goes again a moment later, when they agree.
    for (let round = 1; ; round++) {
      const outcome = await this.forwardOnce(req, placement, res, round >= NOT_OWNER_ROUNDS);
      if (outcome !== NOBODY_OWNS) return outcome;
      this.metrics.retries.inc({ reason: 'not_owner' });
      await delay(NOT_OWNER_BACKOFF_MS * 2 ** round);
    }
  }

  private async forwardOnce(
    req: UpstreamRequest,
    placement: RequestPlacement,
    res: ServerResponse,
    lastRound: boolean,
  ): Promise<ProxyOutcome | typeof NOBODY_OWNS> {
    const { key, bounded, namespace } = placement;
    const pods = this.table.candidates(key, this.options.maxAttempts, bounded);
    if (pods.length === 0) return this.noPod();
    let last: ProxyOutcome = {
      ok: false,
      status: 502,
      code: 'upstream_failed',
      message: '',
      attempts: 0,
    };
    let notOwner = false;
    for (const [i, pod] of pods.entries()) {
      // Another round comes only when a pod said `not_owner`; a `not_ready` pod is passed over
      // only for another pod of this round.
      const more = i + 1 < pods.length;
      const passOver = { 'not-owner': more || !lastRound, 'not-ready': more };
      const attempt = await this.attempt(pod, req, res, namespace, passOver);
      if (attempt.ok) return { ok: true, pod, status: attempt.status, attempts: i + 1 };
      if (res.destroyed) return failedOutcome(pod, attempt, i + 1);
      notOwner ||= attempt.kind === 'not-owner';
      last = failedOutcome(pod, attempt, i + 1);
      const reached = this.failedOn(pod, attempt.kind);
      if (reached && !req.idempotent) return last;
      if (more) this.metrics.retries.inc({ reason: reached ? 'idempotent' : 'not_reached' });
    }
    // The owner gone and the others still naming it (its kill not yet seen everywhere): the
    // call ran nowhere, or only where its Idempotency-Key makes a repeat safe, so another round
    // goes once the views have moved on.
    return notOwner && !lastRound ? NOBODY_OWNS : last;
  }

  private noPod(): ProxyOutcome {
    const message =
      this.table.size === 0 ? 'no runtime pods are known' : 'no runtime pod is healthy';
    return { ok: false, status: 503, code: 'no_healthy_pod', message, attempts: 0 };
  }

  /** One try on one pod; resolves when its answer starts or the try has failed. */
  private attempt(
    pod: Pod,
    req: UpstreamRequest,
    res: ServerResponse,
    namespace: string | undefined,
    /** Whether an answer that ran nothing is held back for another pod or another round. */
    passOver: Readonly<Record<RanNothing, boolean>>,
  ): Promise<Attempt> {
    pod.requests += 1;
    pod.inFlight += 1;
    let counted = true;
    const settled = (): void => {
      if (counted) pod.inFlight -= 1;
      counted = false;
    };
    return new Promise((resolve) => {
      let started = false;
      let controller: Dispatcher.DispatchController | undefined;
      // The latest chunk is held back, so a one-chunk answer (the usual case) leaves as a single
      // `res.end(chunk)`: headers and body in one write instead of a write and an empty one.
      let held: Buffer | undefined;
      const clientGone = (): void => {
        if (!res.writableEnded) controller?.abort(new Error('the client went away'));
      };
      res.once('close', clientGone);
      const done = (): void => {
        settled();
        res.off('close', clientGone);
      };
      let skipped = false;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (c) => {
          controller = c;
          if (res.destroyed) c.abort(new Error('the client went away'));
        },
        onResponseStart: (c, status, headers) => {
          if (status < 200) return; // 1xx: the real answer follows
          const code = headers[ERROR_CODE_HEADER];
          const ranNothing = status === 503 && typeof code === 'string' && RAN_NOTHING[code];
          if (ranNothing && passOver[ranNothing]) {
            skipped = true;
            done();
            c.abort(new Error(code));
            resolve({ ok: false, kind: ranNothing, error: new Error(`pod ${pod.name}: ${code}`) });
            return;
          }
          started = true;
          this.answered(pod, status, headers[ERROR_CODE_HEADER]);
          res.writeHead(status, responseHeaders(headers, pod.name, namespace));
          resolve({ ok: true, status });
        },
        onResponseData: (c, chunk) => {
          // A slow client: the pod's connection waits until the client has taken this much.
          if (held !== undefined && !res.write(held)) {
            c.pause();
            res.once('drain', () => {
              c.resume();
            });
          }
          held = chunk;
        },
        onResponseEnd: () => {
          done();
          if (held === undefined) res.end();
          else res.end(held);
        },
        onResponseError: (_c, error) => {
          done();
          if (skipped) return;
          if (!started) {
            resolve({ ok: false, kind: failureKind(error), error });
            return;
          }
          // The headers are out: the only honest thing left is to cut the connection. A client
          // that left is not the pod's fault.
          if (!res.destroyed) {
            this.table.failed(pod);
            this.metrics.failures.inc({ pod: pod.name, kind: failureKind(error) });
          }
          res.destroy(error);
        },
      };
      pod.pool.dispatch(
        {
          method: req.method,
          path: req.path,
          headers: req.headers,
          body: req.body ?? null,
          headersTimeout: this.options.upstreamTimeout,
          bodyTimeout: this.options.upstreamTimeout,
        },
        handler,
      );
    });
  }

  /**
   * Counts a failed try against the pod unless it said `not_owner` (not its health), and says
   * whether the call may have run there.
   */
  private failedOn(pod: Pod, kind: FailureKind | RanNothing): boolean {
    if (kind !== 'not-owner') {
      this.table.failed(pod);
      this.metrics.failures.inc({
        pod: pod.name,
        kind: kind === 'not-ready' ? 'unavailable' : kind,
      });
    }
    return kind !== 'connect' && !(kind in RAN_NOTHING_KINDS);
  }

  private answered(pod: Pod, status: number, errorCode: unknown): void {
    // A 503 `unavailable` is the global tier (Redis) being down: every pod says the same, so
    // it is the request's failure, not this pod's; ejecting would empty the ring. `not_owner`
    // is a membership change in flight, not the pod's health either.
    if (status === 503 && errorCode !== 'unavailable' && errorCode !== 'not_owner') {
      // The pod says it is not ready (loading or draining): a health failure, not a retry,
      // because a 503 still means the request reached the pod.
      this.table.failed(pod);
      this.metrics.failures.inc({ pod: pod.name, kind: 'unavailable' });
      return;
    }
    if (status >= 500) pod.errors += 1;
    pod.health.answered();
  }
}

function failedOutcome(
  pod: Pod,
  attempt: { kind: FailureKind | RanNothing; error: Error },
  attempts: number,
): ProxyOutcome {
  // The error's code only: its message names the pod's address, which a client has no business
  // knowing (ADR 0104); X-Glass-Pod and the pod name say which pod it was.
  const code = (attempt.error as { code?: unknown }).code;
  const detail = typeof code === 'string' ? code : attempt.kind;
  if (attempt.kind === 'timeout') {
    const message = `pod ${pod.name} did not answer in time: ${detail}`;
    return { ok: false, status: 504, code: 'upstream_timeout', message, attempts };
  }
  const message =
    attempt.kind === 'connect'
      ? `could not connect to pod ${pod.name}: ${detail}`
      : `pod ${pod.name} failed while handling the request: ${detail}`;
  return { ok: false, status: 502, code: 'upstream_failed', message, attempts };
}
