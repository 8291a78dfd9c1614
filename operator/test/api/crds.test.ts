// The generated CRDs on a real kube-apiserver: accepted, every sample accepted, and invalid
// objects refused by the server itself with the message the zod schemas give.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeZodError, Faaslet, GlassCluster, MODULE_FILE_LOCAL_ONLY } from '@glass/crds';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  REPO_ROOT,
  type ControlPlane,
} from '../support/control-plane.js';
import {
  faaslet,
  glassCluster,
  inNamespace,
  withModule,
  withSpec,
  type Option,
} from '../support/fixtures.js';
import { serverMessage, TestKube, type Obj } from '../support/kube.js';

const SAMPLES = join(REPO_ROOT, 'crds', 'samples');
const EMPTY_MODULE = 'AGFzbQEAAAA=';
const SHA = 'a'.repeat(64);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return entry.endsWith('.yaml') ? [path] : [];
  });
}

interface Invalid {
  name: string;
  object: (ns: string) => Obj;
  /** What the server must say (a part of its message). */
  message: string;
  /** For a cross-field (CEL) rule: zod's refinement says exactly the same. */
  sameAsZod?: boolean;
  /** Valid in local mode, which parses with zod alone: only the API server refuses it. */
  localModeOnly?: boolean;
}

const f =
  (...options: Option[]) =>
  (ns: string) =>
    faaslet('bad', inNamespace(ns), ...options);
const gc =
  (...options: Option[]) =>
  (ns: string) =>
    glassCluster('bad', inNamespace(ns), ...options);
const inline = withModule({ inline: EMPTY_MODULE });

