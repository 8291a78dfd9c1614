import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call,
  errorOf,
  REPO_ROOT,
  SAMPLES,
  startRuntime,
  type TestRuntime,
} from '../support/runtime-server.js';

/** The misbehaving Go reactor from guests/build, in a ConfigMap + Faaslet with tight limits. */
async function misbehaveDir(): Promise<string> {
  const wasm = await readFile(join(REPO_ROOT, 'guests/build/misbehave-go.wasm'));
  const dir = await mkdtemp(join(tmpdir(), 'glass-go-'));
  const yaml = `apiVersion: v1
kind: ConfigMap
metadata: {name: misbehave-go-module}
binaryData: {module.wasm: ${wasm.toString('base64')}}
---
apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: misbehave-go}
spec:
  cluster: glass
  module: {configMapRef: {name: misbehave-go-module, key: module.wasm}}
  abi: glass
  limits: {timeout: 1s, memory: 64Mi}
  state: {durability: local}
`;
  await writeFile(join(dir, 'misbehave-go.yaml'), yaml);
  return dir;
}

const GO_COUNTER = join(SAMPLES, '../languages/counter-go.yaml');

describe('the Go counter (a Go 1.26 wasip1 reactor from guests/go)', function () {
  let rt: TestRuntime;

  before(async function () {
    rt = await startRuntime([GO_COUNTER, join(SAMPLES, 'counter.yaml'), await misbehaveDir()]);
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

  it('stops a Go guest that loops forever with 504 within its timeout + 100 ms, while other calls are answered', async function () {
    const spinning = call(rt.base, 'POST', '/invoke/misbehave-go/spin');
    const others = [];
    for (let i = 0; i < 5; i++) others.push(await call(rt.base, 'POST', '/invoke/counter-go/get'));
    const spin = await spinning;
    assert.equal(spin.status, 504, spin.text);
    assert.ok(spin.ms >= 1000 && spin.ms <= 1100, `answered after ${spin.ms.toFixed(0)} ms`);
    assert.deepEqual(new Set(others.map((a) => a.status)), new Set([200]));
    assert.equal((await call(rt.base, 'POST', '/invoke/misbehave-go/ok')).text, '1');
  });

  it("answers a Go guest's memory bomb with 500 naming the memory limit, and keeps serving", async function () {
    const bomb = await call(rt.base, 'POST', '/invoke/misbehave-go/bomb');
    assert.equal(bomb.status, 500, bomb.text);
    assert.match(errorOf(bomb).message, /memory limit of 64 MiB/);
    assert.equal((await call(rt.base, 'POST', '/invoke/misbehave-go/ok')).text, '1');
    assert.equal((await call(rt.base, 'POST', '/invoke/counter-go/add', '0')).status, 200);
  });
});
