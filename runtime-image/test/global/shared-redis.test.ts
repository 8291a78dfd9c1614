// The global tier's acceptance: real `glass runtime` processes sharing one real redis-server.
import { strict as assert } from 'node:assert';
import { setTimeout as delay } from 'node:timers/promises';
import { call, errorOf, type Answer } from '../support/runtime-server.js';
import { RedisServer } from '../support/redis-server.js';
import {
  boundedLoad,
  counterFaaslets,
  increment,
  SHARED_GLOBAL,
  startGlassRuntime,
  type GlassProcess,
} from '../support/global-runtimes.js';
import { waitFor } from '../support/wait.js';

const IN_FLIGHT = 64;

/** The values the 200 answers returned, sorted: each is the total its increment committed. */
function acknowledged(answers: Answer[]): number[] {
  return answers
    .filter((a) => a.status === 200)
    .map((a) => Number(a.text))
    .sort((a, b) => a - b);
}

async function counterIn(pod: GlassProcess): Promise<number> {
  const answer = await call(pod.base, 'GET', '/state/shared/counter');
  assert.equal(answer.status, 200, answer.text);
  return Number(answer.text);
}

/**
 * Every acknowledged increment is in Redis. Each increment adds exactly 1 and answers the
 * total it committed, so the acknowledged totals are distinct and none is above the final
 * value; were an acknowledged write lost, the counter would have gone back and a later
 * increment would have answered a total already answered (or the final would be below one).
 * The final value may exceed the 200s by increments that committed but were never answered.
 */
function assertAllAcknowledgedPresent(answers: Answer[], final: number): void {
  const values = acknowledged(answers);
  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  console.log(
    `      ${answers.length} calls, by status ${JSON.stringify(Object.fromEntries(statuses))}; ` +
      `${values.length} acknowledged, final value ${final}`,
  );
  assert.equal(new Set(values).size, values.length, 'two increments answered the same total');
  assert.ok(values.length > 0, 'no increment was acknowledged');
  assert.ok((values.at(-1) ?? 0) <= final, `an answered total ${values.at(-1)} > final ${final}`);
  assert.ok(final >= values.length, `final ${final} < ${values.length} acknowledged increments`);
  const unanswered = answers.length - values.length;
  assert.ok(final <= values.length + unanswered, 'more increments applied than were sent');
}