const invalid: Invalid[] = [
  {
    name: 'a Faaslet with no module source',
    object: f(withModule({})),
    message:
      'spec.module: Invalid value: exactly one of configMapRef, url, inline or file must be set',
    sameAsZod: true,
  },
  {
    name: 'a Faaslet with two module sources',
    object: f(withModule({ inline: EMPTY_MODULE, configMapRef: { name: 'm', key: 'k' } })),
    message:
      'spec.module: Invalid value: exactly one of configMapRef, url, inline or file must be set',
    sameAsZod: true,
  },
  {
    name: 'a Faaslet with a url and no sha256',
    object: f(withModule({ url: 'http://127.0.0.1/m.wasm' })),
    message: 'spec.module: Invalid value: url requires sha256',
    sameAsZod: true,
  },
  {
    // Local mode reads module files beside its YAML; a pod must never (ADR 0122).
    name: 'a Faaslet whose module is a file (local mode only)',
    object: f(withModule({ file: 'counter.wasm' })),
    message: `spec.module: Invalid value: ${MODULE_FILE_LOCAL_ONLY}`,
    localModeOnly: true,
  },
  {
    name: 'a Faaslet whose url is not http(s)',
    object: f(withModule({ url: 'ftp://127.0.0.1/m.wasm', sha256: SHA })),
    message: "spec.module.url in body should match '^https?:\\/\\/'",
  },
  {
    name: 'a Faaslet whose sha256 is not 64 hex digits',
    object: f(withModule({ url: 'http://127.0.0.1/m.wasm', sha256: 'abc' })),
    message: "spec.module.sha256 in body should match '^[a-f0-9]{64}$'",
  },
  {
    name: 'a Faaslet whose inline module is not base64',
    object: f(withModule({ inline: 'not base64!' })),
    message: 'spec.module.inline in body should match',
  },
  {
    name: 'a Faaslet with an unknown abi',
    object: f(inline, withSpec('abi', 'wasm32')),
    message: 'spec.abi: Unsupported value: "wasm32": supported values: "glass", "wasi-command"',
  },
  {
    name: 'a Faaslet with an unknown durability',
    object: f(inline, withSpec('state.durability', 'forever')),
    message: 'spec.state.durability: Unsupported value: "forever"',
  },
  {
    name: 'a Faaslet whose timeout is not a duration',
    object: f(inline, withSpec('limits.timeout', '5 seconds')),
    message: "spec.limits.timeout in body should match '^[0-9]+(ms|s|m)$'",
  },
  {
    name: 'a Faaslet whose memory is not a quantity',
    object: f(inline, withSpec('limits.memory', 'lots')),
    message: 'spec.limits.memory in body should match',
  },
  {
    name: 'a Faaslet whose cluster is not a DNS label',
    object: f(inline, withSpec('cluster', 'Glass_1')),
    message: "spec.cluster in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
  },
  {
    name: 'a Faaslet with maxConcurrency 0',
    object: f(inline, withSpec('limits.maxConcurrency', 0)),
    message: 'spec.limits.maxConcurrency in body should be greater than or equal to 1',
  },
  {
    name: 'a Faaslet with an env name that is not one',
    object: f(inline, withSpec('env', [{ name: '1X', value: 'a' }])),
    message: 'spec.env[0].name in body should match',
  },
  {
    name: 'a GlassCluster whose redis has both url and secretRef',
    object: gc(
      withSpec('state', { redis: { url: 'redis://r:6379', secretRef: { name: 's', key: 'k' } } }),
    ),
    message: 'spec.state.redis: Invalid value: exactly one of url or secretRef must be set',
    sameAsZod: true,
  },
  {
    name: 'a GlassCluster whose redis has neither url nor secretRef',
    object: gc(withSpec('state', { redis: {} })),
    message: 'spec.state.redis: Invalid value: exactly one of url or secretRef must be set',
    sameAsZod: true,
  },
  {
    name: 'a GlassCluster with both redis and managed',
    object: gc(withSpec('state', { redis: { url: 'redis://r:6379' }, managed: true })),
    message: 'spec.state: Invalid value: redis and managed are mutually exclusive',
    sameAsZod: true,
  },
  {
    name: 'a GlassCluster with a managed Redis image but no managed Redis',
    object: gc(withSpec('state', { redis: { url: 'redis://r:6379' }, managedImage: 'redis:7' })),
    message: 'spec.state: Invalid value: managedImage needs managed: true',
    sameAsZod: true,
  },
  {
    name: 'a GlassCluster whose redis url is not redis://',
    object: gc(withSpec('state', { redis: { url: 'http://r:6379' } })),
    message: "spec.state.redis.url in body should match '^rediss?:\\/\\/'",
  },
  {
    name: 'a GlassCluster with an unknown routing key',
    object: gc(withSpec('router.keys', ['cookie'])),
    message: 'spec.router.keys[0]: Unsupported value: "cookie"',
  },
  {
    name: 'a GlassCluster with no routing keys',
    object: gc(withSpec('router.keys', [])),
    message: 'spec.router.keys in body should have at least 1 items',
  },
  {
    name: 'a GlassCluster with negative replicas',
    object: gc(withSpec('replicas', -1)),
    message: 'spec.replicas in body should be greater than or equal to 0',
  },
  {
    name: 'a GlassCluster whose health-check interval is not a duration',
    object: gc(withSpec('router.healthCheck.interval', 'soon')),
    message: "spec.router.healthCheck.interval in body should match '^[0-9]+(ms|s|m)$'",
  },
  {
    name: 'a GlassCluster whose image pull secret could not be a Secret name',
    object: gc(withSpec('imagePullSecrets', [{ name: 'regcred' }, { name: 'Reg_Cred' }])),
    message: 'spec.imagePullSecrets[1].name in body should match',
  },
  {
    name: 'a GlassCluster whose image pull secret has no name',
    object: gc(withSpec('imagePullSecrets', [{}])),
    message: 'spec.imagePullSecrets[0].name: Required value',
  },
  {
    name: 'a GlassCluster with more than 16 image pull secrets',
    object: gc(
      withSpec(
        'imagePullSecrets',
        Array.from({ length: 17 }, (_, i) => ({ name: `s${i}` })),
      ),
    ),
    message: 'spec.imagePullSecrets: Too many: 17: must have at most 16 items',
  },
];

