import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ConfigMap, Faaslet } from '@glass/crds';
import { InvalidModuleError } from '../../src/runtime/compile-faaslet.js';
import { resolveModuleBytes } from '../../src/runtime/module-bytes.js';
import { call, errorOf, REPO_ROOT, startRuntime } from '../support/runtime-server.js';

const GO_COUNTER = readFileSync(join(REPO_ROOT, 'guests/build/counter-go.wasm'));

function faasletOn(key: string): Faaslet {
  return {
    apiVersion: 'glass.dev/v1alpha1',
    kind: 'Faaslet',
    metadata: { name: 'f' },
    spec: { module: { configMapRef: { name: 'm', key } } },
  } as unknown as Faaslet;
}

function configMapWith(key: string, bytes: Uint8Array): Map<string, ConfigMap> {
  const cm = {
    metadata: { name: 'm' },
    binaryData: { [key]: Buffer.from(bytes).toString('base64') },
  };
  return new Map([['m', cm as unknown as ConfigMap]]);
}

describe('modules stored gzip-compressed in a ConfigMap (ADR 0091)', function () {
  it('reads a gzip-compressed module back to its exact bytes, and a plain one as it is', async function () {
    const gz = gzipSync(GO_COUNTER, { level: 9 });
    assert.ok(gz.length < 1024 * 1024, `compressed to ${gz.length} bytes`);
    const back = await resolveModuleBytes(
      faasletOn('module.wasm.gz'),
      configMapWith('module.wasm.gz', gz),
    );
    assert.deepEqual(Buffer.from(back), GO_COUNTER);
    const plain = await resolveModuleBytes(
      faasletOn('module.wasm'),
      configMapWith('module.wasm', GO_COUNTER),
    );
    assert.deepEqual(Buffer.from(plain), GO_COUNTER);
  });

  const bad = [
    {
      name: 'truncated gzip',
      bytes: gzipSync(GO_COUNTER).subarray(0, 1000),
      message: /ConfigMap m key k holds gzip that does not decompress/,
    },
    {
      name: 'a gzip bomb over 64 MiB',
      bytes: gzipSync(Buffer.alloc(65 * 1024 * 1024)),
      message: /does not decompress to at most 67108864 bytes/,
    },
  ];
  for (const tc of bad) {
    it(`refuses ${tc.name} as an invalid module, naming the ConfigMap key`, async function () {
      await assert.rejects(
        resolveModuleBytes(faasletOn('k'), configMapWith('k', tc.bytes)),
        (error: Error) => {
          assert.ok(error instanceof InvalidModuleError);
          assert.match(error.message, tc.message);
          return true;
        },
      );
    });
  }

  it('serves a gzip-compressed Go module from YAML in local mode, while a broken one is refused', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'glass-gz-'));
    const doc = (name: string, bytes: Uint8Array): string => `apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}-module}
binaryData: {module.wasm.gz: ${Buffer.from(bytes).toString('base64')}}
---
apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: ${name}}
spec:
  module: {configMapRef: {name: ${name}-module, key: module.wasm.gz}}
  abi: glass
`;
    await writeFile(join(dir, 'good.yaml'), doc('gzgo', gzipSync(GO_COUNTER)));
    await writeFile(join(dir, 'broken.yaml'), doc('broken', gzipSync(GO_COUNTER).subarray(0, 100)));
    const rt = await startRuntime([dir]);
    try {
      assert.equal((await call(rt.base, 'POST', '/invoke/gzgo/add', '10')).text, '10');
      assert.equal((await call(rt.base, 'POST', '/invoke/gzgo/add', '10')).text, '20');
      const missing = await call(rt.base, 'POST', '/invoke/broken/add', '1');
      assert.equal(missing.status, 404);
      assert.equal(errorOf(missing).code, 'not_found');
    } finally {
      await rt.close();
    }
  });
});
