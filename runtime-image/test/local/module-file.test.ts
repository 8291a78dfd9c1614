// Local mode: a Faaslet whose module is a file beside its YAML (ADR 0122), served by the real
// `glass up` (runtime children and the router's catalog both read it), from another cwd.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Faaslet } from '@glass/crds';
import { resolveModuleBytes } from '../../src/runtime/module-bytes.js';
import { call, killAll, Pool, type Spawned } from '../router/helpers.js';
import { startGlassUp } from '../support/glass-up.js';
import { REPO_ROOT } from '../support/runtime-server.js';

const guest = (name: string): string => join(REPO_ROOT, 'guests/build', `${name}.wasm`);

function faasletYaml(name: string, file: string): string {
  return `apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: ${name}}
spec:
  module: {file: ${file}}
  state: {namespace: ${name}, durability: local}
`;
}

/** A project folder as a user keeps one: YAML with the modules beside and below it. */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'glass-module-file-'));
  await copyFile(guest('counter-c'), join(dir, 'counter.wasm'));
  await mkdir(join(dir, 'modules'));
  // The Go counter gzip-compressed, as a ConfigMap would hold it (ADR 0091).
  await writeFile(
    join(dir, 'modules/counter-go.wasm.gz'),
    gzipSync(await readFile(guest('counter-go'))),
  );
  await writeFile(join(dir, 'counter-c.yaml'), faasletYaml('file-c', 'counter.wasm'));
  await writeFile(
    join(dir, 'counter-go.yaml'),
    faasletYaml('file-go', 'modules/counter-go.wasm.gz'),
  );
  return dir;
}

describe('a local-mode Faaslet whose module is a file beside its YAML', function () {
  this.timeout(120_000);

  describe('through glass up (real processes)', function () {
    let up: Spawned;
    let pool: Pool;

    before(async function () {
      let url: string;
      ({ up, url } = await startGlassUp(['--runtimes', '2', '--faaslets', await project()]));
      pool = new Pool(url, { connections: 4 });
    });
    after(async function () {
      await pool.close();
      await up.stop('SIGTERM');
      await killAll();
    });

    for (const name of ['file-c', 'file-go']) {
      it(`${name}: add?value=10 answers 10, then 20`, async function () {
        const first = await call(pool, `/invoke/${name}/add?value=10`);
        const second = await call(pool, `/invoke/${name}/add?value=10`);
        assert.deepEqual(
          [first.status, first.json, second.status, second.json],
          [200, 10, 200, 20],
        );
      });
    }
  });

  const refused = [
    {
      name: 'in Kubernetes mode (no YAML directory), a file is refused, saying what to use',
      file: 'counter.wasm',
      yamlDir: undefined,
      message:
        /spec\.module\.file is for local mode only .* use configMapRef \(glass deploy\) or url/,
    },
    {
      name: 'a file that is not there is named in the error',
      file: 'missing.wasm',
      yamlDir: tmpdir(),
      message: /spec\.module\.file missing\.wasm: no such file beside its YAML/,
    },
  ];
  for (const tc of refused) {
    it(tc.name, async function () {
      const faaslet = Faaslet.parse({
        apiVersion: 'glass.dev/v1alpha1',
        kind: 'Faaslet',
        metadata: { name: 'f' },
        spec: { module: { file: tc.file } },
      });
      await assert.rejects(
        resolveModuleBytes(faaslet, new Map(), undefined, tc.yamlDir),
        tc.message,
      );
    });
  }
});