describe('two runtime processes sharing one real Redis (durability: global)', function () {
  this.timeout(240_000);
  let redis: RedisServer;
  let pods: GlassProcess[] = [];
  let faaslets: string;

  before(async function () {
    redis = await RedisServer.start({ appendOnly: true });
    faaslets = await counterFaaslets(SHARED_GLOBAL);
  });
  beforeEach(async function () {
    pods = await Promise.all([
      startGlassRuntime(faaslets, redis.url, ['--pod-name', 'pod-a']),
      startGlassRuntime(faaslets, redis.url, ['--pod-name', 'pod-b']),
    ]);
    assert.equal((await call(pods[0]!.base, 'PUT', '/state/shared/counter', '0')).status, 204);
  });
  afterEach(async function () {
    await Promise.all(pods.map((p) => p.process.stop()));
  });
  after(async function () {
    await redis.stop();
  });

  it('10,000 concurrent increments over both pods and three Faaslets end at exactly +10,000, serializably', async function () {
    const [a, b] = pods as [GlassProcess, GlassProcess];
    const total = 10_000;
    const answers = await boundedLoad(total, IN_FLIGHT, (i) =>
      increment(i % 2 === 0 ? a.base : b.base, SHARED_GLOBAL[i % 3]!.name),
    );
    const failed = answers.filter((x) => x.status !== 200);
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} increments failed`);
    assert.equal(await counterIn(a), total);
    assert.equal(await counterIn(b), total);
    // Serializable: every increment committed on a different snapshot, so the answers are
    // exactly 1..10,000, whichever pod and Faaslet answered them.
    assert.deepEqual(
      acknowledged(answers),
      Array.from({ length: total }, (_, i) => i + 1),
    );
  });

  it('kill -9 of one runtime mid-load loses no increment it answered 200', async function () {
    const [a, b] = pods as [GlassProcess, GlassProcess];
    let answered = 0;
    const load = boundedLoad(4000, IN_FLIGHT, async (i) => {
      const answer = await increment(i % 2 === 0 ? a.base : b.base, SHARED_GLOBAL[i % 3]!.name);
      answered++;
      return answer;
    });
    await waitFor('1,000 answers before the kill', () => answered >= 1000, 60_000);
    await b.process.stop();
    const answers = await load;
    const fromB = answers.filter((x, i) => i % 2 === 1);
    assert.ok(
      fromB.some((x) => x.status === 200) && fromB.some((x) => x.status !== 200),
      'pod b should have answered some increments before it died, and none after',
    );
    assert.ok(answers.filter((x, i) => i % 2 === 0).every((x) => x.status === 200));
    assertAllAcknowledgedPresent(answers, await counterIn(a));
  });

  it('a Redis kill -9 and AOF restart mid-load answers 503 meanwhile, recovers without restarting the runtimes, and loses no acknowledged write', async function () {
    const [a, b] = pods as [GlassProcess, GlassProcess];
    const pids = pods.map((p) => p.process.child.pid);
    let answered = 0;
    let unavailable = 0;
    const load = boundedLoad(5000, IN_FLIGHT, async (i) => {
      const answer = await increment(i % 2 === 0 ? a.base : b.base, SHARED_GLOBAL[i % 3]!.name);
      answered++;
      if (answer.status === 503) {
        unavailable++;
        // Like a client that backs off a little on 503, so the outage spans many calls.
        await delay(20);
      }
      return answer;
    });
    await waitFor('1,000 answers before Redis dies', () => answered >= 1000, 60_000);
    await redis.kill();
    await waitFor('503s from both pods', () => unavailable >= 2 * IN_FLIGHT, 30_000);
    const down = await call(a.base, 'GET', '/ready');
    await redis.restart();
    const answers = await load;

    assert.equal(down.status, 503, down.text);
    assert.match(down.text, /Redis at 127\.0\.0\.1:\d+/);
    const outage = answers.filter((x) => x.status === 503);
    assert.ok(outage.length > 0);
    for (const answer of outage) {
      const error = errorOf(answer);
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /global state is unavailable: Redis at 127\.0\.0\.1:\d+/);
    }
    assert.deepEqual(
      answers.filter((x) => x.status !== 200 && x.status !== 503),
      [],
      'only 200s and 503s',
    );
    // Recovered by itself: the same processes answer 200 again, and say they are ready.
    assert.deepEqual(
      pods.map((p) => p.process.child.pid),
      pids,
    );
    assert.equal(answers.at(-1)?.status, 200);
    assert.equal((await call(b.base, 'GET', '/ready')).status, 200);
    assert.equal((await increment(b.base, 'inc-b')).status, 200);
    assertAllAcknowledgedPresent(answers, (await counterIn(a)) - 1);
  });

  it("pod A caches a key, pod B updates it, and A's next increment is still correct", async function () {
    const [a, b] = pods as [GlassProcess, GlassProcess];
    // A reads and writes the counter: its pod cache and its guests' caches now hold it.
    assert.equal((await increment(a.base, 'inc-a')).text, '1');
    assert.equal((await call(a.base, 'POST', '/invoke/inc-a/get')).text, '1');
    for (let i = 2; i <= 6; i++) assert.equal((await increment(b.base, 'inc-b')).text, String(i));
    // A's copy says 1; the commit finds the version stale, refreshes, and retries.
    assert.equal((await increment(a.base, 'inc-c')).text, '7');
    assert.equal((await call(a.base, 'POST', '/invoke/inc-a/get')).text, '7');
    assert.equal(await counterIn(b), 7);
  });
});
