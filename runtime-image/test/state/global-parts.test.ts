// The global tier's small pure parts: Redis URLs, the pod cache's chains, local idempotency
// records, and the test harness's own refusal to run without redis-server.
import { strict as assert } from 'node:assert';
import type { VersionedEntry } from '../../src/host/protocol.js';
import { LocalIdempotencyRecords } from '../../src/state/idempotency.js';
import { PodCache } from '../../src/state/pod-cache.js';
import { RedisSettings, describeEndpoint, parseRedisUrl } from '../../src/state/redis-config.js';
import { findRedisServer } from '../support/redis-server.js';

const v = (s: string): Uint8Array => new TextEncoder().encode(s);
const versionIn = (cache: PodCache, key: string): string | undefined => cache.versionOf(key);

describe('Redis settings', function () {
  const cases = [
    { url: 'redis://cache:6380/2', want: { tls: false, host: 'cache', port: 6380, db: 2 } },
    { url: 'rediss://user:p%40ss@cache', want: { tls: true, host: 'cache', port: 6379, db: 0 } },
    { url: 'redis://[::1]:7000', want: { tls: false, host: '::1', port: 7000, db: 0 } },
  ];
  for (const tc of cases) {
    it(`parses ${tc.url.replace(/:[^:@/]*@/, ':***@')}`, function () {
      const { tls, host, port, db } = parseRedisUrl(tc.url);
      assert.deepEqual({ tls, host, port, db }, tc.want);
    });
  }

  it('decodes credentials, and shows an endpoint only as host:port', function () {
    const endpoint = parseRedisUrl('rediss://user:p%40ss@cache:6390');
    assert.equal(endpoint.username, 'user');
    assert.equal(endpoint.password, 'p@ss');
    assert.equal(describeEndpoint(endpoint), 'cache:6390');
    assert.equal(describeEndpoint(parseRedisUrl('redis://[::1]:7000')), '[::1]:7000');
  });

  const refusals = [
    { input: { url: 'http://u:secret@h' }, message: /url: scheme http: is not redis: or rediss:/ },
    { input: { url: 'not a url secret' }, message: /url: not a URL/ },
    { input: { url: 'redis://h/x' }, message: /url: database "x" is not a number/ },
    {
      input: { url: 'redis://:secret@h', password: 'other' },
      message: /password: the URL already carries a password/,
    },
    {
      input: { url: 'redis://h', tlsCa: 'PEM' },
      message: /url: TLS options need a rediss:\/\/ URL/,
    },
  ];
  for (const tc of refusals) {
    it(`refuses ${JSON.stringify(Object.keys(tc.input))} with ${String(tc.message)}, never echoing a secret`, function () {
      const parsed = RedisSettings.safeParse(tc.input);
      assert.ok(!parsed.success);
      const text = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      assert.match(text, tc.message);
      assert.ok(!text.includes('secret'));
    });
  }
});

describe('the pod cache', function () {
  it('installs a commit’s writes when issued, so the next invocation chains on them', function () {
    const cache = new PodCache();
    cache.learn([['n/k', v('0'), 'r.1']], cache.issueRead());
    cache.issueCommit(['n/k'], [['n/k', v('1'), 'a.1']]);
    cache.issueCommit(['n/k'], [['n/k', v('2'), 'a.2']]);
    assert.equal(versionIn(cache, 'n/k'), 'a.2');
  });

  it('replaces a doomed chain by the value Redis sent back, and keeps a chain started after it', function () {
    const cache = new PodCache();
    cache.learn([['n/k', v('0'), 'r.1']], cache.issueRead());
    const first = cache.issueCommit(['n/k'], [['n/k', v('1'), 'a.1']]);
    cache.issueCommit(['n/k'], [['n/k', v('2'), 'a.2']]);
    const current: VersionedEntry[] = [['n/k', v('9'), 'b.9']];
    cache.refuted(first, current, new Set(['n/k']));
    assert.equal(versionIn(cache, 'n/k'), 'b.9', 'a.2 was built on a.1 and is doomed too');
    const retry = cache.issueCommit(['n/k'], [['n/k', v('10'), 'a.3']]);
    // The second doomed commit's refusal arrives later, but must not undo the new chain.
    cache.refuted({ stamp: first.stamp + 1, chains: first.chains }, current, new Set(['n/k']));
    assert.equal(versionIn(cache, 'n/k'), 'a.3');
    cache.forget(retry);
    assert.equal(versionIn(cache, 'n/k'), undefined);
  });

  it('lets an older read reply not overwrite newer knowledge', function () {
    const cache = new PodCache();
    const read = cache.issueRead();
    cache.issueCommit(['n/k'], [['n/k', v('1'), 'a.1']]);
    cache.learn([['n/k', v('0'), 'r.1']], read);
    assert.equal(versionIn(cache, 'n/k'), 'a.1');
  });
});

describe('local idempotency records', function () {
  it('replay until their TTL, then are gone', function () {
    let now = 1000;
    const records = new LocalIdempotencyRecords({ now: () => now });
    const claim = {
      key: 'k',
      namespace: 'n',
      fingerprint: 'f',
      ttlMs: 100,
      maxResponseBytes: 1024,
    };
    records.put(claim, { numeric: true, output: v('7') });
    assert.equal(records.get('n', 'k')?.fingerprint, 'f');
    assert.equal(records.get('other', 'k'), undefined);
    now += 101;
    assert.equal(records.get('n', 'k'), undefined);
    assert.equal(records.size, 0);
  });
});

describe('the redis-server test harness', function () {
  it('fails (never skips) with how to get redis-server when it is missing', function () {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.throws(
        () => findRedisServer(),
        /^Error: redis-server not found: apt-get install redis-server$/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
