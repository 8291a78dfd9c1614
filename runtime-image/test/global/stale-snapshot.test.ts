// Two pods on one real Redis: pod A's copy of a global key is stale after pod B moved values,
// and a guest on A traps on the torn snapshot. Redis itself, not A's copy, decides that the
// snapshot was stale: the trap is retried and answers the consistent value; a Redis that hangs
// meanwhile makes the answer 503, never 500 (ADR 0048).
import { strict as assert } from 'node:assert';
import { RedisSettings } from '../../src/state/redis-config.js';
import { metricOf } from '../support/metrics.js';
import { RedisServer } from '../support/redis-server.js';
import { call, errorOf, startRuntime, type TestRuntime } from '../support/runtime-server.js';
import { sampleFaaslets } from '../support/sample-faaslets.js';
import { waitFor } from '../support/wait.js';

const STALE_TRAPS = 'glass_stale_snapshot_failures_total{kind="trap"}';
const ON_MAIN = 'glass_invocation_lane_total{lane="main"}';
const ON_WORKER = 'glass_invocation_lane_total{lane="worker"}';
/** One Faaslet (and namespace) per scenario, so they share two pods but no keys. */
const SCENARIOS = ['on-worker', 'on-lane', 'frozen', 'broken'];

async function put(pod: TestRuntime, key: string, value: string): Promise<void> {
  const answer = await call(pod.base, 'PUT', `/state/${key}`, value);
  assert.equal(answer.status, 204, answer.text);
}

/** Reads a key through the admin API, which leaves its value in the pod's copy of Redis. */
async function cache(pod: TestRuntime, key: string, expected: string): Promise<void> {
  assert.equal((await call(pod.base, 'GET', `/state/${key}`)).text, expected);
}

async function executions(pod: TestRuntime): Promise<number> {
  return (await metricOf(pod.base, ON_MAIN)) + (await metricOf(pod.base, ON_WORKER));
}

describe('a guest failing on a stale pod copy of a global key (two pods, one real Redis)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let podA: TestRuntime;
  let podB: TestRuntime;

  before(async function () {
    redis = await RedisServer.start();
    const faaslets = await sampleFaaslets(
      'fixtures/invariant.yaml',
      SCENARIOS.map((name) => ({ name, namespace: name, durability: 'global' as const })),
    );
    const settings = RedisSettings.parse({ url: redis.url, commandTimeoutMs: 500 });
    [podA, podB] = await Promise.all([
      startRuntime([faaslets], { redis: settings }),
      startRuntime([faaslets], { redis: settings }),
    ]);
  });
  after(async function () {
    redis.thaw();
    await Promise.all([podA.close(), podB.close()]);
    await redis.stop();
  });

  /** B writes a = b = 50; A copies b; B moves 20 from a to b: A's b says 50, Redis's 70. */
  async function staleCopyOfB(ns: string): Promise<void> {
    await put(podB, `${ns}/a`, '50');
    await put(podB, `${ns}/b`, '50');
    await cache(podA, `${ns}/b`, '50');
    assert.equal((await call(podB.base, 'POST', `/invoke/${ns}/transfer`, '20')).text, '30');
  }

  it('on a worker: a fetched from Redis, b from the stale copy; retried, answers 30', async function () {
    await staleCopyOfB('on-worker');
    const staleTraps = await metricOf(podA.base, STALE_TRAPS);
    const answer = await call(podA.base, 'POST', '/invoke/on-worker/check');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, '30');
    assert.equal((await metricOf(podA.base, STALE_TRAPS)) - staleTraps, 1);
  });

  it('on the fast lane: both from the pod’s copy, b stale; retried there, answers 30', async function () {
    await put(podB, 'on-lane/a', '50');
    await put(podB, 'on-lane/b', '50');
    // The lane takes a module a little after its load; until then calls run on workers.
    await waitFor('calls to run on the fast lane', async () => {
      assert.equal((await call(podA.base, 'POST', '/invoke/on-lane/check')).text, '50');
      return (await metricOf(podA.base, ON_MAIN)) > 0;
    });
    assert.equal((await call(podB.base, 'POST', '/invoke/on-lane/transfer', '20')).text, '30');
    await cache(podA, 'on-lane/a', '30');
    const [staleTraps, onMain] = [
      await metricOf(podA.base, STALE_TRAPS),
      await metricOf(podA.base, ON_MAIN),
    ];
    const answer = await call(podA.base, 'POST', '/invoke/on-lane/check');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, '30');
    assert.equal((await metricOf(podA.base, STALE_TRAPS)) - staleTraps, 1);
    assert.equal((await metricOf(podA.base, ON_MAIN)) - onMain, 2, 'trap, then retry, on the lane');
  });

  it('answers 503 when Redis hangs while the failure is checked, and 30 once it is back', async function () {
    await staleCopyOfB('frozen');
    await cache(podA, 'frozen/a', '30');
    const staleTraps = await metricOf(podA.base, STALE_TRAPS);
    redis.freeze();
    let answer;
    try {
      answer = await call(podA.base, 'POST', '/invoke/frozen/check');
    } finally {
      redis.thaw();
    }
    assert.equal(answer.status, 503, answer.text);
    assert.equal(errorOf(answer).code, 'unavailable');
    assert.match(errorOf(answer).message, new RegExp(`Redis at 127\\.0\\.0\\.1:${redis.port}: `));
    assert.equal(await metricOf(podA.base, STALE_TRAPS), staleTraps, 'nothing was excused');
    await waitFor(
      'pod A to take global work again',
      async () => (await call(podA.base, 'GET', '/ready')).status === 200,
    );
    const after = await call(podA.base, 'POST', '/invoke/frozen/check');
    assert.equal(after.status, 200, after.text);
    assert.equal(after.text, '30');
  });

  it('answers a trap on a snapshot Redis confirms with 500, after one attempt', async function () {
    await put(podB, 'broken/a', '10');
    await put(podB, 'broken/b', '10');
    const [staleTraps, before] = [await metricOf(podA.base, STALE_TRAPS), await executions(podA)];
    const answer = await call(podA.base, 'POST', '/invoke/broken/check');
    assert.equal(answer.status, 500, answer.text);
    assert.equal(errorOf(answer).code, 'guest_trap');
    assert.match(errorOf(answer).message, /^trap: unreachable/);
    assert.equal((await executions(podA)) - before, 1);
    assert.equal(await metricOf(podA.base, STALE_TRAPS), staleTraps);
  });
});
