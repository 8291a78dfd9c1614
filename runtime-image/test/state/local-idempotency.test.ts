// Idempotency-Key on durability: local: the record lives in the pod, like the state it guards.
import { strict as assert } from 'node:assert';
import { callWithHeaders, counterFaaslets } from '../support/global-runtimes.js';
import { call, startRuntime, type TestRuntime } from '../support/runtime-server.js';

describe('Idempotency-Key on durability: local', function () {
  let rt: TestRuntime;
  before(async function () {
    rt = await startRuntime(
      [await counterFaaslets([{ name: 'tally', namespace: 'tally', durability: 'local' }])],
      { workers: 2, window: 1 },
    );
  });
  after(async function () {
    await rt.close();
  });

  const add = (key: string) =>
    callWithHeaders(rt.base, 'POST', '/invoke/tally/add', '1', { 'Idempotency-Key': key });

  it('replays a retried request without running it again', async function () {
    const first = await add('local-1');
    const again = await add('local-1');
    assert.equal(first.text, '1');
    assert.equal(again.text, '1');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await call(rt.base, 'GET', '/state/tally/counter')).text, '1');
  });

  it('applies concurrent requests with one key once, in the same commit step as the writes', async function () {
    const answers = await Promise.all(Array.from({ length: 10 }, () => add('local-2')));
    assert.deepEqual(new Set(answers.map((a) => `${a.status} ${a.text}`)), new Set(['200 2']));
    assert.equal((await call(rt.base, 'GET', '/state/tally/counter')).text, '2');
  });
});
