// `glass router --backend URL ...`: a fixed list of runtime pods, named host:port.
import { MemberSet, type Member } from './membership.js';

/** The member for a backend URL: its name is `host:port` (the port defaulted from the scheme). */
export function memberFromUrl(raw: string): Member {
  const url = new URL(raw);
  if (url.protocol !== 'http:') throw new Error(`backend must be an http:// URL, got "${raw}"`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new Error(`backend URL must have no path or query, got "${raw}"`);
  }
  const port = url.port === '' ? '80' : url.port;
  return { name: `${url.hostname}:${port}`, url: url.origin };
}

export class StaticMembership extends MemberSet {
  constructor(backends: readonly string[]) {
    super();
    for (const backend of backends) this.add(memberFromUrl(backend));
  }
}
