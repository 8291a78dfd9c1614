// A runtime pod sends a call for a namespace it does not own to the owner, once (DESIGN.md,
// State placement). The hop is marked, so the owner never sends it on: two pods that disagree
// about the owner answer a retryable 503 instead of bouncing the call between them.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import type { Member } from '../router/membership.js';

/** Set on a forwarded call: the name of the pod that forwarded it. */
export const FORWARDED_BY = 'x-glass-forwarded-by';

/** Headers that belong to one connection, never to the next hop (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

/** Request headers the owner gets anew: undici sets these for the bytes it sends. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'content-length', 'expect', FORWARDED_BY]);

export interface ForwardedCall {
  method: string;
  /** Path and query, as the pod received them. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** Why a forward failed before the owner answered (the caller answers 502/503). */
export class ForwardError extends Error {}

/** The peer is leaving itself: sending it more is pointless. */
export class PeerLeavingError extends ForwardError {}

/** A member that comes back at another address is another peer. */
const poolKey = (member: Member): string => `${member.name} ${member.url}`;

export class PeerForwarder {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly self: string,
    private readonly timeoutMs: number,
    /** Sent with every pod-to-pod POST: the admin token its peers share (ADR 0125). */
    private readonly peerHeaders: Record<string, string> = {},
  ) {}

  /** Streams the owner's answer into `response`; rejects with ForwardError if none came. */
  async forward(owner: Member, call: ForwardedCall, response: ServerResponse): Promise<void> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(call.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
    }
    headers[FORWARDED_BY] = this.self;
    let answer;
    try {
      answer = await this.pool(owner).request({
        method: call.method,
        path: call.url,
        headers,
        body: call.body.length > 0 ? Buffer.from(call.body) : null,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw new ForwardError(`owner pod ${owner.name} did not answer: ${(error as Error).message}`);
    }
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      // Content-Length goes back as it came: a forwarded answer is not re-chunked.
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    }
    out[FORWARDED_BY] = this.self;
    // An answer is at most the 16 MiB output cap of a guest: one write of headers and body,
    // instead of a write per chunk and one more for the end.
    const body = Buffer.from(await answer.body.arrayBuffer());
    response.writeHead(answer.statusCode, out).end(body);
  }

  /** A pod-to-pod POST (a hand-off); rejects unless the peer answers 2xx. */
  async post(peer: Member, path: string, body: string): Promise<void> {
    const answer = await this.pool(peer).request({
      method: 'POST',
      path,
      headers: {
        ...this.peerHeaders,
        'content-type': 'application/json',
        [FORWARDED_BY]: this.self,
      },
      body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await answer.body.text();
    if (answer.statusCode === 410) throw new PeerLeavingError(`pod ${peer.name} is leaving too`);
    if (answer.statusCode >= 300) {
      throw new ForwardError(
        `pod ${peer.name} answered ${answer.statusCode}: ${text.slice(0, 200)}`,
      );
    }
  }

  /** Whether a peer answers /health within `ms`: a pod that left gracefully still does. */
  async answers(peer: Member, ms: number): Promise<boolean> {
    try {
      const answer = await this.pool(peer).request({
        method: 'GET',
        path: '/health',
        headersTimeout: ms,
        bodyTimeout: ms,
        signal: AbortSignal.timeout(ms),
      });
      await answer.body.dump();
      return answer.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Closes the connections of pods that are no longer members. */
  retain(members: readonly Member[]): void {
    const kept = new Set(members.map(poolKey));
    for (const [key, pool] of this.pools) {
      if (kept.has(key)) continue;
      this.pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }

  private pool(owner: Member): Pool {
    const key = poolKey(owner);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(owner.url, { connections: 64, keepAliveTimeout: 30_000 });
      this.pools.set(key, pool);
    }
    return pool;
  }
}
