// Fetching a module from spec.module.url without becoming an SSRF tool (ADR 0081): only
// public addresses unless a range is allowed by name, checked on the address actually
// connected to (after DNS) and again after every redirect; the body read with a byte cap.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ModuleFetchError, ModuleTooLargeError } from './module-errors.js';

export interface ModuleFetchPolicy {
  /** CIDR ranges fetched from although they are private (e.g. `127.0.0.0/8` for tests). */
  allowCidrs: readonly string[];
  /** The largest module read; a longer body is cut off. */
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
}

export const DEFAULT_MODULE_FETCH_POLICY: ModuleFetchPolicy = Object.freeze({
  allowCidrs: [],
  maxBytes: 64 * 1024 * 1024,
  timeoutMs: 30_000,
  maxRedirects: 5,
});

/**
 * Not the public internet: this host, its link (cloud metadata at 169.254.169.254), private
 * networks (cluster Pods and Services), carrier-grade NAT, benchmarking, multicast, reserved.
 */
const REFUSED: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** Whether `value` is a range `address/prefix` of IPv4 or IPv6 (what an allow-list takes). */
export function isCidr(value: string): boolean {
  const [address = '', prefix = '', extra] = value.split('/');
  const family = isIP(address);
  return (
    extra === undefined &&
    family !== 0 &&
    /^\d+$/.test(prefix) &&
    Number(prefix) <= (family === 4 ? 32 : 128)
  );
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Which addresses a policy lets the fetch connect to. */
export class AddressPolicy {
  private readonly refused = new BlockList();
  private readonly allowed = new BlockList();

  constructor(allowCidrs: readonly string[]) {
    for (const [address, prefix, family] of REFUSED)
      this.refused.addSubnet(address, prefix, family);
    for (const cidr of allowCidrs) {
      const [address = '', prefix = ''] = cidr.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      this.allowed.addSubnet(address, Number(prefix), family);
    }
  }

  /** Why `address` may not be fetched from, or undefined when it may. */
  refusal(address: string): string | undefined {
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is that IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const ip = mapped ?? address;
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (!this.refused.check(ip, family) || this.allowed.check(ip, family)) return undefined;
    return `${address} is a loopback, link-local or private address and no allowed range holds it`;
  }

  /** A DNS lookup for http.request that fails when any address a name resolves to is refused. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      const failure = error ?? this.refusalOfName(hostname, addresses);
      if (failure) {
        callback(failure, '', 0);
      } else if (options.all === true) {
        callback(null, addresses);
      } else {
        const [first] = addresses as [LookupAddress];
        callback(null, first.address, first.family);
      }
    });
  };

  /** Any refused answer refuses the name: a resolver that mixes one in is not trusted. */
  private refusalOfName(hostname: string, addresses: LookupAddress[]): Error | undefined {
    if (addresses.length === 0) return new Error(`${hostname}: no address`);
    const refusal = addresses.map((a) => this.refusal(a.address)).find((r) => r !== undefined);
    return refusal === undefined ? undefined : new Error(`${hostname}: ${refusal}`);
  }
}

function requestOnce(
  url: URL,
  addresses: AddressPolicy,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new ModuleFetchError(`${url.protocol} URLs are not fetched`));
  }
  // An address literal is connected to without a lookup: check it here.
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const refusal = isIP(literal) === 0 ? undefined : addresses.refusal(literal);
  if (refusal !== undefined) return Promise.reject(new ModuleFetchError(refusal));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    request(url, { signal, lookup: addresses.lookup }, resolve)
      .on('error', (error) => {
        reject(new ModuleFetchError(`${url.origin}: ${error.message}`));
      })
      .end();
  });
}

/** Reads `response` whole, cutting it off past `maxBytes`. */
async function readCapped(response: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (): ModuleTooLargeError => {
    response.destroy();
    return new ModuleTooLargeError(
      `the module at spec.module.url is larger than ${maxBytes} bytes`,
    );
  };
  if (Number(response.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ModuleTooLargeError) throw error;
    throw new ModuleFetchError(`reading the body: ${(error as Error).message}`);
  }
  return new Uint8Array(Buffer.concat(chunks, length));
}

/**
 * The bytes at `location`, by GET, redirects followed by hand (each target checked like the
 * first), at most `policy.maxBytes` of them.
 */
export async function fetchModule(
  location: string,
  policy: ModuleFetchPolicy,
): Promise<Uint8Array> {
  const addresses = new AddressPolicy(policy.allowCidrs);
  const signal = AbortSignal.timeout(policy.timeoutMs);
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new ModuleFetchError(`not a URL: ${location}`);
  }
  for (let redirects = 0; ; redirects++) {
    const response = await requestOnce(url, addresses, signal);
    const status = response.statusCode ?? 0;
    const next = response.headers.location;
    if (REDIRECTS.has(status) && next !== undefined) {
      response.destroy();
      if (redirects >= policy.maxRedirects) {
        throw new ModuleFetchError(`more than ${policy.maxRedirects} redirects`);
      }
      url = new URL(next, url);
      continue;
    }
    if (status !== 200) {
      response.destroy();
      throw new ModuleFetchError(`${url.href} answered ${status}`);
    }
    return readCapped(response, policy.maxBytes);
  }
}
