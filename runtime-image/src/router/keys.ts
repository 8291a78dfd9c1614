// The routing key of a request: the first source present in the configured order wins.
import type { IncomingHttpHeaders } from 'node:http';
import type { RoutingKeySource } from '@glass/crds';
import type { TrustedProxies } from './client-ip.js';

export { DEFAULT_ROUTING_KEYS, RoutingKeySource } from '@glass/crds';

/** What key extraction looks at: the request line, headers and the socket peer. */
export interface KeyedRequest {
  url: string;
  headers: IncomingHttpHeaders;
  peer: string;
}

export interface RoutingKey {
  source: RoutingKeySource;
  value: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value === '' ? undefined : value;
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers.cookie;
  if (raw === undefined) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    return value === '' ? undefined : value;
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The Faaslet a path addresses: `/invoke/:faaslet/:export` and `/state/:namespace/:key` name
 * it first, `/invoke/:export` names only the export (the classic call shape), which still
 * keeps every call of one function on one pod.
 */
export function functionOf(url: string): string | undefined {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const [empty, kind, name] = path.split('/');
  if (empty !== '' || name === undefined || name === '') return undefined;
  if (kind !== 'invoke' && kind !== 'state') return undefined;
  return name.includes('%') ? decode(name) : name;
}

type Reader = (req: KeyedRequest, trusted: TrustedProxies) => string | undefined;

const readers: Record<RoutingKeySource, Reader> = {
  'user-id': (req) => header(req.headers, 'x-user-id'),
  session: (req) => header(req.headers, 'x-session-id') ?? cookie(req.headers, 'session_id'),
  function: (req) => functionOf(req.url),
  'client-ip': (req, trusted) => trusted.clientIp(req.peer, req.headers['x-forwarded-for']),
};

/** Finds a request's routing key; undefined when no configured source is present. */
export class KeyExtractor {
  constructor(
    private readonly order: readonly RoutingKeySource[],
    private readonly trusted: TrustedProxies,
  ) {}

  keyOf(req: KeyedRequest): RoutingKey | undefined {
    for (const source of this.order) {
      const value = readers[source](req, this.trusted);
      if (value !== undefined && value !== '') return { source, value };
    }
    return undefined;
  }

  /** The client address, as X-Forwarded-For should carry it upstream. */
  clientIp(req: KeyedRequest): string {
    return this.trusted.clientIp(req.peer, req.headers['x-forwarded-for']);
  }
}
