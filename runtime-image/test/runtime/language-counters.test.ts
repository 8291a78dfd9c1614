// The counter guest in Go, C and Rust, from their committed samples, each in its own runtime:
// the classic numbers, as the AssemblyScript counter answers them.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { LANGUAGE_COUNTERS } from '../support/language-counters.js';
import { call, SAMPLES, startRuntime } from '../support/runtime-server.js';

const cases = LANGUAGE_COUNTERS.filter((c) => c.language !== 'AssemblyScript');

describe('the counter guest in Go, C and Rust (crds/languages samples)', function () {
  for (const tc of cases) {
    it(`${tc.language}: add?value=10 answers 10, then 20; multiply?value=3 answers 60`, async function () {
      const rt = await startRuntime([join(SAMPLES, tc.sample)]);
      try {
        const add = (): Promise<string> =>
          call(rt.base, 'GET', `/invoke/${tc.faaslet}/add?value=10`).then((a) => a.text);
        assert.deepEqual([await add(), await add()], ['10', '20']);
        const multiplied = await call(rt.base, 'GET', `/invoke/${tc.faaslet}/multiply?value=3`);
        assert.equal(multiplied.text, '60');
        assert.equal((await call(rt.base, 'GET', `/invoke/${tc.faaslet}/get`)).text, '60');
      } finally {
        await rt.close();
      }
    });
  }
});
