import { strict as assert } from 'node:assert';
import { fixtureFaaslets } from '../support/fixture-faaslets.js';
import { call, REPO_ROOT, startRuntime, type TestRuntime } from '../support/runtime-server.js';

describe('a table.grow bomb on a runtime', function () {
  let rt: TestRuntime;
  before(async function () {
    const fixtures = await fixtureFaaslets([{ name: 'tables' }]);
    rt = await startRuntime([fixtures, `${REPO_ROOT}crds/samples/counter.yaml`]);
  });
  after(async function () {
    await rt.close();
  });

  it('meets -1 at the table cap, call after call, and a normal call succeeds meanwhile', async function () {
    // Each grow asks for 9,999,999 elements (V8 allows 10 M): 80 MB of heap were it not capped.
    const grows = await Promise.all(
      Array.from({ length: 8 }, () => call(rt.base, 'POST', '/invoke/tables/grow')),
    );
    const normal = await call(rt.base, 'GET', '/invoke/counter/get');
    assert.deepEqual(
      grows.map((g) => `${g.status} ${g.text}`),
      Array.from({ length: 8 }, () => '200 -1'),
    );
    assert.equal(normal.status, 200);
  });
});
