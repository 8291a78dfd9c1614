// Who may reach what is not a call (docs/adr/0125). A runtime pod's `/state`, `/handoff` and
// `/metrics`, and a router's `/lb/status` and `/metrics`, are on the same port as the calls,
// which any pod of the cluster can reach when NetworkPolicies are not enforced. With tokens
// configured (the operator gives every pod of a GlassCluster the same two, from a Secret) they
// answer only to `Authorization: Bearer <token>`; without (loopback, `glass up`) they are open.
import { createHash, timingSafeEqual } from 'node:crypto';

/** `public`: liveness and readiness; `metrics`: the Prometheus text; `admin`: the rest. */
export type Scope = 'public' | 'metrics' | 'admin';

export interface AdminTokens {
  /** Reads and writes state, takes hand-offs, reads everything below. */
  admin?: string;
  /** Reads `/metrics` only: what a Prometheus holds, which cannot write state with it. */
  metrics?: string;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The token of an `Authorization: Bearer <token>` header, else undefined. */
function bearerOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

export class AdminCredentials {
  private readonly admin: Buffer | undefined;
  private readonly metrics: Buffer | undefined;

  constructor(private readonly tokens: AdminTokens = {}) {
    // Digests compared in constant time: a token is never compared byte by byte, so the time
    // of a refusal says nothing about how much of a guess was right.
    this.admin = tokens.admin === undefined ? undefined : digest(tokens.admin);
    this.metrics = tokens.metrics === undefined ? undefined : digest(tokens.metrics);
  }

  /** Whether any token is configured; without one every route is open (loopback only). */
  get required(): boolean {
    return this.admin !== undefined;
  }

  /** The header a pod sends to its peers' admin routes (a hand-off): they share its token. */
  get peerHeaders(): Record<string, string> {
    const { admin } = this.tokens;
    return admin === undefined ? {} : { authorization: `Bearer ${admin}` };
  }

  /** Whether a request with this Authorization header may reach a route of this scope. */
  allows(scope: Scope, authorization: string | string[] | undefined): boolean {
    if (scope === 'public' || this.admin === undefined) return true;
    const token = bearerOf(authorization);
    if (token === undefined) return false;
    const given = digest(token);
    if (timingSafeEqual(given, this.admin)) return true;
    return (
      scope === 'metrics' && this.metrics !== undefined && timingSafeEqual(given, this.metrics)
    );
  }
}

/** The answer's message when `allows` said no: which token, never what it is. */
export function refusal(scope: Scope): string {
  return scope === 'metrics'
    ? 'this route needs Authorization: Bearer with the metrics or the admin token'
    : 'this route needs Authorization: Bearer with the admin token';
}