describe('the generated CRDs on a real API server', function () {
  let cp: ControlPlane;
  let kube: TestKube;
  let ns: string;

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
    ns = await kube.namespace('crds');
  });

  after(async function () {
    await kube.deleteNamespace(ns);
  });

  it("accepts both CRDs by the README's `kubectl apply --server-side -k crds/`, applying nothing else of the folder, and serves them Established", async function () {
    const out = await cp.kubectlOk(['apply', '--server-side', '-k', join(REPO_ROOT, 'crds')]);
    assert.deepEqual(out.trim().split('\n').sort(), [
      'customresourcedefinition.apiextensions.k8s.io/faaslets.glass.dev serverside-applied',
      'customresourcedefinition.apiextensions.k8s.io/glassclusters.glass.dev serverside-applied',
    ]);
    for (const name of ['faaslets.glass.dev', 'glassclusters.glass.dev']) {
      const crd = JSON.parse(await cp.kubectlOk(['get', 'crd', name, '-o', 'json'])) as {
        status: { conditions: { type: string; status: string }[] };
      };
      const status = Object.fromEntries(crd.status.conditions.map((c) => [c.type, c.status]));
      assert.equal(status.Established, 'True', name);
      assert.equal(status.NamesAccepted, 'True', name);
    }
  });

  it('accepts every sample in crds/samples', async function () {
    const files = yamlFiles(SAMPLES);
    assert.ok(files.length >= 8, `samples found: ${files.length}`);
    const documents = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split(/^---$/m)
        .filter((doc) => /^kind:/m.test(doc)),
    );
    const out = await cp.kubectlOk([
      'apply',
      '--server-side',
      '-n',
      ns,
      '-R',
      '-f',
      SAMPLES,
      '-o',
      'name',
    ]);
    const applied = out.trim().split('\n');
    assert.equal(applied.length, documents.length, out);
    const faaslets = await kube.list('glass.dev/v1alpha1', 'Faaslet', ns);
    const expected = documents.filter((doc) => /^kind: Faaslet$/m.test(doc)).length;
    assert.equal(faaslets.length, expected);
  });

  it('accepts the language samples as their comments say to apply them, the 1.9 MB Go module gzip-compressed under 1 MiB', async function () {
    const sample = (path: string): string => join(REPO_ROOT, 'crds', path);
    for (const path of ['languages/counter-c.yaml', 'languages/counter-rust.yaml', 'prototype']) {
      await cp.kubectlOk(['apply', '-n', ns, '-f', sample(path), '-o', 'name']);
    }
    // Client-side apply would copy the ~0.75 MB object into an annotation, capped at 256 KiB.
    const go = ['apply', '--server-side', '-n', ns, '-f', sample('languages/counter-go.yaml')];
    await cp.kubectlOk(go);
    const cm = await kube.get('v1', 'ConfigMap', ns, 'counter-go-module');
    const data = (cm as { binaryData?: Record<string, string> }).binaryData ?? {};
    assert.deepEqual(Object.keys(data), ['module.wasm.gz']);
    assert.ok(Buffer.from(data['module.wasm.gz'] ?? '', 'base64').length < 1024 * 1024);
    const faaslets = await kube.list('glass.dev/v1alpha1', 'Faaslet', ns);
    const names = faaslets.map((f) => f.metadata?.name ?? '');
    for (const name of ['counter-go', 'counter-c', 'counter-rust', 'prototype'])
      assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
  });

  for (const tc of invalid) {
    it(`refuses ${tc.name}: "${tc.message}"`, async function () {
      const object = tc.object(ns);
      const message = await kube.create(object).then(
        () => assert.fail('the server accepted it'),
        (error: unknown) => serverMessage(error),
      );
      assert.ok(message.includes(tc.message), `server said: ${message}`);
      const zod = (object.kind === 'Faaslet' ? Faaslet : GlassCluster).safeParse(object);
      assert.equal(
        zod.success,
        tc.localModeOnly === true,
        'zod refuses it too, unless local mode takes it',
      );
      if (tc.sameAsZod && zod.error) {
        const rule = tc.message.split('Invalid value: ')[1] ?? '';
        assert.ok(
          zod.error.issues.some((issue) => issue.message === rule),
          `zod said: ${describeZodError(zod.error)}`,
        );
      }
    });
  }
});
