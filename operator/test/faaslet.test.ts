// The Faaslet reconciler against a real API server: each way of giving a module, each way it
// can be wrong, with its condition and reason; and status written only when it changed.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { API_VERSION } from '@glass/crds';
import { pino } from 'pino';
import { DEFAULT_MODULE_FETCH_POLICY } from '@glass/runtime/module-bytes';
import { FaasletReconciler } from '../src/faaslet/reconcile.js';
import { Kube, StaleReadError } from '../src/kube/client.js';
import type { Manager } from '../src/manager.js';
import { EventRecorder } from '../src/status/events.js';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  type ControlPlane,
} from './support/control-plane.js';
import {
  configMap,
  faaslet,
  fromConfigMap,
  fromUrl,
  glassCluster,
  guest,
  inCluster,
  inline,
  inNamespace,
  sha256Hex,
  withSpec,
  type Option,
} from './support/fixtures.js';
import { condition, TestKube, waitForCondition, type Obj } from './support/kube.js';
import { startManager } from './support/manager.js';
import { eventually } from './support/wait.js';

const COUNTER = guest('counter');
const KV = guest('kv');
/** A ~1.9 MB Go reactor, over a ConfigMap's 1 MiB raw: stored gzip-compressed (ADR 0091). */
const GO_COUNTER = guest('counter-go');
const digestOf = (bytes: Uint8Array): string => `sha256:${sha256Hex(bytes)}`;

