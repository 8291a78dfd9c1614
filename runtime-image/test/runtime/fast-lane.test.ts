import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { Faaslet } from '@glass/crds';
import { FastLane } from '../../src/host/fast-lane.js';
import { MainThreadView } from '../../src/host/main-thread-view.js';
import { compileFaasletKeepingBytes } from '../../src/runtime/compile-faaslet.js';
import { LocalTier } from '../../src/state/local-tier.js';
import { REPO_ROOT } from '../support/runtime-server.js';
import { watToWasm } from '../support/wat.js';

async function prepared(name: string, clock: { now: number }, wasm?: Uint8Array) {
  const bytes = wasm ?? (await readFile(`${REPO_ROOT}guests/build/${name}.wasm`));
  const faaslet = Faaslet.parse({
    apiVersion: 'glass.dev/v1alpha1',
    kind: 'Faaslet',
    metadata: { name },
    spec: { module: { inline: Buffer.from(bytes).toString('base64') } },
  });
  const { definition, capped } = await compileFaasletKeepingBytes(faaslet, bytes);
  const store = new LocalTier();
  const lane = new FastLane(
    new MainThreadView('test.main', (key) => store.peek(key)),
    () => clock.now,
  );
  assert.equal(await lane.prepare(definition, capped), true);
  return { lane, definition, store };
}

describe('the main-thread fast lane', function () {
  it('runs a short call to the end and returns its transaction', async function () {
    const { lane, definition } = await prepared('counter', { now: 0 });
    const outcome = lane.tryInvoke(definition, 'add', new Uint8Array(0), ['5']);
    assert.ok(
      outcome && outcome.type === 'done',
      `expected done, got ${outcome?.type ?? 'nothing'}`,
    );
    assert.equal(new TextDecoder().decode(outcome.output), '5');
    assert.deepEqual(outcome.reads, [['counter/counter', '']]);
    assert.equal(outcome.writes[0]?.[0], 'counter/counter');
    assert.deepEqual(lane.stats, { ran: 1, yielded: 0, skipped: 0 });
  });

  it('yields a guest that runs out of fuel, with nothing written, and skips an export that keeps yielding', async function () {
    const clock = { now: 0 };
    const { lane, definition, store } = await prepared('spin', clock);
    for (let i = 0; i < 3; i++)
      assert.equal(lane.tryInvoke(definition, 'write_then_spin', new Uint8Array(0), []), undefined);
    assert.deepEqual(lane.stats, { ran: 0, yielded: 3, skipped: 0 });
    assert.deepEqual(store.peek('spin/counter'), ['spin/counter', null, '']);
    assert.equal(lane.tryInvoke(definition, 'write_then_spin', new Uint8Array(0), []), undefined);
    assert.equal(lane.stats.skipped, 1, 'the fourth call should not have been tried here');
    clock.now += 31_000;
    assert.equal(lane.tryInvoke(definition, 'write_then_spin', new Uint8Array(0), []), undefined);
    assert.equal(lane.stats.yielded, 4, 'after the cool-off the lane tries again');
  });

  it('starts a Go reactor once, off the call path, so its calls run on the lane (its _initialize alone is ~13 M fuel, far over one call)', async function () {
    const { lane, definition } = await prepared('counter-go', { now: 0 });
    // Twice: the started instance goes back to the lane's pool after each call. The lane
    // returns each transaction to its caller uncommitted, so both read 0 and answer 10.
    for (let call = 0; call < 2; call++) {
      const outcome = lane.tryInvoke(definition, 'add', new Uint8Array(0), ['10']);
      assert.ok(outcome?.type === 'done', `expected done, got ${outcome?.type ?? 'a yield'}`);
      assert.equal(new TextDecoder().decode(outcome.output), '10');
    }
    assert.deepEqual(lane.stats, { ran: 2, yielded: 0, skipped: 0 });
  });

  it('gives up starting a module whose _initialize spins, within its start-up budget, and its calls yield to workers', async function () {
    const spinning = await watToWasm(
      'spin-init',
      `(module
        (memory (export "memory") 1)
        (func (export "_initialize") (loop $l (br $l)))
        (func (export "get") (result i32) (i32.const 7)))`,
    );
    const started = performance.now();
    const { lane, definition } = await prepared('spin-init', { now: 0 }, spinning);
    // Not a speed test: a start-up that were not bounded would never return at all.
    assert.ok(performance.now() - started < 5_000, 'prepare returned');
    assert.equal(lane.tryInvoke(definition, 'get', new Uint8Array(0), []), undefined);
    assert.deepEqual(lane.stats, { ran: 0, yielded: 1, skipped: 0 });
  });

  it('does not take WASI commands (each call needs a fresh instance, so a worker costs nothing extra)', async function () {
    const bytes = await readFile(`${REPO_ROOT}guests/build/echo-wasi.wasm`);
    const faaslet = Faaslet.parse({
      apiVersion: 'glass.dev/v1alpha1',
      kind: 'Faaslet',
      metadata: { name: 'echo' },
      spec: { abi: 'wasi-command', module: { inline: bytes.toString('base64') } },
    });
    const { definition, capped } = await compileFaasletKeepingBytes(faaslet, bytes);
    const lane = new FastLane(new MainThreadView('t', () => undefined));
    assert.equal(await lane.prepare(definition, capped), false);
    assert.equal(lane.tryInvoke(definition, '_start', new Uint8Array(0), []), undefined);
  });
});
