// Issue 14's first acceptance line, on the image `make image` built: run as the README's user
// runs it (read-only root, /tmp a tmpfs, uid 65532, a port published on the host's loopback),
// it serves the classic curl; both entrypoints start; it cannot write outside /tmp; and it holds
// none of the machine's build-time settings (its CA bundle, its npm configuration).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { freePort } from '../../src/local/ports.js';
import { call } from '../support/runtime-server.js';
import {
  GLASS_IMAGE,
  podman,
  podmanOk,
  requireImage,
  runDetached,
  waitForHttp,
  type Container,
} from './podman.js';

const MACHINE_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

describe(`the Glass image (${GLASS_IMAGE})`, function () {
  this.timeout(180_000);

  before(async function () {
    await requireImage(GLASS_IMAGE);
  });

  describe('podman run --read-only --tmpfs /tmp --user 65532:65532 -p 127.0.0.1:P:8080 … runtime --port 8080 --faaslets /app/crds/samples', function () {
    let started: Container | undefined;
    let base: string;
    const container = (): Container => {
      if (started === undefined) throw new Error('the container did not start (see before all)');
      return started;
    };
    before(async function () {
      const port = await freePort();
      started = await runDetached([
        '--read-only',
        '--tmpfs',
        '/tmp',
        '--user',
        '65532:65532',
        '-p',
        `127.0.0.1:${port}:8080`,
        GLASS_IMAGE,
        'runtime',
        '--port',
        '8080',
        '--faaslets',
        '/app/crds/samples',
      ]);
      base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/ready`, started);
    });
    after(async function () {
      await started?.remove();
    });

    it('serves GET /invoke/add?value=10 twice from the host: 10, then 20', async function () {
      assert.equal((await call(base, 'GET', '/invoke/add?value=10')).text, '10');
      assert.equal((await call(base, 'GET', '/invoke/add?value=10')).text, '20');
    });

    it('runs as uid and gid 65532', async function () {
      const id = await container().exec(['id']);
      assert.equal(id.code, 0, id.stderr);
      assert.match(id.stdout, /^uid=65532\b.* gid=65532\b/);
    });

    it('cannot write to /app (read-only root), and can write to /tmp', async function () {
      const app = await container().exec(['sh', '-c', 'echo x > /app/written']);
      assert.notEqual(app.code, 0);
      assert.match(app.stderr, /Read-only file system/);
      const tmp = await container().exec(['sh', '-c', 'echo x > /tmp/written && cat /tmp/written']);
      assert.equal(tmp.code, 0, tmp.stderr);
    });
  });

  const entrypoints = [
    {
      name: 'glass (the default entrypoint)',
      args: [GLASS_IMAGE, '--help'],
      usage: /^Usage: glass \[options\] \[command\]/m,
    },
    {
      name: 'glass-operator (a command override)',
      args: ['--entrypoint', 'glass-operator', GLASS_IMAGE, '--help'],
      usage: /^Usage: glass-operator \[options\]/m,
    },
  ];
  for (const tc of entrypoints) {
    it(`starts ${tc.name}: --help answers its usage`, async function () {
      const out = await podmanOk(['run', '--rm', '--read-only', ...tc.args]);
      assert.match(out, tc.usage);
    });
  }

  it("holds neither the machine's CA bundle nor an npm configuration (they were build secrets)", async function () {
    const bundle = readFileSync(MACHINE_CA_BUNDLE);
    const digest = createHash('sha256').update(bundle).digest('hex');
    // Every file of the bundle's exact size, hashed inside the image; and any npmrc at all.
    const found = await podman([
      'run',
      '--rm',
      // root, so that find reads every directory of the image
      '--user',
      '0:0',
      '--entrypoint',
      'sh',
      GLASS_IMAGE,
      '-c',
      `find / -xdev -type f -size ${statSync(MACHINE_CA_BUNDLE).size}c -exec sha256sum {} + ; find / -xdev \\( -name npmrc -o -name .npmrc \\) -print`,
    ]);
    assert.equal(found.code, 0, found.stderr);
    assert.doesNotMatch(found.stdout, new RegExp(digest));
    assert.doesNotMatch(found.stdout, /npmrc/);
    const history = await podmanOk([
      'history',
      '--no-trunc',
      '--format',
      '{{.CreatedBy}}',
      GLASS_IMAGE,
    ]);
    assert.doesNotMatch(history, /cafile|registry=|BEGIN CERTIFICATE/);
  });
});
