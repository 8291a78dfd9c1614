// Four languages, one namespace, one total: the counter guest in AssemblyScript, Go, C and
// Rust, served by two real `glass runtime` processes on one real Redis (durability: global).
import { strict as assert } from 'node:assert';
import { call, type Answer } from '../support/runtime-server.js';
import { RedisServer } from '../support/redis-server.js';
import { increment, startGlassRuntime, type GlassProcess } from '../support/global-runtimes.js';
import { LANGUAGE_COUNTERS, languageCountersOn } from '../support/language-counters.js';

const NAMESPACE = 'polyglot';
const TOTAL = 1000;

describe('the counter guest in four languages on one global namespace, two runtime processes', function () {
  this.timeout(240_000);
  let redis: RedisServer;
  let pods: GlassProcess[] = [];

  before(async function () {
    redis = await RedisServer.start();
    const faaslets = await languageCountersOn(NAMESPACE, 'global');
    pods = await Promise.all([
      startGlassRuntime(faaslets, redis.url, ['--pod-name', 'pod-a']),
      startGlassRuntime(faaslets, redis.url, ['--pod-name', 'pod-b']),
    ]);
  });
  after(async function () {
    await Promise.all(pods.map((p) => p.process.stop()));
    await redis.stop();
  });

  it('1,000 concurrent increments spread over the four languages and both pods end at exactly +1,000, serializably', async function () {
    const [a, b] = pods as [GlassProcess, GlassProcess];
    const get = await call(a.base, 'GET', '/invoke/counter-c/get');
    const before = Number(get.text);
    const answers: Answer[] = await Promise.all(
      Array.from({ length: TOTAL }, (_, i) =>
        increment(i % 2 === 0 ? a.base : b.base, LANGUAGE_COUNTERS[i % 4]!.faaslet),
      ),
    );
    const failed = answers.filter((x) => x.status !== 200);
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} increments failed`);
    // Every language reads the one total, from either pod.
    for (const { faaslet } of LANGUAGE_COUNTERS) {
      for (const pod of pods) {
        assert.equal(
          (await call(pod.base, 'GET', `/invoke/${faaslet}/get`)).text,
          `${before + TOTAL}`,
        );
      }
    }
    // Serializable: each increment committed on its own snapshot, so the answers are exactly
    // before+1 .. before+1,000, whichever language and pod answered them.
    const totals = answers.map((x) => Number(x.text)).sort((x, y) => x - y);
    assert.deepEqual(
      totals,
      Array.from({ length: TOTAL }, (_, i) => before + i + 1),
    );
  });
});
