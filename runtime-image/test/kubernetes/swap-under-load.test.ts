// Issue 6 acceptance: "Replacing a Faaslet's module under steady load loses no request and
// keeps its local state." A steady stream of `add(1)` runs while the module is replaced three
// ways: a ConfigMap with another build, a switch of the Faaslet to an inline module, and a
// burst of ConfigMap updates applied back to back.
import { strict as assert } from 'node:assert';
import { controlPlane, type SharedControlPlane } from '../support/control-plane.js';
import { call, SAMPLES } from '../support/runtime-server.js';
import {
  createNamespace,
  deleteNamespace,
  planeArgs,
  startClusterRuntime,
  waitForAnswer,
  waitUntilReady,
  type ClusterRuntime,
} from './cluster-runtime.js';
import { apply, faaslet, inline, moduleConfigMap } from './manifests.js';
import { counterV2, counterWithNonce, sha256Hex } from './modules.js';
import { SteadyLoad, type Sent } from './steady-load.js';
import { withNonce } from '../../src/bench/fixtures.js';

const CONNECTIONS = 8;
/** Answers collected between swaps, so each swap lands in a running load. */
const BETWEEN_SWAPS = 300;

function describeFailures(sent: Sent[]): string {
  const failed = sent.filter((s) => s.status !== 200);
  return `${failed.length} of ${sent.length} failed, e.g. ${JSON.stringify(failed.slice(0, 3))}`;
}

describe('replacing a Faaslet module under steady load (Kubernetes mode)', function () {
  this.timeout(180_000);
  let plane: SharedControlPlane;
  let namespace: string;
  let runtime: ClusterRuntime;

  before(async function () {
    this.timeout(15 * 60_000);
    plane = await controlPlane();
    namespace = await createNamespace(plane, 'glass-runtime-swap');
    runtime = await startClusterRuntime({ args: planeArgs(plane, namespace) });
    await waitUntilReady(runtime.base);
    await plane.kubectlOk(['apply', '-n', namespace, '-f', `${SAMPLES}/counter.yaml`]);
    await waitForAnswer(runtime.base, '/invoke/counter/get', { status: 200, text: '0' });
  });

  after(async function () {
    await runtime.glass.stop();
    await deleteNamespace(plane, namespace);
  });

  it('answers every request with 200 and keeps the counter across three kinds of swap', async function () {
    const v2 = await counterV2();
    const load = new SteadyLoad(runtime.base, '/invoke/counter/add?value=1', CONNECTIONS);
    const swaps: { name: string; from: number; to: number }[] = [];
    /** Applies, then waits until the new module answers; records when the swap ran. */
    const swap = async (
      name: string,
      change: () => Promise<void>,
      done: () => Promise<unknown>,
    ) => {
      await load.answers(BETWEEN_SWAPS);
      const from = performance.now();
      await change();
      await done();
      swaps.push({ name, from, to: performance.now() });
    };
    try {
      await swap(
        'ConfigMap → another build',
        () => apply(plane, namespace, [moduleConfigMap('counter-module', v2)]),
        () => waitForAnswer(runtime.base, '/invoke/counter/version', { status: 200, text: '2' }),
      );
      const inlined = counterWithNonce('inline');
      await swap(
        'ConfigMap → inline module',
        () => apply(plane, namespace, [faaslet('counter', inline(inlined))]),
        () => waitForAnswer(runtime.base, '/invoke/counter/version', { status: 404 }),
      );
      // Back to the ConfigMap, then five updates back to back: it must end on the last one.
      const burst = [1, 2, 3, 4, 5].map((i) =>
        i % 2 === 0 ? counterWithNonce(`burst-${i}`) : withNonce(v2, `burst-${i}`),
      );
      const last = burst.at(-1) ?? v2;
      await swap(
        'five ConfigMap updates back to back',
        async () => {
          await apply(plane, namespace, [
            faaslet('counter', { configMapRef: { name: 'counter-module', key: 'module.wasm' } }),
          ]);
          for (const bytes of burst)
            await apply(plane, namespace, [moduleConfigMap('counter-module', bytes)]);
        },
        async () => {
          const digest = `"digest":"sha256:${sha256Hex(last)}"`;
          await runtime.glass.line(new RegExp(`${digest}.*"msg":"Faaslet replaced"`), 30_000);
        },
      );
      await load.answers(BETWEEN_SWAPS);
    } finally {
      await load.stop();
    }

    const sent = load.sent;
    assert.ok(
      sent.every((s) => s.status === 200),
      describeFailures(sent),
    );
    // Each add(1) answers the new total: with nothing lost, they are exactly 1..N.
    const totals = sent.map((s) => Number(s.text)).sort((a, b) => a - b);
    assert.deepEqual(
      totals,
      totals.map((_, i) => i + 1),
    );
    assert.equal(
      (await call(runtime.base, 'GET', '/invoke/counter/get')).text,
      String(sent.length),
    );
    assert.equal((await call(runtime.base, 'GET', '/invoke/counter/version')).text, '2');

    for (const { name, from, to } of swaps) {
      const during = load.during(from, to).length;
      console.log(
        `      swap "${name}": ${during} requests in flight from apply to the new module answering (${(to - from).toFixed(0)} ms), all 200`,
      );
    }
    console.log(`      ${sent.length} requests in all, ${CONNECTIONS} connections, none failed`);
  });
});
