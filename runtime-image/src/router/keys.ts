// The routing key of a request: the first source present in the configured order wins.
import type { IncomingHttpHeaders } from 'node:http';
import type { RoutingKeySource } from '@glass/crds';
import { callValue, cookie } from '../placement/call-values.js';
import type { TrustedProxies } from './client-ip.js';

export { cookie };

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
  'user-id': (req) => callValue({ headers: req.headers, pathKey: undefined }, 'user'),
  session: (req) => callValue({ headers: req.headers, pathKey: undefined }, 'session'),
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
