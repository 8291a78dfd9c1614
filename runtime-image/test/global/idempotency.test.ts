// Idempotency-Key across runtime processes that share one real Redis.
import { strict as assert } from 'node:assert';
import { call, errorOf } from '../support/runtime-server.js';
import { RedisServer } from '../support/redis-server.js';
import {
  callWithHeaders,
  counterFaaslets,
  SHARED_GLOBAL,
  startGlassRuntime,
  type AnswerWithHeaders,
  type GlassProcess,
} from '../support/global-runtimes.js';

function incrementWithKey(pod: GlassProcess, key: string, by = '1'): Promise<AnswerWithHeaders> {
  return callWithHeaders(pod.base, 'POST', '/invoke/inc-a/add', by, { 'Idempotency-Key': key });
}

async function counterIn(pod: GlassProcess): Promise<string> {
  return (await call(pod.base, 'GET', '/state/shared/counter')).text;
}

describe('Idempotency-Key on two runtime processes sharing one real Redis', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let faaslets: string;
  let pods: GlassProcess[] = [];

  before(async function () {
    redis = await RedisServer.start({ appendOnly: true });
    faaslets = await counterFaaslets(SHARED_GLOBAL);
  });
  afterEach(async function () {
    await Promise.all(pods.map((p) => p.process.stop()));
    pods = [];
  });
  after(async function () {
    await redis.stop();
  });

  describe('with both runtimes up', function () {
    let a: GlassProcess;
    let b: GlassProcess;
    beforeEach(async function () {
      pods = await Promise.all([
        startGlassRuntime(faaslets, redis.url, ['--pod-name', 'pod-a']),
        startGlassRuntime(faaslets, redis.url, ['--pod-name', 'pod-b']),
      ]);
      [a, b] = pods as [GlassProcess, GlassProcess];
      await call(a.base, 'PUT', '/state/shared/counter', '100');
    });

    it('a request retried five times, two of them on the other runtime, takes effect once', async function () {
      const answers: AnswerWithHeaders[] = [];
      for (const pod of [a, a, b, a, b, a]) answers.push(await incrementWithKey(pod, 'order-17'));
      for (const answer of answers) {
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.text, '101');
      }
      assert.equal(answers[0]?.headers.get('idempotent-replayed'), null);
      assert.deepEqual(
        answers
          .slice(1)
          .map((x) => [x.headers.get('x-glass-pod'), x.headers.get('idempotent-replayed')]),
        [
          ['pod-a', 'true'],
          ['pod-b', 'true'],
          ['pod-a', 'true'],
          ['pod-b', 'true'],
          ['pod-a', 'true'],
        ],
      );
      assert.equal(await counterIn(b), '101');
      // Another key is another request.
      assert.equal((await incrementWithKey(b, 'order-18')).text, '102');
    });

    it('concurrent requests with one key on both runtimes apply once and all answer the same', async function () {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => incrementWithKey(i % 2 === 0 ? a : b, 'race-1')),
      );
      assert.deepEqual(new Set(answers.map((x) => `${x.status} ${x.text}`)), new Set(['200 101']));
      assert.equal(await counterIn(a), '101');
      assert.ok(answers.filter((x) => x.headers.get('idempotent-replayed') === 'true').length >= 9);
    });

    it('refuses a key reused for a different request (422), applying nothing', async function () {
      assert.equal((await incrementWithKey(a, 'reused', '1')).text, '101');
      const reused = await incrementWithKey(b, 'reused', '5');
      assert.equal(reused.status, 422);
      assert.equal(errorOf(reused).code, 'idempotency_key_reused');
      assert.equal(await counterIn(a), '101');
    });

    it('does not store failures: a request that failed may be retried with its key', async function () {
      const bad = await callWithHeaders(a.base, 'POST', '/invoke/inc-a/add', 'not-a-number', {
        'Idempotency-Key': 'after-400',
      });
      assert.equal(bad.status, 400);
      assert.equal((await incrementWithKey(b, 'after-400')).text, '101');
    });

    it('rejects a malformed key with 400', async function () {
      const answer = await incrementWithKey(a, 'x'.repeat(256));
      assert.equal(answer.status, 400);
      assert.match(errorOf(answer).message, /Idempotency-Key must be 1 to 255 visible ASCII/);
    });
  });

  it('takes effect once when the runtime dies after committing and before answering', async function () {
    const [a, b] = await Promise.all([
      // TEST ONLY flag: pod a SIGKILLs itself right after Redis acknowledged this key's commit.
      startGlassRuntime(faaslets, redis.url, ['--test-crash-after-commit-of', 'pay-42']),
      startGlassRuntime(faaslets, redis.url),
    ]);
    pods = [a, b];
    await call(b.base, 'PUT', '/state/shared/counter', '100');
    const lost = await incrementWithKey(a, 'pay-42').catch((error: unknown) => error as Error);
    assert.ok(lost instanceof Error, 'the first runtime should have died before answering');
    assert.equal(await a.process.exited, null, 'killed by a signal');
    assert.equal(a.process.child.signalCode, 'SIGKILL');
    // The commit reached Redis: the retry on the surviving runtime replays its answer.
    const retried = await incrementWithKey(b, 'pay-42');
    assert.equal(retried.status, 200);
    assert.equal(retried.text, '101');
    assert.equal(retried.headers.get('idempotent-replayed'), 'true');
    assert.equal((await incrementWithKey(b, 'pay-42')).text, '101');
    assert.equal(await counterIn(b), '101');
  });
});
