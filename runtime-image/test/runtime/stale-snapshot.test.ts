// A guest that fails on values read at two different moments must be retried like a conflict,
// not answered 500; one that fails on a consistent snapshot is answered at once (ADR 0048).
import { strict as assert } from 'node:assert';
import { metricOf } from '../support/metrics.js';
import {
  call,
  errorOf,
  startRuntime,
  type Answer,
  type TestRuntime,
} from '../support/runtime-server.js';
import { sampleFaaslets } from '../support/sample-faaslets.js';
import { waitFor } from '../support/wait.js';

const STALE_TRAPS = 'glass_stale_snapshot_failures_total{kind="trap"}';
const EXECUTIONS = [
  'glass_invocation_lane_total{lane="main"}',
  'glass_invocation_lane_total{lane="worker"}',
];

async function put(rt: TestRuntime, key: string, value: string): Promise<void> {
  const answer = await call(rt.base, 'PUT', `/state/inv/${key}`, value);
  assert.equal(answer.status, 204, answer.text);
}

async function executions(rt: TestRuntime): Promise<number> {
  let total = 0;
  for (const series of EXECUTIONS) total += await metricOf(rt.base, series);
  return total;
}

/**
 * On a runtime with one worker: the worker's cache holds "b" but not "a"; `path` is queued
 * behind `hold` there; 20 moves from a to b meanwhile (admin writes, which the worker hears of
 * only with its next dispatch); then `hold` is released. The queued invocation fetches the new
 * "a" (30) and reads the old "b" (50) from its cache: a + b = 80, a snapshot no serial order
 * has. Answers of the queued invocation and of `hold`.
 */
async function tornRead(rt: TestRuntime, path: string, body?: string): Promise<[Answer, Answer]> {
  await put(rt, 'a', '50');
  await put(rt, 'b', '50');
  assert.equal((await call(rt.base, 'POST', '/invoke/inv/check')).text, '50');
  // A new version of "a": the worker drops its copy with its next dispatch, and keeps "b".
  await put(rt, 'a', '50');
  const fetches = await metricOf(rt.base, 'glass_state_fetches_total');
  const held = call(rt.base, 'POST', '/invoke/inv/hold');
  await waitFor(
    'hold to run on the worker',
    async () => (await metricOf(rt.base, 'glass_state_fetches_total')) > fetches + 2,
  );
  const torn = call(rt.base, 'POST', path, body);
  await waitFor(
    'the invocation to queue behind hold',
    async () => (await metricOf(rt.base, 'glass_invocations_in_flight')) === 2,
  );
  await put(rt, 'a', '30');
  await put(rt, 'b', '70');
  await put(rt, 'gate', 'open');
  return [await torn, await held];
}

const WORKER_ONLY = { workers: 1, fastLane: false, stuckMs: 60_000 } as const;

describe('a guest failing on values from two moments (local tier, worker path)', function () {
  this.timeout(30_000);
  let faaslets: string;
  before(async function () {
    faaslets = await sampleFaaslets('fixtures/invariant.yaml', [{ name: 'inv', namespace: 'inv' }]);
  });

  const cases = [
    { name: 'a trap in the guest itself', path: '/invoke/inv/check', body: undefined },
    {
      name: 'a trap after a nested call whose reads joined the caller’s',
      path: '/invoke/inv/check_via_call',
      body: 'inv',
    },
  ];
  for (const tc of cases) {
    it(`${tc.name}: is retried and answers the consistent value`, async function () {
      const rt = await startRuntime([faaslets], WORKER_ONLY);
      try {
        const [torn, held] = await tornRead(rt, tc.path, tc.body);
        assert.equal(held.status, 200, held.text);
        assert.equal(torn.status, 200, torn.text);
        assert.equal(torn.text, '30');
        assert.equal(await metricOf(rt.base, STALE_TRAPS), 1);
        assert.equal((await call(rt.base, 'GET', '/state/inv/a')).text, '30');
        assert.equal((await call(rt.base, 'GET', '/state/inv/b')).text, '70');
      } finally {
        await rt.close();
      }
    });
  }

  it('counts the retry among the bounded attempts: with one attempt allowed it answers 409', async function () {
    const rt = await startRuntime([faaslets], { ...WORKER_ONLY, maxAttempts: 1 });
    try {
      const [torn] = await tornRead(rt, '/invoke/inv/check');
      assert.equal(torn.status, 409, torn.text);
      assert.equal(errorOf(torn).code, 'conflict');
      assert.equal(await metricOf(rt.base, STALE_TRAPS), 1);
    } finally {
      await rt.close();
    }
  });
});

describe('a guest failing on a consistent snapshot', function () {
  this.timeout(30_000);
  const layouts = [
    { name: 'on the main-thread fast lane', tuning: {}, lane: 'main' },
    { name: 'on a worker', tuning: { fastLane: false }, lane: 'worker' },
  ];
  for (const layout of layouts) {
    it(`${layout.name}: answers 500 naming the trap after exactly one attempt`, async function () {
      const faaslets = await sampleFaaslets('fixtures/invariant.yaml', [
        { name: 'inv', namespace: 'inv' },
      ]);
      const rt = await startRuntime([faaslets], layout.tuning);
      try {
        await put(rt, 'a', '50');
        await put(rt, 'b', '50');
        const series = `glass_invocation_lane_total{lane="${layout.lane}"}`;
        // The lane takes a module a little after its load: wait until calls run there.
        await waitFor(`calls to run ${layout.name}`, async () => {
          assert.equal((await call(rt.base, 'POST', '/invoke/inv/check')).text, '50');
          return (await metricOf(rt.base, series)) > 0;
        });
        await put(rt, 'a', '10');
        const before = await executions(rt);
        const ranThere = await metricOf(rt.base, series);
        const answers = await Promise.all(
          Array.from({ length: 5 }, () => call(rt.base, 'POST', '/invoke/inv/check')),
        );
        for (const answer of answers) {
          assert.equal(answer.status, 500, answer.text);
          assert.equal(errorOf(answer).code, 'guest_trap');
          assert.match(errorOf(answer).message, /^trap: unreachable/);
        }
        assert.equal((await executions(rt)) - before, 5, 'a failed call ran more than once');
        assert.equal((await metricOf(rt.base, series)) - ranThere, 5);
        assert.equal(await metricOf(rt.base, STALE_TRAPS), 0);
      } finally {
        await rt.close();
      }
    });
  }
});
