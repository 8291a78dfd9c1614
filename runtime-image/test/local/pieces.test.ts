// The pure parts of `glass up`: flags, restart backoff, curl lines.
import assert from 'node:assert/strict';
import { UpFlags } from '../../src/local/config.js';
import { curlLine, SAMPLE_LINES } from '../../src/local/samples.js';
import { DEFAULT_BACKOFF, restartDelay } from '../../src/local/supervisor.js';
import { parseConfig } from '../../src/router/config.js';

describe('glass up pieces', () => {
  describe('restart backoff (200 ms doubling, capped at 10 s)', () => {
    const cases = [
      { crashes: 1, delay: 200 },
      { crashes: 2, delay: 400 },
      { crashes: 3, delay: 800 },
      { crashes: 6, delay: 6400 },
      { crashes: 7, delay: 10_000 },
      { crashes: 50, delay: 10_000 },
    ];
    for (const tc of cases) {
      it(`waits ${tc.delay} ms before restart number ${tc.crashes} of a child that keeps dying`, () => {
        assert.equal(restartDelay(tc.crashes, DEFAULT_BACKOFF), tc.delay);
      });
    }
  });

  describe('flags', () => {
    it('default to 3 runtimes and a router on 127.0.0.1:8080 with the local tier only', () => {
      const flags = parseConfig(UpFlags, {});
      assert.deepEqual(
        [flags.runtimes, flags.host, flags.port, flags.redis, flags.faaslets, flags.virtualNodes],
        [3, '127.0.0.1', 8080, undefined, [], 150],
      );
      assert.ok(Object.isFrozen(flags));
    });

    const bad = [
      { name: 'refuse zero runtimes', raw: { runtimes: '0' }, message: /--runtimes/ },
      {
        name: 'refuse a Redis URL that is not redis://',
        raw: { redis: 'http://x' },
        message: /--redis: must be a redis:\/\//,
      },
      {
        name: 'refuse an unknown log level',
        raw: { runtimeLogLevel: 'loud' },
        message: /--runtime-log-level/,
      },
    ];
    for (const tc of bad)
      it(tc.name, () => {
        assert.throws(() => parseConfig(UpFlags, tc.raw), tc.message);
      });
  });

  describe('curl lines', () => {
    const cases = [
      {
        name: 'a GET with a query is quoted for the shell',
        line: { method: 'GET' as const, path: '/invoke/add?value=10' },
        text: "curl 'localhost:8080/invoke/add?value=10'",
      },
      {
        name: 'a POST carries its headers and body, quoted',
        line: {
          method: 'POST' as const,
          path: '/invoke/kv/put',
          headers: { 'X-User-ID': 'alice' },
          body: `{"k":"it's"}`,
        },
        text: `curl -X POST -H 'X-User-ID: alice' -d '{"k":"it'\\''s"}' localhost:8080/invoke/kv/put`,
      },
    ];
    for (const tc of cases)
      it(tc.name, () => {
        assert.equal(curlLine('localhost:8080', tc.line), tc.text);
      });

    it('start with the classic add of the first acceptance line of issue 4', () => {
      const [first] = SAMPLE_LINES;
      assert.ok(first);
      assert.equal(first.method, 'GET');
      assert.equal(first.path, '/invoke/add?value=10');
    });

    it("try the add with a read-only probe, so the user's first add still answers 10", () => {
      assert.deepEqual(SAMPLE_LINES[0]?.probe, {
        path: '/invoke/counter/get',
        says: '10, then 20, ...',
      });
      for (const line of SAMPLE_LINES.filter((l) => l.probe))
        assert.equal(line.probe?.path.startsWith('/invoke/counter/get'), true);
    });
  });
});
