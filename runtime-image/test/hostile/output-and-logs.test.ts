import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { Faaslet } from '@glass/crds';
import { GuestExecutor } from '../../src/host/executor.js';
import { MainThreadView } from '../../src/host/main-thread-view.js';
import { compileFaaslet } from '../../src/runtime/compile-faaslet.js';
import { LocalTier } from '../../src/state/local-tier.js';
import { fixtureFaaslets } from '../support/fixture-faaslets.js';
import {
  call,
  errorOf,
  REPO_ROOT,
  startRuntime,
  type TestRuntime,
} from '../support/runtime-server.js';

describe('guest output and log budgets', function () {
  describe('on a runtime', function () {
    let rt: TestRuntime;
    before(async function () {
      const fixtures = await fixtureFaaslets([{ name: 'shout', spec: '  abi: wasi-command\n' }]);
      rt = await startRuntime([fixtures, `${REPO_ROOT}crds/samples/counter.yaml`]);
    });
    after(async function () {
      await rt.close();
    });

    it('traps a WASI command writing 64 MiB to stdout at the 16 MiB output cap, and a normal call succeeds', async function () {
      const [shout, normal] = await Promise.all([
        call(rt.base, 'POST', '/invoke/shout/_start'),
        call(rt.base, 'GET', '/invoke/counter/get'),
      ]);
      assert.equal(shout.status, 500, `${shout.status}, ${shout.text.length} bytes`);
      assert.equal(errorOf(shout).code, 'guest_trap');
      assert.match(errorOf(shout).message, /output over 16777216 bytes \(stdout and stderr\)/);
      assert.equal(normal.status, 200);
    });
  });

  it('gives one invocation one log budget, however many nested calls log', async function () {
    const bytes = await readFile(`${REPO_ROOT}guests/build/chatty.wasm`);
    const faaslet = Faaslet.parse({
      apiVersion: 'glass.dev/v1alpha1',
      kind: 'Faaslet',
      metadata: { name: 'chatty' },
      spec: { module: { inline: bytes.toString('base64') } },
    });
    const definition = await compileFaaslet(faaslet, bytes);
    // The executor a worker runs (no fuel, no clock), so only the log budget can cut the logs.
    const store = new LocalTier();
    const executor = new GuestExecutor(new MainThreadView('test.w', (key) => store.peek(key)));
    await executor.load(definition);
    const outcome = executor.invoke({
      type: 'invoke',
      id: 1,
      faaslet: 'chatty',
      revision: definition.revision,
      export: 'run',
      input: new Uint8Array(0),
      args: [],
      namespace: definition.namespace.text,
      invalidate: [],
      clearCache: false,
    });
    assert.ok(outcome.type === 'done', `expected done, got ${outcome.type}`);
    // 20 nested calls log 100 lines each: without one budget that is 2,000 entries.
    assert.equal(outcome.logs.length, 100);
  });
});
