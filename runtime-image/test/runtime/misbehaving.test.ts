import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait.js';
import {
  call,
  errorOf,
  SAMPLES,
  startRuntime,
  type Answer,
  type TestRuntime,
} from '../support/runtime-server.js';

/** Calls `counter/get` back to back until `until` settles: what other callers saw meanwhile. */
async function callsDuring(rt: TestRuntime, until: Promise<unknown>): Promise<Answer[]> {
  const state = { done: false };
  void until.finally(() => {
    state.done = true;
  });
  const answers: Answer[] = [];
  for (let i = 0; i < 10_000 && !state.done; i++)
    answers.push(await call(rt.base, 'GET', '/invoke/counter/get'));
  return answers;
}

async function spinWithLimit(maxConcurrency: number): Promise<string> {
  const sample = await readFile(join(SAMPLES, 'fixtures/spin.yaml'), 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'glass-spin-'));
  const limited = sample
    .replace(/name: spin-module/g, 'name: spin1-module')
    .replace('metadata: {name: spin}', 'metadata: {name: spin1}')
    .replace(/limits: \{([^}]*)\}/, `limits: {$1, maxConcurrency: ${maxConcurrency}}`);
  await writeFile(join(dir, 'spin1.yaml'), limited);
  return dir;
}

describe('misbehaving guests and bad requests', function () {
  let rt: TestRuntime;

  before(async function () {
    rt = await startRuntime([SAMPLES, await spinWithLimit(1)]);
  });
  after(async function () {
    await rt.close();
  });

  it('stops a guest that loops forever with 504 within its timeout + 100 ms, while other Faaslets keep answering', async function () {
    const spinning = call(rt.base, 'POST', '/invoke/spin/run');
    const others = await callsDuring(rt, spinning);
    const spin = await spinning;
    assert.equal(spin.status, 504);
    assert.equal(errorOf(spin).code, 'timeout');
    assert.match(errorOf(spin).message, /timeout of 1000 ms/);
    assert.ok(spin.ms >= 1000 && spin.ms <= 1100, `answered after ${spin.ms.toFixed(0)} ms`);
    assert.ok(
      others.length >= 10,
      `only ${others.length} other calls were answered during the loop`,
    );
    assert.deepEqual(new Set(others.map((a) => a.status)), new Set([200]));
    // A server stalled by the loop would have held a call for the whole second.
    assert.ok(
      Math.max(...others.map((a) => a.ms)) < 500,
      'another call waited on the looping guest',
    );
  });

  it('discards the writes of an invocation that timed out', async function () {
    const answer = await call(rt.base, 'POST', '/invoke/spin/write_then_spin');
    assert.equal(answer.status, 504);
    assert.equal((await call(rt.base, 'GET', '/state/spin/counter')).status, 404);
  });

  it('answers a memory bomb with 500 naming the memory limit, and gives the memory back', async function () {
    const bombOnce = async (): Promise<void> => {
      const [bomb, normal] = await Promise.all([
        call(rt.base, 'POST', '/invoke/bomb/run'),
        call(rt.base, 'GET', '/invoke/counter/get'),
      ]);
      assert.equal(bomb.status, 500);
      assert.equal(errorOf(bomb).code, 'memory_limit');
      assert.match(errorOf(bomb).message, /memory limit of 16 MiB reached/);
      assert.equal(normal.status, 200);
    };
    await bombOnce(); // the first one also pays for code paths warming up
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < 8; i++) await bombOnce();
    // Eight 16 MiB bombs kept alive would add 128 MiB; given back, the level stays near.
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(grownMiB < 32, `RSS grew by ${grownMiB.toFixed(1)} MiB`);
  });

  it('answers a trap with 500 naming the trap', async function () {
    const [trap, normal] = await Promise.all([
      call(rt.base, 'POST', '/invoke/trap/run'),
      call(rt.base, 'GET', '/invoke/counter/get'),
    ]);
    assert.equal(trap.status, 500);
    assert.equal(errorOf(trap).code, 'guest_trap');
    assert.match(errorOf(trap).message, /trap: unreachable/);
    assert.equal(normal.status, 200);
  });

  it('leaves no trace of a write made before a trap', async function () {
    const answer = await call(rt.base, 'POST', '/invoke/trap/write_then_trap');
    assert.equal(answer.status, 500);
    assert.equal((await call(rt.base, 'GET', '/state/trap/counter')).status, 404);
  });

  it('answers 429 at maxConcurrency, and other Faaslets keep answering', async function () {
    const first = call(rt.base, 'POST', '/invoke/spin1/run');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [second, normal] = await Promise.all([
      call(rt.base, 'POST', '/invoke/spin1/run'),
      call(rt.base, 'GET', '/invoke/counter/get'),
    ]);
    assert.equal(second.status, 429);
    assert.equal(errorOf(second).code, 'concurrency_limit');
    assert.match(errorOf(second).message, /limit of 1 concurrent/);
    assert.equal(normal.status, 200);
    assert.equal((await first).status, 504);
  });

  it('answers 413 over the body limit, and a normal call at the same time succeeds', async function () {
    const [big, normal] = await Promise.all([
      call(rt.base, 'POST', '/invoke/kv/put', new Uint8Array(1024 * 1024 + 1)),
      call(rt.base, 'GET', '/invoke/counter/get'),
    ]);
    assert.equal(big.status, 413);
    assert.equal(errorOf(big).code, 'payload_too_large');
    assert.equal(normal.status, 200);
  });

  it('answers a guest abort (bad JSON to kv) with 500 carrying the guest message', async function () {
    const answer = await call(rt.base, 'POST', '/invoke/kv/get', '{"key":');
    assert.equal(answer.status, 500);
    assert.match(errorOf(answer).message, /abort: kv\.get: bad JSON input/);
  });

  it('is still healthy after all of that: ready, two workers, counting', async function () {
    assert.equal((await call(rt.base, 'GET', '/ready')).status, 200);
    const before = Number((await call(rt.base, 'GET', '/invoke/counter/get')).text);
    assert.equal(Number((await call(rt.base, 'GET', '/invoke/add?value=3')).text), before + 3);
    await waitFor('the killed workers to be replaced', () => rt.runtime.pool.workerCount >= 2);
    assert.match(
      (await call(rt.base, 'GET', '/metrics')).text,
      /glass_worker_restarts_total [1-9]/,
    );
  });
});
