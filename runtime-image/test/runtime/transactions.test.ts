import { strict as assert } from 'node:assert';
import { counterFaaslets } from '../support/counter-faaslets.js';
import { call, startRuntime, type TestRuntime } from '../support/runtime-server.js';

const SHARED = [
  { name: 'inc-a', namespace: 'shared' },
  { name: 'inc-b', namespace: 'shared' },
  { name: 'inc-c', namespace: 'shared' },
];

function conflictsOf(metrics: string): number {
  return Number(/glass_state_commits_total\{result="conflict"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

async function incrementConcurrently(rt: TestRuntime, count: number): Promise<number[]> {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      call(rt.base, 'POST', `/invoke/${SHARED[i % 3]?.name ?? ''}/add`, '1'),
    ),
  );
  for (const answer of answers) assert.equal(answer.status, 200, answer.text);
  return answers.map((a) => Number(a.text));
}

const layouts = [
  { name: 'with the default pool (the namespace stays on one worker)', tuning: {} },
  {
    name: 'on workers only, three of them with a window of one (the namespace is spread, so transactions conflict)',
    tuning: { workers: 3, window: 1, fastLane: false },
  },
];

describe('transactions on the local tier', function () {
  for (const layout of layouts) {
    describe(layout.name, function () {
      let rt: TestRuntime;
      before(async function () {
        rt = await startRuntime([await counterFaaslets(SHARED)], layout.tuning);
      });
      after(async function () {
        await rt.close();
      });

      it('1,000 concurrent increments over three Faaslets sharing a namespace end at exactly +1,000', async function () {
        await call(rt.base, 'PUT', '/state/shared/counter', '0');
        const seen = await incrementConcurrently(rt, 1000);
        assert.equal((await call(rt.base, 'GET', '/state/shared/counter')).text, '1000');
        // Serializable: each increment saw a different snapshot, so the answers are exactly 1..1000.
        assert.deepEqual(
          [...seen].sort((a, b) => a - b),
          Array.from({ length: 1000 }, (_, i) => i + 1),
        );
      });

      if (layout.tuning.window === 1) {
        it('did go through conflicts and retries to get there', async function () {
          const metrics = (await call(rt.base, 'GET', '/metrics')).text;
          assert.ok(
            conflictsOf(metrics) > 0,
            'no conflict happened: the test did not exercise retries',
          );
        });
      }
    });
  }

  it('lets two Faaslets naming the same namespace share keys, and keeps other namespaces apart', async function () {
    const rt = await startRuntime([
      await counterFaaslets([...SHARED, { name: 'elsewhere', namespace: 'other' }]),
    ]);
    try {
      await call(rt.base, 'POST', '/invoke/inc-a/add', '7');
      assert.equal((await call(rt.base, 'POST', '/invoke/inc-b/get')).text, '7');
      assert.equal((await call(rt.base, 'POST', '/invoke/elsewhere/get')).text, '0');
      await call(rt.base, 'POST', '/invoke/elsewhere/add', '2');
      assert.equal((await call(rt.base, 'POST', '/invoke/inc-c/get')).text, '7');
    } finally {
      await rt.close();
    }
  });

  it('sees admin writes in the next invocation on every worker', async function () {
    const rt = await startRuntime([await counterFaaslets(SHARED)], {
      workers: 3,
      window: 1,
      fastLane: false,
    });
    try {
      await Promise.all(
        Array.from({ length: 30 }, () => call(rt.base, 'POST', '/invoke/inc-a/get')),
      );
      await call(rt.base, 'PUT', '/state/shared/counter', '500');
      const reads = await Promise.all(
        Array.from({ length: 30 }, () => call(rt.base, 'POST', '/invoke/inc-b/get')),
      );
      assert.deepEqual(new Set(reads.map((r) => r.text)), new Set(['500']));
    } finally {
      await rt.close();
    }
  });

  it('refuses a Faaslet whose durability disagrees with its namespace, and serves the rest', async function () {
    const rt = await startRuntime([
      await counterFaaslets([
        { name: 'local-one', namespace: 'mixed' },
        { name: 'global-one', namespace: 'mixed', durability: 'global' },
      ]),
    ]);
    try {
      const [problem] = rt.problems;
      assert.equal(rt.problems.length, 1);
      assert.ok(problem);
      assert.equal(problem.name, 'global-one');
      assert.match(problem.message, /namespace mixed is already local/);
      assert.equal((await call(rt.base, 'POST', '/invoke/local-one/add', '1')).text, '1');
    } finally {
      await rt.close();
    }
  });
});
