// `glass router` as a process: flags in, proxying out, SIGTERM ends it.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { HashRing } from '../../src/router/ring.js';
import {
  call,
  freePort,
  killAll,
  MAIN_JS,
  Pool,
  spawnNode,
  startBackend,
  type Backend,
} from './helpers.js';

describe('glass router (the CLI process)', () => {
  let backends: Backend[] = [];

  before(async () => {
    backends = await Promise.all([startBackend(), startBackend()]);
  });

  after(async () => {
    await killAll();
  });

  it('proxies to its --backend list by the ring, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const args = [
      MAIN_JS,
      'router',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--health-interval',
      '100ms',
    ];
    for (const b of backends) args.push('--backend', b.url);
    const router = await spawnNode(args, /router listening/);
    const pool = new Pool(`http://127.0.0.1:${port}`);
    try {
      const ring = new HashRing(backends.map((b) => b.name));
      for (const user of ['ann', 'ben', 'cid', 'dee', 'eve']) {
        const answer = await call(pool, '/invoke/kv/get', {
          method: 'POST',
          headers: { 'x-user-id': user },
        });
        assert.deepEqual([answer.status, answer.pod], [200, ring.owner(user)]);
      }
      const status = (await call(pool, '/lb/status')).json as {
        pods: { name: string; healthy: boolean }[];
      };
      assert.deepEqual(
        status.pods.map((p) => [p.name, p.healthy]),
        backends.map((b) => [b.name, true]).sort(),
      );
    } finally {
      await pool.close();
    }
    router.child.kill('SIGTERM');
    assert.equal(await router.exited, 0);
  });

  const bad = [
    {
      name: 'refuses to start without a --backend',
      args: [],
      message: /--backend: give at least one --backend URL/,
    },
    {
      name: 'refuses an untrusted-proxy entry that is not a CIDR',
      args: ['--backend', 'http://127.0.0.1:1', '--trusted-proxy', 'nope'],
      message: /--trusted-proxies\[0\]: not an IP address/,
    },
  ];
  // Not a pod, no KUBECONFIG, an empty HOME: nowhere to find credentials.
  const noCredentials = { PATH: process.env.PATH ?? '', HOME: tmpdir() };
  const kubernetesBad = [
    {
      name: 'refuses --kubernetes-service with --backend',
      args: ['--kubernetes-service', 'rt', '--backend', 'http://127.0.0.1:1'],
      message: /give either --backend URLs or --kubernetes-service, not both/,
    },
    {
      name: 'says when a --kubeconfig file cannot be read',
      args: ['--kubernetes-service', 'rt', '--kubeconfig', '/nonexistent/kubeconfig'],
      message: /cannot read the kubeconfig \/nonexistent\/kubeconfig: ENOENT/,
    },
    {
      name: 'says where credentials come from when there are none',
      args: ['--kubernetes-service', 'rt'],
      message: /no Kubernetes credentials: give --kubeconfig or KUBECONFIG/,
    },
  ];
  for (const tc of [...bad, ...kubernetesBad]) {
    it(tc.name, async () => {
      const spawned = spawnNode([MAIN_JS, 'router', ...tc.args], /never/, 20_000, noCredentials);
      await assert.rejects(spawned, (err: Error) => {
        assert.match(err.message, /exited \(1\)/);
        assert.match(err.message, tc.message);
        return true;
      });
    });
  }
});
