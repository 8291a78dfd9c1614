// A Redis outage seen from one runtime: global work answers 503 fast, local work goes on,
// /ready says why, and everything comes back by itself.
import { strict as assert } from 'node:assert';
import { createLogger } from '../../src/logger.js';
import { serveRuntime, type RunningRuntime } from '../../src/runtime/serve.js';
import { RedisSettings } from '../../src/state/redis-config.js';
import { counterFaaslets, increment } from '../support/global-runtimes.js';
import { RedisServer } from '../support/redis-server.js';
import { call, errorOf } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';

describe('a Redis outage', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let running: RunningRuntime;
  let base: string;

  before(async function () {
    redis = await RedisServer.start({ appendOnly: true });
    const faaslets = await counterFaaslets([
      { name: 'remote', namespace: 'remote', durability: 'global' },
      { name: 'nearby', namespace: 'nearby', durability: 'local' },
    ]);
    running = await serveRuntime(
      {
        port: 0,
        host: '127.0.0.1',
        faaslets: [faaslets],
        workers: 2,
        maxBodyBytes: 1024 * 1024,
        logLevel: 'silent',
        redis: RedisSettings.parse({ url: redis.url, commandTimeoutMs: 500 }),
      },
      createLogger('silent', 'outage-test'),
    );
    base = `http://127.0.0.1:${running.port}`;
    assert.equal((await increment(base, 'remote')).text, '1');
    assert.equal((await increment(base, 'nearby')).text, '1');
    await redis.kill();
    await waitFor(
      'the runtime to notice',
      async () => (await call(base, 'GET', '/ready')).status === 503,
    );
  });
  after(async function () {
    await running.close();
    await redis.stop();
  });

  it('answers global invocations 503 unavailable at once, naming Redis by host:port', async function () {
    const answers = await Promise.all(Array.from({ length: 20 }, () => increment(base, 'remote')));
    for (const answer of answers) {
      assert.equal(answer.status, 503);
      const error = errorOf(answer);
      assert.equal(error.code, 'unavailable');
      assert.match(
        error.message,
        new RegExp(`^global state is unavailable: Redis at 127\\.0\\.0\\.1:${redis.port}: `),
      );
      // Refused before running the guest, not after a command timeout.
      assert.ok(answer.ms < 500, `took ${answer.ms} ms`);
    }
  });

  it('keeps serving local-durability invocations', async function () {
    assert.equal((await increment(base, 'nearby')).text, '2');
    assert.equal((await call(base, 'GET', '/state/nearby/counter')).text, '2');
  });

  it('says why in /ready, and /ready?tier=local (what a router probes) stays ready', async function () {
    const ready = await call(base, 'GET', '/ready');
    assert.equal(ready.status, 503);
    const body = JSON.parse(ready.text) as { ready: boolean; reason: string };
    assert.equal(body.ready, false);
    assert.match(
      body.reason,
      new RegExp(`^global state: Redis at 127\\.0\\.0\\.1:${redis.port}: `),
    );
    assert.equal((await call(base, 'GET', '/ready?tier=local')).status, 200);
    assert.match((await call(base, 'GET', '/metrics')).text, /^glass_global_state_up 0$/m);
  });

  it('answers the admin API for global keys 503 too', async function () {
    assert.equal((await call(base, 'GET', '/state/remote/counter')).status, 503);
  });

  it('recovers by itself when Redis is back, with the acknowledged value', async function () {
    await redis.restart();
    await waitFor('ready again', async () => (await call(base, 'GET', '/ready')).status === 200);
    assert.equal((await increment(base, 'remote')).text, '2');
    assert.match((await call(base, 'GET', '/metrics')).text, /^glass_global_state_up 1$/m);
  });
});
