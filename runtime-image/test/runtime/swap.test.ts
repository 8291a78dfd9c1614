// Replacing and unloading a Faaslet inside one runtime (no Kubernetes): what runs finishes on
// the module it started on, what comes after runs the new one, the state stays, and
// overlapping loads end on the one started last.
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { API_VERSION, FAASLET_KIND, Faaslet } from '@glass/crds';
import { FastLane } from '../../src/host/fast-lane.js';
import { MainThreadView } from '../../src/host/main-thread-view.js';
import type { FaasletDefinition } from '../../src/host/protocol.js';
import { createLogger } from '../../src/logger.js';
import { compileFaasletKeepingBytes } from '../../src/runtime/compile-faaslet.js';
import { GlassRuntime } from '../../src/runtime/glass-runtime.js';
import { SupersededLoadError } from '../../src/runtime/latest-loads.js';
import { LocalTier } from '../../src/state/local-tier.js';
import { REPO_ROOT } from '../support/runtime-server.js';
import { watToWasm } from '../support/wat.js';

/** Spins `n` times, adds 1 to `counter`, answers VERSION; `get` reads the counter. */
function busyCounter(version: number): Promise<Uint8Array> {
  return watToWasm(
    `busy-v${version}.wat`,
    `(module
      (import "glass" "state_increment" (func $increment (param i32 i32 i64) (result i64)))
      (memory (export "memory") 1)
      (data (i32.const 0) "counter")
      (func (export "busy") (param $n i32) (result i32) (local $i i32)
        (block $done
          (loop $again
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $again)))
        (drop (call $increment (i32.const 0) (i32.const 7) (i64.const 1)))
        (i32.const ${version}))
      (func (export "get") (result i32)
        (i32.wrap_i64 (call $increment (i32.const 0) (i32.const 7) (i64.const 0)))))`,
  );
}

function faasletOf(name: string, bytes: Uint8Array): Faaslet {
  return Faaslet.parse({
    apiVersion: API_VERSION,
    kind: FAASLET_KIND,
    metadata: { name },
    spec: { module: { inline: Buffer.from(bytes).toString('base64') }, limits: { timeout: '30s' } },
  });
}

/** Long enough on a worker (≈0.3–1.5 s, by V8 tier) for a swap to land while it runs. */
const LONG_SPIN = '300000000';
const decoder = new TextDecoder();

describe('replacing a Faaslet in a running runtime', function () {
  this.timeout(30_000);
  let runtime: GlassRuntime;
  let v1: Uint8Array;
  let v2: Uint8Array;

  before(async function () {
    [v1, v2] = await Promise.all([busyCounter(1), busyCounter(2)]);
  });

  beforeEach(async function () {
    runtime = new GlassRuntime({ workers: 2, log: createLogger('silent', 'swap-test') });
    await runtime.start();
    runtime.ready = true;
  });

  afterEach(async function () {
    await runtime.close();
  });

  async function invoke(name: string, exportName: string, args: string[] = []): Promise<string> {
    const target = runtime.registry.resolve(name, exportName);
    const result = await runtime.invoker.invoke(target, new Uint8Array(0), args);
    return decoder.decode(result.output);
  }

  it('lets an invocation running at the swap finish on the old module, runs later ones on the new one, and keeps the state', async function () {
    const old = await runtime.loadFaaslet(faasletOf('busy', v1), v1);
    let settled = false;
    const running = invoke('busy', 'busy', [LONG_SPIN]).finally(() => (settled = true));
    const next = await runtime.loadFaaslet(faasletOf('busy', v2), v2);
    assert.equal(settled, false, 'the long invocation ended before the swap: nothing was tested');
    assert.deepEqual(runtime.pool.loadedRevisions('busy'), [old.revision, next.revision]);
    assert.equal(await invoke('busy', 'busy', ['0']), '2');
    assert.equal(await running, '1');
    assert.equal(await invoke('busy', 'get'), '2', 'both increments are in the state');
    // Its last invocation done, the old module leaves the workers.
    assert.deepEqual(runtime.pool.loadedRevisions('busy'), [next.revision]);
  });

  it('lets an invocation running at the unload finish; later calls answer 404', async function () {
    await runtime.loadFaaslet(faasletOf('busy', v1), v1);
    const target = runtime.registry.resolve('busy', 'busy');
    let settled = false;
    const running = invoke('busy', 'busy', [LONG_SPIN]).finally(() => (settled = true));
    assert.equal(runtime.unloadFaaslet('busy'), true);
    assert.equal(settled, false, 'the long invocation ended before the unload: nothing was tested');
    assert.throws(() => runtime.registry.resolve('busy', 'busy'), { status: 404 });
    // Resolved before the unload but not started: it finds the Faaslet gone.
    await assert.rejects(async () => runtime.invoker.invoke(target, new Uint8Array(0), ['0']), {
      status: 404,
    });
    assert.equal(await running, '1');
    assert.equal(
      decoder.decode((await runtime.readState('busy/counter')) ?? new Uint8Array()),
      '1',
    );
  });

  for (const order of ['big first', 'small first'] as const) {
    it(`ends on the load started last when two overlap (${order})`, async function () {
      const big = new Uint8Array(await readFile(`${REPO_ROOT}guests/build/big.wasm`));
      const [first, second] = order === 'big first' ? [big, v2] : [v2, big];
      const older = runtime.loadFaaslet(faasletOf('racing', first), first);
      const newer = runtime.loadFaaslet(faasletOf('racing', second), second);
      await assert.rejects(older, SupersededLoadError);
      const loaded = await newer;
      assert.equal(runtime.registry.get('racing'), loaded);
      assert.equal(runtime.registry.get('racing')?.exports.length, order === 'big first' ? 2 : 1);
    });
  }
});

describe('the fast lane across a swap', function () {
  async function compiled(bytes: Uint8Array) {
    return compileFaasletKeepingBytes(faasletOf('lane', bytes), bytes);
  }
  const run = (lane: FastLane, definition: FaasletDefinition) =>
    lane.tryInvoke(definition, 'busy', new Uint8Array(0), ['0']);

  function newLane(): FastLane {
    const store = new LocalTier();
    return new FastLane(new MainThreadView('test.main', (key) => store.peek(key)));
  }

  it('stops running the old module the moment a newer one is being prepared', async function () {
    const [v1, v2] = await Promise.all([busyCounter(1), busyCounter(2)]);
    const old = await compiled(v1);
    const next = await compiled(v2);
    const lane = newLane();
    assert.equal(await lane.prepare(old.definition, old.capped), true);
    assert.equal(run(lane, old.definition)?.type, 'done');
    const preparing = lane.prepare(next.definition, next.capped);
    assert.equal(run(lane, old.definition), undefined, 'the old module still ran in the lane');
    assert.equal(await preparing, true);
    const outcome = run(lane, next.definition);
    assert.ok(outcome?.type === 'done');
    assert.equal(decoder.decode(outcome.output), '2');
  });

  it('never lets a slow prepare of an older revision replace a newer one', async function () {
    const [v1, v2] = await Promise.all([busyCounter(1), busyCounter(2)]);
    const old = await compiled(v1);
    const next = await compiled(v2);
    const lane = newLane();
    const stale = lane.prepare(old.definition, old.capped);
    assert.equal(await lane.prepare(next.definition, next.capped), true);
    assert.equal(await stale, false);
    assert.equal(
      await lane.prepare(old.definition, old.capped),
      false,
      'an older revision came late',
    );
    assert.equal(run(lane, old.definition), undefined);
    assert.equal(run(lane, next.definition)?.type, 'done');
  });
});
