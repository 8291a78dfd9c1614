import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { call, SAMPLES, startRuntime, type TestRuntime } from '../support/runtime-server.js';

const GO_COUNTER = join(SAMPLES, '../languages/counter-go.yaml');

describe('the Go counter (a Go 1.26 wasip1 reactor from guests/go)', function () {
  let rt: TestRuntime;

  before(async function () {
    rt = await startRuntime([GO_COUNTER, join(SAMPLES, 'counter.yaml')]);
  });
  after(async function () {
    await rt.close();
  });

  it('answers the classic add?value=10 twice with 10, then 20, and multiplies', async function () {
    const first = await call(rt.base, 'GET', '/invoke/counter-go/add?value=10');
    const second = await call(rt.base, 'GET', '/invoke/counter-go/add?value=10');
    assert.deepEqual([first.text, second.text], ['10', '20']);
    assert.equal((await call(rt.base, 'GET', '/invoke/counter-go/multiply?value=3')).text, '60');
  });

  it('shares the namespace with the AssemblyScript counter: 1,000 concurrent increments over both end at exactly +1,000', async function () {
    const before = Number((await call(rt.base, 'GET', '/invoke/counter/get')).text);
    const faaslets = ['counter', 'counter-go'];
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        call(rt.base, 'POST', `/invoke/${faaslets[i % faaslets.length]}/add`, '1'),
      ),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    const after = Number((await call(rt.base, 'GET', '/invoke/counter-go/get')).text);
    assert.equal(after - before, 1000);
    // Every answer is a distinct total: no two increments saw the same value.
    assert.equal(new Set(answers.map((a) => a.text)).size, 1000);
  });
});
