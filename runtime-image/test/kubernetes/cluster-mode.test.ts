// `glass runtime --cluster glass` against the real API server: it serves the Faaslets of its
// GlassCluster as they are applied, changed and deleted with kubectl, refuses what it cannot
// load without disturbing anything else, and is ready only once the first ones are loaded.
import { strict as assert } from 'node:assert';
import { controlPlane, type SharedControlPlane } from '../support/control-plane.js';
import { call, SAMPLES } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';
import {
  createNamespace,
  deleteNamespace,
  metric,
  planeArgs,
  startClusterRuntime,
  waitForAnswer,
  waitUntilReady,
  type ClusterRuntime,
} from './cluster-runtime.js';
import { apply, faaslet, fromConfigMap, inline, moduleConfigMap } from './manifests.js';
import { ModuleServer } from './module-server.js';
import { COUNTER, counterV2, counterWithNonce, INVALID, sha256Hex } from './modules.js';

describe('glass runtime --cluster (Kubernetes mode)', function () {
  this.timeout(120_000);
  let plane: SharedControlPlane;
  let namespace: string;
  let modules: ModuleServer;
  let runtime: ClusterRuntime;
  let releaseSlowModule: () => void;
  let slowModuleRequested: Promise<void>;

  before(async function () {
    this.timeout(15 * 60_000);
    plane = await controlPlane();
    namespace = await createNamespace(plane, 'glass-runtime-k8s');
    modules = await ModuleServer.start();
    // A Faaslet whose module download the test holds: the runtime cannot be ready before it.
    const slow = counterWithNonce('slow');
    const url = modules.serve('/slow.wasm', slow);
    releaseSlowModule = modules.hold('/slow.wasm');
    slowModuleRequested = modules.requested('/slow.wasm');
    await apply(plane, namespace, [faaslet('slow', { url, sha256: sha256Hex(slow) })]);
    runtime = await startClusterRuntime({
      // The module server is on loopback, which a runtime refuses unless allowed (ADR 0081).
      args: [...planeArgs(plane, namespace), '--module-fetch-allow-cidr', '127.0.0.0/8'],
    });
  });

  after(async function () {
    await runtime.glass.stop();
    await modules.close();
    await deleteNamespace(plane, namespace);
  });

  it('answers /ready 503 while the first Faaslets load, then 200', async function () {
    await slowModuleRequested;
    const loading = await call(runtime.base, 'GET', '/ready');
    assert.equal(loading.status, 503, loading.text);
    assert.match(loading.text, /loading/);
    releaseSlowModule();
    await waitUntilReady(runtime.base);
    assert.equal((await call(runtime.base, 'GET', '/invoke/slow/get')).text, '0');
  });

  it('serves the counter sample applied with kubectl apply', async function () {
    await plane.kubectlOk(['apply', '-n', namespace, '-f', `${SAMPLES}/counter.yaml`]);
    await waitForAnswer(runtime.base, '/invoke/counter/get', { status: 200, text: '0' });
    assert.equal((await call(runtime.base, 'GET', '/invoke/counter/add?value=5')).text, '5');
    assert.equal((await call(runtime.base, 'GET', '/invoke/counter/add?value=5')).text, '10');
  });

  it('does not load a Faaslet of another cluster, and follows one that moves in and out', async function () {
    await apply(plane, namespace, [
      faaslet('stranger', inline(counterWithNonce('stranger')), { cluster: 'elsewhere' }),
    ]);
    // A Faaslet applied after it and served says the runtime has seen the stranger too.
    await apply(plane, namespace, [faaslet('marker', inline(counterWithNonce('marker')))]);
    await waitForAnswer(runtime.base, '/invoke/marker/get', { status: 200 });
    assert.equal((await call(runtime.base, 'GET', '/invoke/stranger/get')).status, 404);

    const moveTo = (cluster: string): Promise<string> =>
      plane.kubectlOk([
        'patch',
        'faaslet',
        'stranger',
        '-n',
        namespace,
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { cluster } }),
      ]);
    await moveTo('glass');
    await waitForAnswer(runtime.base, '/invoke/stranger/get', { status: 200, text: '0' });
    await moveTo('elsewhere');
    await waitForAnswer(runtime.base, '/invoke/stranger/get', { status: 404 });
  });

  it('reloads a Faaslet when its ConfigMap changes, and keeps its state', async function () {
    await apply(plane, namespace, [
      moduleConfigMap('reloaded-module', COUNTER),
      faaslet('reloaded', fromConfigMap('reloaded-module')),
    ]);
    await waitForAnswer(runtime.base, '/invoke/reloaded/get', { status: 200 });
    assert.equal((await call(runtime.base, 'GET', '/invoke/reloaded/add?value=7')).text, '7');
    assert.equal((await call(runtime.base, 'GET', '/invoke/reloaded/version')).status, 404);

    await apply(plane, namespace, [moduleConfigMap('reloaded-module', await counterV2())]);
    await waitForAnswer(runtime.base, '/invoke/reloaded/version', { status: 200, text: '2' });
    assert.equal((await call(runtime.base, 'GET', '/invoke/reloaded/get')).text, '7');
    assert.match(runtime.glass.output(), /"faaslet":"reloaded".*"msg":"Faaslet replaced"/);
  });

  it('refuses a module that does not compile, counts and logs it, and keeps serving the previous version and the rest', async function () {
    await apply(plane, namespace, [
      moduleConfigMap('steady-module', await counterV2()),
      faaslet('steady', fromConfigMap('steady-module')),
    ]);
    await waitForAnswer(runtime.base, '/invoke/steady/version', { status: 200, text: '2' });
    assert.equal((await call(runtime.base, 'GET', '/invoke/steady/add?value=3')).text, '3');

    await apply(plane, namespace, [moduleConfigMap('steady-module', INVALID)]);
    await waitFor('steady to be refused', async () => {
      return (await metric(runtime.base, 'glass_faaslet_refused', { faaslet: 'steady' })) === 1;
    });
    const failures = await metric(runtime.base, 'glass_faaslet_load_failures_total', {
      faaslet: 'steady',
      reason: 'invalid-module',
    });
    assert.equal(failures, 1);
    assert.match(
      runtime.glass.output(),
      /Faaslet steady refused: not a valid WebAssembly module.*its previous version keeps serving/,
    );
    assert.equal((await call(runtime.base, 'GET', '/invoke/steady/version')).text, '2');
    assert.equal((await call(runtime.base, 'GET', '/invoke/steady/get')).text, '3');
    assert.equal((await call(runtime.base, 'GET', '/invoke/slow/get')).status, 200);
    assert.equal((await call(runtime.base, 'GET', '/ready')).status, 200);

    // Fixed: the new version loads and the refusal is gone.
    await apply(plane, namespace, [moduleConfigMap('steady-module', COUNTER)]);
    await waitForAnswer(runtime.base, '/invoke/steady/version', { status: 404 });
    assert.equal((await call(runtime.base, 'GET', '/invoke/steady/get')).text, '3');
    assert.equal(
      await metric(runtime.base, 'glass_faaslet_refused', { faaslet: 'steady' }),
      undefined,
    );
  });

  it('refuses a URL module whose sha256 does not match, and loads it once the pin is right', async function () {
    const url = modules.serve('/pinned.wasm', COUNTER);
    const wrongPin = sha256Hex(counterWithNonce('not what is served'));
    await apply(plane, namespace, [faaslet('pinned', { url, sha256: wrongPin })]);
    await waitFor('pinned to be refused for its digest', async () => {
      const labels = { faaslet: 'pinned', reason: 'digest-mismatch' };
      return (await metric(runtime.base, 'glass_faaslet_load_failures_total', labels)) === 1;
    });
    assert.match(
      runtime.glass.output(),
      /Faaslet pinned refused: the bytes at spec\.module\.url do not match spec\.module\.sha256/,
    );
    assert.equal((await call(runtime.base, 'GET', '/invoke/pinned/get')).status, 404);
    assert.equal((await call(runtime.base, 'GET', '/invoke/counter/get')).status, 200);

    await apply(plane, namespace, [faaslet('pinned', { url, sha256: sha256Hex(COUNTER) })]);
    await waitForAnswer(runtime.base, '/invoke/pinned/get', { status: 200, text: '0' });
  });

  it('refuses a Faaslet whose ConfigMap is missing, and loads it when the ConfigMap appears', async function () {
    await apply(plane, namespace, [faaslet('late', fromConfigMap('late-module'))]);
    await waitFor('late to be refused', async () => {
      const labels = { faaslet: 'late', reason: 'module-not-found' };
      return (await metric(runtime.base, 'glass_faaslet_load_failures_total', labels)) === 1;
    });
    assert.match(runtime.glass.output(), /Faaslet late refused: ConfigMap late-module not found/);
    await apply(plane, namespace, [moduleConfigMap('late-module', COUNTER)]);
    await waitForAnswer(runtime.base, '/invoke/late/get', { status: 200, text: '0' });
  });

  it('unloads a deleted Faaslet: it answers 404, the others keep serving, and its state waits for its return', async function () {
    const leaving = faaslet('leaving', inline(counterWithNonce('leaving')));
    await apply(plane, namespace, [leaving]);
    await waitForAnswer(runtime.base, '/invoke/leaving/get', { status: 200 });
    assert.equal((await call(runtime.base, 'GET', '/invoke/leaving/add?value=4')).text, '4');

    await plane.kubectlOk(['delete', 'faaslet', 'leaving', '-n', namespace]);
    await waitForAnswer(runtime.base, '/invoke/leaving/get', { status: 404 });
    assert.equal((await call(runtime.base, 'GET', '/invoke/counter/get')).status, 200);
    assert.equal((await call(runtime.base, 'GET', '/state/leaving/counter')).text, '4');

    await apply(plane, namespace, [leaving]);
    await waitForAnswer(runtime.base, '/invoke/leaving/get', { status: 200, text: '4' });
  });

  it('stops its watches and exits 0 on SIGTERM', async function () {
    runtime.glass.child.kill('SIGTERM');
    assert.equal(await runtime.glass.exited, 0);
  });
});