/** A loopback HTTP server for modules at URLs; `routes` can change while it runs. */
async function moduleServer(
  routes: Map<string, Uint8Array>,
): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    const body = routes.get(request.url ?? '');
    if (body === undefined) response.writeHead(404).end('not here');
    else response.writeHead(200, { 'Content-Type': 'application/wasm' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Case {
  name: string;
  /** Objects to create first (ConfigMaps). */
  before?: Obj[];
  options: Option[];
  ready: { status: 'True' | 'False'; reason: string };
  resolved: { status: 'True' | 'False'; reason: string };
  digest?: string;
  exports?: string[];
  /** What status.touchesState must say: the router places such calls by namespace. */
  touchesState?: boolean;
  message?: RegExp;
}

describe('Faaslets on a real API server', function () {
  let cp: ControlPlane;
  let kube: TestKube;
  let ns: string;
  let manager: Manager | undefined;
  const routes = new Map<string, Uint8Array>();
  let http: { server: Server; base: string };

  const ref = (name: string) => ({ apiVersion: API_VERSION, kind: 'Faaslet', namespace: ns, name });
  const get = (name: string) => kube.get(API_VERSION, 'Faaslet', ns, name);

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
    ns = await kube.namespace('faaslets');
    http = await moduleServer(routes);
    routes.set('/counter.wasm', COUNTER);
    await kube.create(glassCluster('glass', inNamespace(ns)));
    manager = await startManager(cp.kubeconfigPath);
  });

  after(async function () {
    await manager?.stop();
    http.server.close();
    await kube.deleteNamespace(ns);
  });

  const cases: Case[] = [
    {
      name: "a module in a ConfigMap's binaryData is Ready, with its digest and exports",
      before: [configMap('counter-module', 'module.wasm', COUNTER)],
      options: [fromConfigMap('counter-module')],
      ready: { status: 'True', reason: 'Ready' },
      resolved: { status: 'True', reason: 'Resolved' },
      digest: digestOf(COUNTER),
      exports: ['add', 'get', 'multiply'],
      touchesState: true,
    },
    {
      name: 'an inline module is Ready',
      options: [inline(KV)],
      ready: { status: 'True', reason: 'Ready' },
      resolved: { status: 'True', reason: 'Resolved' },
      digest: digestOf(KV),
      exports: ['delete', 'get', 'put'],
    },
    {
      name: 'a module at a URL whose sha256 matches is Ready',
      options: [
        (o) => {
          fromUrl(`${http.base}/counter.wasm`, sha256Hex(COUNTER))(o);
        },
      ],
      ready: { status: 'True', reason: 'Ready' },
      resolved: { status: 'True', reason: 'Resolved' },
      digest: digestOf(COUNTER),
    },
    {
      name: 'a module at a URL whose sha256 does not match is DigestMismatch',
      options: [
        (o) => {
          fromUrl(`${http.base}/counter.wasm`, 'b'.repeat(64))(o);
        },
      ],
      ready: { status: 'False', reason: 'DigestMismatch' },
      resolved: { status: 'False', reason: 'DigestMismatch' },
      // Not the digest it found: status is no window onto what other servers hold (ADR 0081).
      message: /^the bytes at spec\.module\.url do not match spec\.module\.sha256$/,
    },
    {
      name: 'bytes that are not WebAssembly are InvalidModule, saying why',
      options: [inline(guest('invalid'))],
      ready: { status: 'False', reason: 'InvalidModule' },
      resolved: { status: 'False', reason: 'InvalidModule' },
      message: /^not a valid WebAssembly module: /,
    },
    {
      name: 'a module importing what the host does not provide is InvalidModule, naming the import',
      before: [configMap('bad-import-module', 'module.wasm', guest('bad-import'))],
      options: [fromConfigMap('bad-import-module')],
      ready: { status: 'False', reason: 'InvalidModule' },
      resolved: { status: 'False', reason: 'InvalidModule' },
      message: /imports what the host does not provide: glass\.launch_missiles \(function\)/,
    },
    {
      name: 'spec.exports naming what the module lacks is InvalidModule, naming it',
      options: [inline(COUNTER), withSpec('exports', ['add', 'launch'])],
      ready: { status: 'False', reason: 'InvalidModule' },
      resolved: { status: 'False', reason: 'InvalidModule' },
      message: /spec\.exports names what the module does not export: launch/,
    },
    {
      name: 'a wasi-command module without _start is InvalidModule',
      options: [inline(COUNTER), withSpec('abi', 'wasi-command')],
      ready: { status: 'False', reason: 'InvalidModule' },
      resolved: { status: 'False', reason: 'InvalidModule' },
      message: /a wasi-command module must export _start/,
    },
    {
      name: 'a ~1.9 MB Go module gzip-compressed in its ConfigMap is Ready, with the digest of the module itself',
      before: [configMap('go-module', 'module.wasm.gz', gzipSync(GO_COUNTER, { level: 9 }))],
      options: [fromConfigMap('go-module', 'module.wasm.gz')],
      ready: { status: 'True', reason: 'Ready' },
      resolved: { status: 'True', reason: 'Resolved' },
      digest: digestOf(GO_COUNTER),
      exports: ['add', 'get', 'multiply'],
    },
  ];

  cases.forEach((tc, i) => {
    it(tc.name, async function () {
      for (const object of tc.before ?? [])
        await kube.create({ ...object, metadata: { ...object.metadata, namespace: ns } });
      const name = `case-${i}`;
      await kube.create(faaslet(name, inNamespace(ns), ...tc.options));
      const object = await waitForCondition(kube, ref(name), tc.ready);
      const resolved = condition(object, 'ModuleResolved');
      assert.deepEqual({ status: resolved?.status, reason: resolved?.reason }, tc.resolved);
      const ready = condition(object, 'Ready');
      assert.equal(ready?.observedGeneration, 1);
      assert.equal(object.status?.observedGeneration, 1);
      assert.equal(object.status.moduleDigest, tc.digest);
      if (tc.exports) assert.deepEqual([...(object.status.exports as string[])].sort(), tc.exports);
      if (tc.touchesState !== undefined) {
        assert.equal(object.status.touchesState, tc.touchesState);
      }
      if (tc.digest) assert.equal(object.status.invokeURL, `/invoke/${name}`);
      if (tc.message) assert.match(ready.message, tc.message);
    });
  });

  it('a missing ConfigMap is ModuleNotFound, and the Faaslet becomes Ready once it is created', async function () {
    await kube.create(faaslet('late-cm', inNamespace(ns), fromConfigMap('late-module')));
    const waiting = await waitForCondition(kube, ref('late-cm'), {
      status: 'False',
      reason: 'ModuleNotFound',
    });
    assert.match(condition(waiting, 'Ready')?.message ?? '', /ConfigMap late-module not found/);
    await kube.create(configMap('late-module', 'module.wasm', COUNTER, inNamespace(ns)));
    const ready = await waitForCondition(kube, ref('late-cm'), { status: 'True', reason: 'Ready' });
    assert.equal(ready.status?.moduleDigest, digestOf(COUNTER));
  });

  it('a missing GlassCluster is ClusterNotFound, and the Faaslet becomes Ready by itself once it exists', async function () {
    await kube.create(faaslet('lonely', inNamespace(ns), inline(COUNTER), inCluster('later')));
    const waiting = await waitForCondition(kube, ref('lonely'), {
      status: 'False',
      reason: 'ClusterNotFound',
    });
    assert.equal(condition(waiting, 'ModuleResolved')?.status, 'True', 'the module itself is fine');
    assert.match(
      condition(waiting, 'Ready')?.message ?? '',
      /GlassCluster later not found in namespace/,
    );
    await kube.create(glassCluster('later', inNamespace(ns)));
    await waitForCondition(kube, ref('lonely'), { status: 'True', reason: 'Ready' });
  });

  it('a state namespace outside its GlassCluster’s allowedStateNamespaces is StateNamespaceNotAllowed, and Ready once the list allows it (issue 15 item 4)', async function () {
    const allow = (patterns: string[]) => withSpec('allowedStateNamespaces', patterns);
    await kube.create(glassCluster('fenced', inNamespace(ns), allow(['team-a-*'])));
    // The attack: name another team's namespace (and so read and write its keys).
    const options = [inNamespace(ns), inline(COUNTER), inCluster('fenced')];
    await kube.create(
      faaslet('intruder', ...options, withSpec('state', { namespace: 'payments' })),
    );
    await kube.create(
      faaslet('keyed-intruder', ...options, withSpec('state', { namespace: '{user}' })),
    );
    await kube.create(
      faaslet('member', ...options, withSpec('state', { namespace: 'team-a-cart-{user}' })),
    );
    for (const name of ['intruder', 'keyed-intruder']) {
      const refused = await waitForCondition(kube, ref(name), {
        status: 'False',
        reason: 'StateNamespaceNotAllowed',
      });
      assert.match(
        condition(refused, 'Ready')?.message ?? '',
        /state namespace .* is not among GlassCluster fenced's allowedStateNamespaces: team-a-\*/,
      );
    }
    await waitForCondition(kube, ref('member'), { status: 'True', reason: 'Ready' });
    await kube.merge({
      apiVersion: API_VERSION,
      kind: 'GlassCluster',
      metadata: { name: 'fenced', namespace: ns },
      spec: { allowedStateNamespaces: ['team-a-*', 'payments'] },
    });
    await waitForCondition(kube, ref('intruder'), { status: 'True', reason: 'Ready' });
  });

  it('a URL that answers 404 is ModuleNotFound and is retried until it serves the module', async function () {
    const sha = sha256Hex(KV);
    await kube.create(faaslet('not-yet', inNamespace(ns), fromUrl(`${http.base}/kv.wasm`, sha)));
    const waiting = await waitForCondition(kube, ref('not-yet'), {
      status: 'False',
      reason: 'ModuleNotFound',
    });
    // Generic: a status code (or a port, or "connection refused") would be a port-scan oracle.
    assert.equal(
      condition(waiting, 'Ready')?.message,
      'spec.module.url could not be fetched (the operator log says why)',
    );
    routes.set('/kv.wasm', KV);
    await waitForCondition(kube, ref('not-yet'), { status: 'True', reason: 'Ready' });
  });

  it('follows spec changes: a fixed module becomes Ready, a broken one loses its digest', async function () {
    await kube.create(faaslet('edited', inNamespace(ns), inline(guest('invalid'))));
    await waitForCondition(kube, ref('edited'), { status: 'False', reason: 'InvalidModule' });
    const patch = (bytes: Buffer) =>
      kube.merge({
        apiVersion: API_VERSION,
        kind: 'Faaslet',
        metadata: { name: 'edited', namespace: ns },
        spec: { module: { inline: bytes.toString('base64') } },
      });
    await patch(COUNTER);
    const fixed = await waitForCondition(kube, ref('edited'), { status: 'True', reason: 'Ready' });
    assert.equal(fixed.status?.observedGeneration, 2);
    assert.equal(condition(fixed, 'Ready')?.observedGeneration, 2);
    assert.equal(fixed.status.moduleDigest, digestOf(COUNTER));
    await patch(guest('invalid'));
    const broken = await waitForCondition(kube, ref('edited'), {
      status: 'False',
      reason: 'InvalidModule',
    });
    assert.equal(broken.status?.observedGeneration, 3);
    assert.equal(broken.status.moduleDigest, undefined, 'the old digest is gone');
    assert.equal(broken.status.exports, undefined);
  });

  it('records an Event when Ready flips: Normal for Ready, Warning for an invalid module', async function () {
    const events = await eventually('Events for case-0 and case-4', async () => {
      const list = await kube.list('v1', 'Event', ns);
      const of = (name: string) =>
        list.filter((e) => (e.involvedObject as { name: string }).name === name);
      const [ok, bad] = [of('case-0'), of('case-4')];
      return ok.length > 0 && bad.length > 0 ? { ok, bad } : undefined;
    });
    assert.deepEqual(
      events.ok.map((e) => [e.type, e.reason]),
      [['Normal', 'Ready']],
    );
    assert.deepEqual(
      events.bad.map((e) => [e.type, e.reason]),
      [['Warning', 'InvalidModule']],
    );
  });

  it('refuses a status computed from a stale copy (StaleReadError), and applies a current one', async function () {
    const client = new Kube(cp.kubeConfig);
    const stale = await get('case-0');
    await kube.merge({
      apiVersion: API_VERSION,
      kind: 'Faaslet',
      metadata: { name: 'case-0', namespace: ns, labels: { touched: 'yes' } },
    });
    const status = { ...stale?.status, exports: ['stale'] };
    const ref = { apiVersion: API_VERSION, kind: 'Faaslet', plural: 'faaslets', namespace: ns };
    await assert.rejects(
      client.applyStatus(
        { ...ref, name: 'case-0', resourceVersion: stale?.metadata?.resourceVersion },
        status,
      ),
      StaleReadError,
    );
    assert.deepEqual((await get('case-0'))?.status, stale?.status, 'nothing written');
    const current = await get('case-0');
    await client.applyStatus(
      { ...ref, name: 'case-0', resourceVersion: current?.metadata?.resourceVersion },
      current?.status,
    );
  });

  it('already done, no writes: a forced re-reconcile leaves Ready and failed Faaslets untouched', async function () {
    const reconciler = new FaasletReconciler(
      new Kube(cp.kubeConfig),
      new EventRecorder(cp.kubeConfig, 'glass-operator', pino({ level: 'silent' })),
      undefined,
      undefined,
      { ...DEFAULT_MODULE_FETCH_POLICY, allowCidrs: ['127.0.0.0/8'] },
    );
    for (const name of ['case-0', 'case-2', 'case-4', 'lonely']) {
      const before = await get(name);
      await reconciler.reconcile(ns, name);
      await reconciler.reconcile(ns, name);
      const after = await get(name);
      assert.equal(after?.metadata?.resourceVersion, before?.metadata?.resourceVersion, name);
      assert.deepEqual(after?.status, before?.status, name);
    }
  });

  it('`kubectl get faaslets` shows the READY, CLUSTER, DIGEST and AGE columns with values', async function () {
    const out = await cp.kubectlOk(['get', 'faaslets', '-n', ns, 'case-0', 'case-4', 'lonely']);
    const [header = '', ...lines] = out.trimEnd().split('\n');
    // Cut each row at the header's column starts: an empty cell is blanks, not a missing word.
    const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
    const cells = (line: string) => starts.map((at, i) => line.slice(at, starts[i + 1]).trim());
    assert.deepEqual(cells(header), ['NAME', 'READY', 'CLUSTER', 'DIGEST', 'AGE']);
    const rows = new Map(lines.map((line) => [cells(line)[0], cells(line).slice(1)]));
    assert.deepEqual(rows.get('case-0')?.slice(0, 3), ['True', 'glass', digestOf(COUNTER)]);
    assert.deepEqual(rows.get('case-4')?.slice(0, 3), ['False', 'glass', '']);
    assert.deepEqual(rows.get('lonely')?.slice(0, 3), ['True', 'later', digestOf(COUNTER)]);
    for (const row of rows.values()) assert.match(row[3] ?? '', /^\d+(s|m)/);
  });
  it('turns the Faaslets of a deleted GlassCluster ClusterNotFound', async function () {
    await kube.delete(API_VERSION, 'GlassCluster', ns, 'later');
    await waitForCondition(kube, ref('lonely'), { status: 'False', reason: 'ClusterNotFound' });
  });
});
