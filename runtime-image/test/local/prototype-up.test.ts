// The original prototype's module through `npm start -- --faaslets crds/prototype` (ADR 121):
// the real `glass up`, its runtime children and router, and the classic call shape.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, killAll, Pool, type Spawned } from '../router/helpers.js';
import { startGlassUp } from '../support/glass-up.js';
import { REPO_ROOT } from '../support/runtime-server.js';

describe('glass up --faaslets crds/prototype (the prototype ABI fixture, real processes)', function () {
  this.timeout(120_000);
  let up: Spawned;
  let pool: Pool;

  before(async function () {
    // What `npm start -- --faaslets crds/prototype` runs after the build, from the repo root.
    let url: string;
    ({ up, url } = await startGlassUp([
      '--runtimes',
      '2',
      '--faaslets',
      join(REPO_ROOT, 'crds/prototype'),
    ]));
    pool = new Pool(url, { connections: 4 });
  });
  after(async function () {
    await pool.close();
    await up.stop('SIGTERM');
    await killAll();
  });

  it('GET /invoke/add?value=10 twice answers 10, then 20, as the prototype did', async function () {
    const first = await call(pool, '/invoke/add?value=10');
    const second = await call(pool, '/invoke/add?value=10');
    assert.deepEqual([first.status, first.json, second.status, second.json], [200, 10, 200, 20]);
  });

  it('answers the same module by its Faaslet name too', async function () {
    const answer = await call(pool, '/invoke/prototype/add?value=5');
    assert.deepEqual([answer.status, answer.json], [200, 25]);
  });
});
