// `glass deploy`, as a real process: the YAML it prints parses back through parseManifests (what
// `glass runtime` and the operator read) to the same module bytes; what it refuses, it refuses
// with a message and nothing on stdout; `--apply` writes the objects to a real API server.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifests, type ConfigMap, type Faaslet } from '@glass/crds';
import { resolveModuleBytes } from '../../src/runtime/module-bytes.js';
import { GLASS_BIN } from '../support/cli-process.js';
import { run, startControlPlane, type ControlPlane, type Run } from '../support/control-plane.js';
import { REPO_ROOT } from '../support/runtime-server.js';

/** Made in before(): one byte more than a ConfigMap holds, and incompressible. */
const TOO_BIG = join(tmpdir(), `glass-deploy-too-big-${process.pid}.wasm`);
const MISSING = join(tmpdir(), `glass-deploy-missing-${process.pid}.wasm`);
const guest = (name: string): string => join(REPO_ROOT, 'guests', 'build', `${name}.wasm`);
const glass = (args: string[]): Promise<Run> =>
  run(process.execPath, [GLASS_BIN, ...args], { cwd: REPO_ROOT });

/** Runs `glass deploy ARGS` and parses what it printed; fails on any problem or ignored document. */
async function deploy(args: string[]): Promise<{ faaslet: Faaslet; configMaps: ConfigMap[] }> {
  const result = await glass(['deploy', ...args]);
  assert.equal(result.code, 0, result.stderr);
  const parsed = parseManifests(result.stdout, 'glass deploy output');
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.ignored, 0);
  const faaslets = parsed.manifests.flatMap((m) => (m.kind === 'Faaslet' ? [m.object] : []));
  const configMaps = parsed.manifests.flatMap((m) => (m.kind === 'ConfigMap' ? [m.object] : []));
  assert.equal(faaslets.length, 1);
  return { faaslet: faaslets[0]!, configMaps };
}

interface PrintCase {
  name: string;
  args: string[];
  module: string;
  configMap: boolean;
  expect: (f: Faaslet) => void;
}

const printed: PrintCase[] = [
  {
    name: 'a ~1.9 MB Go module gzip-compressed into its ConfigMap (over 1 MiB raw)',
    args: [guest('counter-go'), '--name', 'counter-go'],
    module: guest('counter-go'),
    configMap: true,
    expect: (f) => {
      assert.deepEqual(f.spec.module.configMapRef, {
        name: 'counter-go-module',
        key: 'module.wasm.gz',
      });
    },
  },
  {
    name: 'a module in a ConfigMap and a Faaslet of the default cluster',
    args: [guest('counter'), '--name', 'my-counter'],
    module: guest('counter'),
    configMap: true,
    expect: (f) => {
      assert.equal(f.metadata.name, 'my-counter');
      assert.equal(f.metadata.namespace, undefined);
      assert.equal(f.spec.cluster, 'glass');
      assert.equal(f.spec.abi, 'glass');
      assert.deepEqual(f.spec.module.configMapRef, {
        name: 'my-counter-module',
        key: 'module.wasm',
      });
    },
  },
  {
    name: 'the cluster, namespace, exports, limits and durability given',
    args: [
      guest('kv'),
      '--name',
      'kv',
      '--cluster',
      'other',
      '--namespace',
      'team-a',
      '--exports',
      'put,get',
      '--timeout',
      '2s',
      '--memory',
      '32Mi',
      '--durability',
      'global',
    ],
    module: guest('kv'),
    configMap: true,
    expect: (f) => {
      assert.equal(f.metadata.namespace, 'team-a');
      assert.equal(f.spec.cluster, 'other');
      assert.deepEqual(f.spec.exports, ['put', 'get']);
      assert.equal(f.spec.limits.timeout, '2s');
      assert.equal(f.spec.limits.memory, '32Mi');
      assert.equal(f.spec.state.durability, 'global');
    },
  },
  {
    name: 'a WASI command',
    args: [guest('echo-wasi'), '--name', 'echo', '--abi', 'wasi-command'],
    module: guest('echo-wasi'),
    configMap: true,
    expect: (f) => {
      assert.equal(f.spec.abi, 'wasi-command');
    },
  },
  {
    name: 'a name YAML 1.1 would read as a boolean, quoted',
    args: [guest('counter'), '--name', 'no'],
    module: guest('counter'),
    configMap: true,
    expect: (f) => {
      assert.equal(f.metadata.name, 'no');
    },
  },
  {
    name: 'a module at a URL, pinned by its sha256, and no ConfigMap',
    args: [guest('counter'), '--name', 'far', '--url', 'https://modules.example/counter.wasm'],
    module: guest('counter'),
    configMap: false,
    expect: (f) => {
      assert.equal(f.spec.module.url, 'https://modules.example/counter.wasm');
      assert.equal(
        f.spec.module.sha256,
        createHash('sha256')
          .update(readFileSync(guest('counter')))
          .digest('hex'),
      );
    },
  },
];

