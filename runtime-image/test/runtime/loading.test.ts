import { strict as assert } from 'node:assert';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, SAMPLES, startRuntime } from '../support/runtime-server.js';

describe('loading Faaslets from YAML', function () {
  it('refuses broken modules at load with a message, and serves everything else', async function () {
    const rt = await startRuntime([SAMPLES]);
    try {
      const byName = new Map(rt.problems.map((p) => [p.name, p.message]));
      assert.match(
        byName.get('bad-import') ?? '',
        /imports what the host does not provide: glass\.launch_missiles/,
      );
      assert.match(byName.get('invalid') ?? '', /not a valid WebAssembly module|does not compile/);
      assert.equal(rt.problems.length, 2, JSON.stringify(rt.problems));
      const served = rt.runtime.registry
        .all()
        .map((d) => d.name)
        .sort();
      assert.deepEqual(served, [
        'bomb',
        'cart',
        'counter',
        'echo-wasi',
        'invariant',
        'kv',
        'spin',
        'trap',
      ]);
      assert.equal((await call(rt.base, 'POST', '/invoke/bad-import/run')).status, 404);
      assert.equal((await call(rt.base, 'GET', '/invoke/add?value=1')).status, 200);
    } finally {
      await rt.close();
    }
  });

  it('reports a bad document by file and field, and still loads the good one beside it', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'glass-load-'));
    const file = join(dir, 'two.yaml');
    const inline = Buffer.from(
      // (module (memory (export "memory") 1) (func (export "one") (result i32) i32.const 1))
      '0061736d010000000105016000017f030201000503010001071002066d656d6f727902000' +
        '36f6e6500000a0601040041010b',
      'hex',
    ).toString('base64');
    await writeFile(
      file,
      [
        'apiVersion: glass.dev/v1alpha1\nkind: Faaslet\nmetadata: {name: broken}\nspec:\n  module: {inline: AAAA}\n  limits: {timeout: forever}\n',
        `apiVersion: glass.dev/v1alpha1\nkind: Faaslet\nmetadata: {name: fine}\nspec:\n  module: {inline: ${inline}}\n`,
      ].join('---\n'),
    );
    const rt = await startRuntime([dir]);
    try {
      assert.equal(rt.problems.length, 1);
      const [problem] = rt.problems;
      assert.ok(problem);
      assert.equal(problem.source, file);
      assert.equal(problem.document, 1);
      assert.equal(problem.name, 'broken');
      assert.match(problem.message, /spec\.limits\.timeout: must be a duration/);
      assert.equal((await call(rt.base, 'GET', '/invoke/one')).text, '1');
    } finally {
      await rt.close();
    }
  });

  it('reports a path that does not exist and still serves the rest', async function () {
    const rt = await startRuntime(['/nonexistent/glass', `${SAMPLES}/counter.yaml`]);
    try {
      assert.match(rt.problems[0]?.message ?? '', /ENOENT/);
      assert.equal((await call(rt.base, 'GET', '/invoke/add?value=2')).text, '2');
    } finally {
      await rt.close();
    }
  });
});
