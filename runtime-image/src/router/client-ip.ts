// Who the client is: the socket peer, or what trusted proxies say in X-Forwarded-For.
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.1.2.3` is the IPv4 client 10.1.2.3 seen through a dual-stack socket. */
export function normalizeIp(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped?.[1] ?? trimmed;
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a bare address; throws with the bad entry named. */
export function parseCidr(text: string): { address: string; prefix: number; family: 4 | 6 } {
  const [rawAddress = '', rawPrefix, extra] = text.trim().split('/');
  const address = normalizeIp(rawAddress);
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || extra !== undefined) {
    throw new Error(`not an IP address or CIDR range: "${text}"`);
  }
  const max = family === 4 ? 32 : 128;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (!/^\d+$/.test(rawPrefix ?? String(max)) || prefix > max) {
    throw new Error(`bad prefix length in "${text}" (0-${max})`);
  }
  return { address, prefix, family };
}

/** The set of peers whose X-Forwarded-For the router believes. Empty: nobody's. */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const { address, prefix, family } = parseCidr(cidr);
      this.list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.size = cidrs.length;
  }

  trusts(address: string): boolean {
    if (this.size === 0) return false;
    const ip = normalizeIp(address);
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client address: the socket peer unless the peer is trusted, in which case
   * X-Forwarded-For is read right to left and the first hop not trusted is the client (the
   * leftmost one when every hop is trusted). Entries that are not addresses end the walk,
   * since nothing left of a garbled hop can be believed.
   */
  clientIp(peer: string, forwardedFor: string | string[] | undefined): string {
    let client = normalizeIp(peer);
    if (!this.trusts(client) || forwardedFor === undefined) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map(normalizeIp)
      .filter((hop) => hop !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? '';
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.trusts(hop)) return client;
    }
    return client;
  }
}
