import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { parseCidr, TrustedProxies } from '../../src/router/client-ip.js';
import {
  DEFAULT_ROUTING_KEYS,
  functionOf,
  KeyExtractor,
  type RoutingKeySource,
} from '../../src/router/keys.js';

interface Req {
  url?: string;
  headers?: IncomingHttpHeaders;
  peer?: string;
}

const request = (r: Req) => ({
  url: r.url ?? '/',
  headers: r.headers ?? {},
  peer: r.peer ?? '203.0.113.9',
});

describe('routing keys', () => {
  describe('with the default order (user id, session, function, client IP)', () => {
    const keys = new KeyExtractor(DEFAULT_ROUTING_KEYS, new TrustedProxies([]));
    const cases: { name: string; req: Req; key: [RoutingKeySource, string] }[] = [
      {
        name: 'X-User-ID wins over everything else',
        req: {
          url: '/invoke/counter/incr',
          headers: { 'x-user-id': 'alice', 'x-session-id': 's1', cookie: 'session_id=s2' },
        },
        key: ['user-id', 'alice'],
      },
      {
        name: 'X-Session-ID comes next',
        req: {
          url: '/invoke/counter/incr',
          headers: { 'x-session-id': 's1', cookie: 'session_id=s2' },
        },
        key: ['session', 's1'],
      },
      {
        name: 'the session_id cookie counts as the session',
        req: { url: '/invoke/counter/incr', headers: { cookie: 'theme=dark; session_id=s2; x=1' } },
        key: ['session', 's2'],
      },
      {
        name: 'a quoted cookie value is unquoted',
        req: { headers: { cookie: 'session_id="s3"' } },
        key: ['session', 's3'],
      },
      {
        name: 'an empty X-User-ID is absent',
        req: { url: '/invoke/counter/incr', headers: { 'x-user-id': ' ' } },
        key: ['function', 'counter'],
      },
      {
        name: 'a cookie merely ending in session_id is not the session',
        req: { headers: { cookie: 'old_session_id=zz' } },
        key: ['client-ip', '203.0.113.9'],
      },
      {
        name: 'the Faaslet of /invoke/:faaslet/:export is the function',
        req: { url: '/invoke/counter/incr?x=1' },
        key: ['function', 'counter'],
      },
      {
        name: 'the export of the classic /invoke/:export is the function',
        req: { url: '/invoke/add?value=10' },
        key: ['function', 'add'],
      },
      {
        name: 'the namespace of /state/:namespace/:key is the function',
        req: { url: '/state/counter/total' },
        key: ['function', 'counter'],
      },
      {
        name: 'a path naming no function falls back to the client IP',
        req: { url: '/somewhere/else' },
        key: ['client-ip', '203.0.113.9'],
      },
      {
        name: 'a dual-stack peer address is the IPv4 client',
        req: { url: '/', peer: '::ffff:198.51.100.7' },
        key: ['client-ip', '198.51.100.7'],
      },
      {
        name: 'X-Forwarded-For from an untrusted peer is ignored',
        req: { url: '/', headers: { 'x-forwarded-for': '192.0.2.1' }, peer: '198.51.100.7' },
        key: ['client-ip', '198.51.100.7'],
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const key = keys.keyOf(request(tc.req));
        assert.deepEqual(key && [key.source, key.value], tc.key);
      });
    }
  });

  describe('with a configured order', () => {
    const cases: {
      name: string;
      order: RoutingKeySource[];
      req: Req;
      key: [RoutingKeySource, string] | undefined;
    }[] = [
      {
        name: 'function first routes by function even with a user id',
        order: ['function', 'user-id'],
        req: { url: '/invoke/kv/get', headers: { 'x-user-id': 'bob' } },
        key: ['function', 'kv'],
      },
      {
        name: 'session before user id picks the session',
        order: ['session', 'user-id'],
        req: { headers: { 'x-user-id': 'bob', 'x-session-id': 's9' } },
        key: ['session', 's9'],
      },
      {
        name: 'no configured source present gives no key',
        order: ['user-id'],
        req: { url: '/invoke/kv/get' },
        key: undefined,
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const key = new KeyExtractor(tc.order, new TrustedProxies([])).keyOf(request(tc.req));
        assert.deepEqual(key && [key.source, key.value], tc.key);
      });
    }
  });

  describe('client IP behind trusted proxies', () => {
    const trusted = new TrustedProxies(['10.0.0.0/8', '192.168.1.1', 'fd00::/8']);
    const cases: { name: string; peer: string; xff: string | undefined; client: string }[] = [
      {
        name: 'an untrusted peer is the client, whatever it forwards',
        peer: '203.0.113.5',
        xff: '1.2.3.4',
        client: '203.0.113.5',
      },
      {
        name: 'a trusted peer without X-Forwarded-For is the client',
        peer: '10.1.1.1',
        xff: undefined,
        client: '10.1.1.1',
      },
      {
        name: 'a trusted peer forwarding one hop names the client',
        peer: '10.1.1.1',
        xff: '198.51.100.2',
        client: '198.51.100.2',
      },
      {
        name: 'the rightmost untrusted hop is the client, not a spoofed leftmost one',
        peer: '10.1.1.1',
        xff: '6.6.6.6, 198.51.100.2, 10.9.9.9',
        client: '198.51.100.2',
      },
      {
        name: 'when every hop is trusted the leftmost is the client',
        peer: '192.168.1.1',
        xff: '10.2.2.2, 10.3.3.3',
        client: '10.2.2.2',
      },
      {
        name: 'a garbled hop ends the walk at the last believed address',
        peer: '10.1.1.1',
        xff: '198.51.100.2, not-an-ip',
        client: '10.1.1.1',
      },
      {
        name: 'a trusted IPv6 peer is believed too',
        peer: 'fd00::1',
        xff: '2001:db8::5',
        client: '2001:db8::5',
      },
      {
        name: 'a dual-stack trusted peer is believed',
        peer: '::ffff:10.0.0.3',
        xff: '198.51.100.4',
        client: '198.51.100.4',
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        assert.equal(trusted.clientIp(tc.peer, tc.xff), tc.client);
      });
    }

    it('with no trusted proxies, a spoofed X-Forwarded-For never changes the key', () => {
      const keys = new KeyExtractor(['client-ip'], new TrustedProxies([]));
      for (const spoof of ['1.1.1.1', '10.0.0.1, 2.2.2.2', 'garbage']) {
        const key = keys.keyOf(
          request({ headers: { 'x-forwarded-for': spoof }, peer: '127.0.0.1' }),
        );
        assert.equal(key?.value, '127.0.0.1');
      }
    });
  });

  describe('CIDR parsing', () => {
    const good = [
      { text: '10.0.0.0/8', parsed: { address: '10.0.0.0', prefix: 8, family: 4 } },
      { text: '127.0.0.1', parsed: { address: '127.0.0.1', prefix: 32, family: 4 } },
      { text: '::1', parsed: { address: '::1', prefix: 128, family: 6 } },
      { text: 'fd00::/8', parsed: { address: 'fd00::', prefix: 8, family: 6 } },
    ];
    for (const tc of good)
      it(`reads ${tc.text}`, () => {
        assert.deepEqual(parseCidr(tc.text), tc.parsed);
      });
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '10.0.0.0/x', '::/129', '']) {
      it(`refuses "${bad}"`, () => {
        assert.throws(() => parseCidr(bad), /CIDR|prefix/);
      });
    }
  });

  it('reads no function from paths that are not /invoke or /state', () => {
    for (const url of ['/', '/lb/status', '/invoke', '/invoke/', '/metrics'])
      assert.equal(functionOf(url), undefined, url);
  });
});
