import { strict as assert } from 'node:assert';
import {
  describeZodError,
  durationToMs,
  Faaslet,
  GlassCluster,
  parseManifests,
  quantityToBytes,
} from '../src/index.js';

type Options = Record<string, unknown>;

/** A valid Faaslet, changed by each option: `spec.limits` merges, others replace. */
function faaslet(spec: Options = {}, metadata: Options = {}): unknown {
  return {
    apiVersion: 'glass.dev/v1alpha1',
    kind: 'Faaslet',
    metadata: { name: 'f', ...metadata },
    spec: { module: { inline: 'AGFzbQEAAAA=' }, ...spec },
  };
}

describe('the Faaslet schema', function () {
  it('fills in the defaults a user may leave out', function () {
    const parsed = Faaslet.parse(faaslet());
    assert.equal(parsed.spec.cluster, 'glass');
    assert.equal(parsed.spec.abi, 'glass');
    assert.deepEqual(parsed.spec.limits, {
      timeout: '5s',
      memory: '64Mi',
      maxConcurrency: 1000,
      maxInstances: 64,
    });
    assert.deepEqual(parsed.spec.state, {
      durability: 'local',
      quota: {
        maxValueSize: '1Mi',
        maxTransactionBytes: '4Mi',
        maxKeys: 10_000,
        maxNamespaceBytes: '64Mi',
      },
    });
    assert.deepEqual(parsed.spec.args, []);
  });

  const invalid = [
    {
      name: 'a state quota of zero keys',
      value: faaslet({ state: { quota: { maxKeys: 0 } } }),
      message: /maxKeys/,
    },
    {
      name: 'a state quota that is no quantity',
      value: faaslet({ state: { quota: { maxValueSize: 'lots' } } }),
      message: /maxValueSize/,
    },
    {
      name: 'no module source',
      value: faaslet({ module: {} }),
      message: /exactly one of configMapRef, url, inline or file/,
    },
    {
      name: 'two module sources',
      value: faaslet({ module: { inline: 'AA==', configMapRef: { name: 'm', key: 'k' } } }),
      message: /exactly one of configMapRef, url, inline or file/,
    },
    {
      name: 'a url without sha256',
      value: faaslet({ module: { url: 'https://example.invalid/m.wasm' } }),
      message: /sha256: url requires sha256/,
    },
    {
      name: 'a bad sha256',
      value: faaslet({ module: { url: 'https://example.invalid/m.wasm', sha256: 'abc' } }),
      message: /module\.sha256: must be 64 lowercase hex/,
    },
    {
      name: 'inline that is not base64',
      value: faaslet({ module: { inline: 'not base64!' } }),
      message: /module\.inline/,
    },
    {
      name: 'a module file outside its YAML folder',
      value: faaslet({ module: { file: '../other/m.wasm' } }),
      message: /module\.file: must be a relative path beside or below the YAML/,
    },
    {
      name: 'a module file by absolute path',
      value: faaslet({ module: { file: '/etc/m.wasm' } }),
      message: /module\.file: must be a relative path beside or below the YAML/,
    },
    {
      name: 'a module file and a ConfigMap',
      value: faaslet({ module: { file: 'm.wasm', configMapRef: { name: 'm', key: 'k' } } }),
      message: /exactly one of configMapRef, url, inline or file/,
    },
    {
      name: 'an unknown abi',
      value: faaslet({ abi: 'wasi-reactor' }),
      message: /abi: Invalid option/,
    },
    {
      name: 'a timeout without unit',
      value: faaslet({ limits: { timeout: '5' } }),
      message: /limits\.timeout: must be a duration/,
    },
    {
      name: 'a memory that is not a quantity',
      value: faaslet({ limits: { memory: 'lots' } }),
      message: /limits\.memory: must be a quantity/,
    },
    {
      name: 'a zero maxConcurrency',
      value: faaslet({ limits: { maxConcurrency: 0 } }),
      message: /limits\.maxConcurrency: Too small/,
    },
    {
      name: 'an unknown durability',
      value: faaslet({ state: { durability: 'forever' } }),
      message: /state\.durability: Invalid option/,
    },
    {
      name: 'a namespace that is not a DNS label',
      value: faaslet({ state: { namespace: 'A_B' } }),
      message: /state\.namespace: must be a DNS-1123 label/,
    },
    {
      name: 'an env name with a space',
      value: faaslet({ env: [{ name: 'A B', value: '1' }] }),
      message: /env\.0\.name: must be an environment variable name/,
    },
    {
      name: 'an upper-case name',
      value: faaslet({}, { name: 'Counter' }),
      message: /metadata\.name: must be a DNS-1123 label/,
    },
  ];
  for (const tc of invalid) {
    it(`rejects ${tc.name}`, function () {
      const parsed = Faaslet.safeParse(tc.value);
      assert.ok(parsed.error, 'the schema accepted it');
      assert.match(describeZodError(parsed.error), tc.message);
    });
  }
});