interface RefusedCase {
  name: string;
  args: string[];
  message: RegExp;
}

describe('glass deploy', function () {
  before(function () {
    writeFileSync(TOO_BIG, randomBytes(1024 * 1024 + 1));
  });
  after(function () {
    rmSync(TOO_BIG, { force: true });
  });

  for (const tc of printed) {
    it(`prints ${tc.name}, which parses back to the same module`, async function () {
      const { faaslet, configMaps } = await deploy(tc.args);
      tc.expect(faaslet);
      assert.equal(configMaps.length, tc.configMap ? 1 : 0);
      if (tc.configMap) {
        const bytes = await resolveModuleBytes(
          faaslet,
          new Map(configMaps.map((c) => [c.metadata.name, c])),
        );
        assert.deepEqual(Buffer.from(bytes), readFileSync(tc.module));
        assert.equal(configMaps[0]?.metadata.namespace, faaslet.metadata.namespace);
      }
    });
  }

  it('names the curl line of each export in its header', async function () {
    const result = await glass(['deploy', guest('counter'), '--name', 'c']);
    for (const name of ['add', 'multiply', 'get']) {
      assert.match(
        result.stdout,
        new RegExp(`^#   curl -X POST localhost:8080/invoke/c/${name}$`, 'm'),
      );
    }
  });

  const refused: RefusedCase[] = [
    {
      name: 'a name that is not a DNS label',
      args: [guest('counter'), '--name', 'Bad_Name'],
      message: /name: must be a DNS-1123 label/,
    },
    {
      name: 'a file that is not WebAssembly',
      args: [join(REPO_ROOT, 'crds', 'samples', 'counter.yaml'), '--name', 'x'],
      message: /not a valid WebAssembly module/,
    },
    {
      name: 'a module importing what the host does not provide',
      args: [guest('bad-import'), '--name', 'x'],
      message: /imports what the host does not provide: glass\.launch_missiles/,
    },
    {
      name: 'a glass module deployed as a WASI command',
      args: [guest('counter'), '--name', 'x', '--abi', 'wasi-command'],
      message: /a wasi-command module must export _start/,
    },
    {
      name: 'exports the module does not have',
      args: [guest('counter'), '--name', 'x', '--exports', 'add,launch'],
      message: /spec\.exports names what the module does not export: launch/,
    },
    {
      name: 'a timeout that is not a duration',
      args: [guest('counter'), '--name', 'x', '--timeout', 'soon'],
      message: /timeout: must be a duration/,
    },
    {
      name: 'a module too big for a ConfigMap, pointing at --url',
      args: [TOO_BIG, '--name', 'x'],
      message: /gzip-compressed\); a ConfigMap holds at most 1 MiB: host the module and pass --url/,
    },
    {
      name: 'a file that is not there',
      args: [MISSING, '--name', 'x'],
      message: /ENOENT/,
    },
  ];
  for (const tc of refused) {
    it(`refuses ${tc.name}, with its reason, a non-zero exit and nothing on stdout`, async function () {
      const result = await glass(['deploy', ...tc.args]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, tc.message);
      assert.equal(result.stdout, '');
    });
  }

  describe('--apply, against a real API server', function () {
    let plane: ControlPlane;
    const apply = (args: string[]): Promise<Run> =>
      glass(['deploy', ...args, '--apply', '--kubeconfig', plane.kubeconfig]);
    const faasletOf = async (ns: string, name: string): Promise<Faaslet> =>
      JSON.parse(await plane.kubectl(['get', 'faaslet', name, '-n', ns, '-o', 'json'])) as Faaslet;

    before(async function () {
      this.timeout(50 * 60_000); // the first start may build the binaries
      plane = await startControlPlane();
      await plane.kubectl(['create', 'namespace', 'deploy-test']);
    });
    after(async function () {
      this.timeout(120_000);
      await plane.down();
    });

    it('says the CRDs are missing when they are', async function () {
      const result = await apply([
        guest('counter'),
        '--name',
        'early',
        '--namespace',
        'deploy-test',
      ]);
      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        /applying faaslet\/early in namespace deploy-test: 404 .*are the Glass CRDs installed\?/,
      );
    });

    it('creates the ConfigMap and the Faaslet with server-side apply', async function () {
      await plane.kubectl([
        'apply',
        '--server-side',
        '-f',
        join(REPO_ROOT, 'crds', 'faaslets.glass.dev.yaml'),
        '-f',
        join(REPO_ROOT, 'crds', 'glassclusters.glass.dev.yaml'),
      ]);
      await plane.kubectl([
        'wait',
        '--for=condition=Established',
        'crd/faaslets.glass.dev',
        '--timeout=60s',
      ]);
      const result = await apply([
        guest('counter'),
        '--name',
        'counter',
        '--namespace',
        'deploy-test',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /^configmap\/counter-module serverside-applied \(namespace deploy-test\)$/m,
      );
      assert.match(
        result.stdout,
        /^faaslet\/counter serverside-applied \(namespace deploy-test\)$/m,
      );

      const configMap = JSON.parse(
        await plane.kubectl([
          'get',
          'configmap',
          'counter-module',
          '-n',
          'deploy-test',
          '-o',
          'json',
          '--show-managed-fields',
        ]),
      ) as ConfigMap & { metadata: { managedFields: { manager: string; operation: string }[] } };
      assert.deepEqual(
        Buffer.from(configMap.binaryData?.['module.wasm'] ?? '', 'base64'),
        readFileSync(guest('counter')),
      );
      assert.deepEqual(
        configMap.metadata.managedFields.map((f) => `${f.manager}/${f.operation}`),
        ['glass-deploy/Apply'],
      );
      const faaslet = await faasletOf('deploy-test', 'counter');
      assert.deepEqual(faaslet.spec.module.configMapRef, {
        name: 'counter-module',
        key: 'module.wasm',
      });
      assert.equal(faaslet.spec.cluster, 'glass');
    });

    it('writes nothing when applied again unchanged', async function () {
      const before = (await faasletOf('deploy-test', 'counter')).metadata.resourceVersion;
      const result = await apply([
        guest('counter'),
        '--name',
        'counter',
        '--namespace',
        'deploy-test',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await faasletOf('deploy-test', 'counter')).metadata.resourceVersion, before);
    });

    it('updates the Faaslet in place when a flag changes', async function () {
      const result = await apply([
        guest('counter'),
        '--name',
        'counter',
        '--namespace',
        'deploy-test',
        '--timeout',
        '3s',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await faasletOf('deploy-test', 'counter')).spec.limits.timeout, '3s');
    });

    it("uses the kubeconfig context's namespace, else default, without --namespace", async function () {
      const result = await apply([guest('echo-wasi'), '--name', 'echo', '--abi', 'wasi-command']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await faasletOf('default', 'echo')).spec.abi, 'wasi-command');
    });
  });
});