describe('the GlassCluster schema', function () {
  const cluster = (spec: Options): unknown => ({
    apiVersion: 'glass.dev/v1alpha1',
    kind: 'GlassCluster',
    metadata: { name: 'glass' },
    spec,
  });

  it('defaults the router to 150 virtual nodes and the DESIGN.md key order', function () {
    const parsed = GlassCluster.parse(cluster({}));
    assert.equal(parsed.spec.router.virtualNodes, 150);
    assert.deepEqual(parsed.spec.router.keys, ['user-id', 'session', 'function', 'client-ip']);
    assert.equal(parsed.spec.replicas, 2);
    assert.equal(parsed.spec.imagePullSecrets, undefined);
  });

  it('takes image pull secrets named as Secrets may be, dots included', function () {
    const secrets = [{ name: 'regcred' }, { name: 'registry.example.com-pull' }];
    const parsed = GlassCluster.parse(cluster({ imagePullSecrets: secrets }));
    assert.deepEqual(parsed.spec.imagePullSecrets, secrets);
  });

  const invalid = [
    {
      name: 'redis with both url and secretRef',
      spec: { state: { redis: { url: 'redis://r:6379', secretRef: { name: 's', key: 'k' } } } },
      message: /exactly one of url or secretRef/,
    },
    {
      name: 'redis and managed together',
      spec: { state: { managed: true, redis: { url: 'redis://r:6379' } } },
      message: /mutually exclusive/,
    },
    {
      name: 'a managed Redis image without managed',
      spec: { state: { managedImage: 'mirror.internal/redis:7' } },
      message: /managedImage needs managed: true/,
    },
    {
      name: 'a redis url of another scheme',
      spec: { state: { redis: { url: 'http://r' } } },
      message: /redis:\/\/ or rediss:\/\//,
    },
    {
      name: 'an unknown routing key',
      spec: { router: { keys: ['cookie-jar'] } },
      message: /router\.keys\.0: Invalid option/,
    },
    { name: 'negative replicas', spec: { replicas: -1 }, message: /replicas: Too small/ },
    {
      name: 'an image pull secret name that is not a DNS-1123 subdomain',
      spec: { imagePullSecrets: [{ name: 'Reg_Cred' }] },
      message: /imagePullSecrets\.0\.name: must be a DNS-1123 subdomain/,
    },
    {
      name: 'an image pull secret with no name',
      spec: { imagePullSecrets: [{}] },
      message: /imagePullSecrets\.0\.name/,
    },
    {
      name: 'more than 16 image pull secrets',
      spec: { imagePullSecrets: Array.from({ length: 17 }, (_, i) => ({ name: `s${i}` })) },
      message: /imagePullSecrets: Too big/,
    },
  ];
  for (const tc of invalid) {
    it(`rejects ${tc.name}`, function () {
      const parsed = GlassCluster.safeParse(cluster(tc.spec));
      assert.ok(parsed.error, 'the schema accepted it');
      assert.match(describeZodError(parsed.error), tc.message);
    });
  }
});

describe('parseManifests', function () {
  it('returns the good documents, counts other kinds, and locates each bad one', function () {
    const text = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\nbinaryData: {module.wasm: AGFzbQEAAAA=}',
      'apiVersion: glass.dev/v1alpha1\nkind: Faaslet\nmetadata: {name: good}\nspec:\n  module: {configMapRef: {name: m, key: module.wasm}}',
      'apiVersion: v1\nkind: Service\nmetadata: {name: s}',
      'apiVersion: glass.dev/v1alpha1\nkind: Faaslet\nmetadata: {name: bad}\nspec:\n  module: {inline: AA==}\n  limits: {memory: huge}',
      'key: [unclosed',
    ].join('\n---\n');
    const parsed = parseManifests(text, 'file.yaml');
    assert.deepEqual(
      parsed.manifests.map((m) => `${m.kind}/${m.object.metadata.name}`),
      ['ConfigMap/m', 'Faaslet/good'],
    );
    assert.equal(parsed.ignored, 1);
    assert.equal(parsed.problems.length, 2);
    assert.deepEqual(
      { ...parsed.problems[0], message: undefined },
      { source: 'file.yaml', document: 4, name: 'bad', message: undefined },
    );
    assert.match(parsed.problems[0]?.message ?? '', /spec\.limits\.memory: must be a quantity/);
    const [, yamlProblem] = parsed.problems;
    assert.ok(yamlProblem);
    assert.equal(yamlProblem.document, 5);
    assert.match(yamlProblem.message, /invalid YAML/);
  });
});

describe('quantities and durations', function () {
  const quantities: [string, number][] = [
    ['64Mi', 64 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['500k', 500_000],
    ['1.5Ki', 1536],
    ['7', 7],
  ];
  for (const [text, bytes] of quantities) {
    it(`reads ${text} as ${bytes} bytes`, function () {
      assert.equal(quantityToBytes(text), bytes);
    });
  }
  const durations: [string, number][] = [
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
  ];
  for (const [text, ms] of durations) {
    it(`reads ${text} as ${ms} ms`, function () {
      assert.equal(durationToMs(text), ms);
    });
  }
  it('refuses what the schemas would not have accepted', function () {
    assert.throws(() => quantityToBytes('lots'), /not a quantity/);
    assert.throws(() => durationToMs('soon'), /not a duration/);
  });
});
