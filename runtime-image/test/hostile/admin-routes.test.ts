// Issue 15 item 1, the pod side (ADR 0125): with tokens configured, as the operator configures
// every runtime pod, nothing but a call, /health and /ready answers without credentials, and
// peers that share the token still forward /state and hand namespaces over.
import { strict as assert } from 'node:assert';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../../src/local/ports.js';
import { Ownership } from '../../src/placement/ownership.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { serveRuntime, type RunningRuntime } from '../../src/runtime/serve.js';
import { call, errorOf, SAMPLES } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';

const ADMIN = 'admin-token-for-the-test-0123456789';
const METRICS = 'metrics-token-for-the-test-0123456789';
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

interface Pod {
  name: string;
  base: string;
  running: RunningRuntime;
}

async function startPod(name: string, port: number, extra: Partial<RuntimeConfig>): Promise<Pod> {
  const config = {
    port,
    host: '127.0.0.1',
    podName: name,
    faaslets: [SAMPLES],
    workers: 1,
    maxBodyBytes: 1024 * 1024,
    logLevel: 'silent',
    adminToken: ADMIN,
    metricsToken: METRICS,
    ...extra,
  } as RuntimeConfig;
  const running = await serveRuntime(config, createLogger('silent', name));
  return { name, base: `http://127.0.0.1:${running.port}`, running };
}

describe('hostile clients: a runtime pod’s admin routes need its token (issue 15 item 1)', function () {
  let pod: Pod;

  before(async function () {
    pod = await startPod('pod-alone', 0, {});
  });
  after(async function () {
    await pod.running.close();
  });

  const attacks = [
    {
      name: 'PUT /state writes nothing',
      method: 'PUT',
      path: '/state/counter/counter',
      body: '999',
    },
    { name: 'DELETE /state deletes nothing', method: 'DELETE', path: '/state/counter/counter' },
    { name: 'GET /state reads nothing', method: 'GET', path: '/state/counter/counter' },
    { name: 'POST /handoff takes nothing', method: 'POST', path: '/handoff', body: '{}' },
    { name: 'GET /metrics says nothing', method: 'GET', path: '/metrics' },
    { name: 'GET /metrics/ (trailing slash) says nothing', method: 'GET', path: '/metrics/' },
    { name: 'an unknown route says nothing', method: 'GET', path: '/debug' },
  ];
  for (const attack of attacks) {
    it(`${attack.name} without the token: 401, and the pod keeps serving`, async function () {
      const before = await call(pod.base, 'POST', '/invoke/counter/add', '1');
      assert.equal(before.status, 200);
      for (const headers of [{}, bearer('wrong'), bearer(`${ADMIN}x`)]) {
        const answer = await call(pod.base, attack.method, attack.path, attack.body, headers);
        assert.equal(answer.status, 401, `${attack.method} ${attack.path}: ${answer.text}`);
        assert.equal(errorOf(answer).code, 'unauthorized');
        assert.doesNotMatch(answer.text, new RegExp(ADMIN));
      }
      const after = await call(pod.base, 'POST', '/invoke/counter/add', '1');
      assert.equal(after.status, 200);
      assert.equal(Number(after.text), Number(before.text) + 1, 'the counter was not touched');
      assert.equal((await call(pod.base, 'GET', '/health')).status, 200);
    });
  }

  it('answers calls, /health and /ready without credentials', async function () {
    assert.equal((await call(pod.base, 'GET', '/invoke/counter/get')).status, 200);
    assert.equal((await call(pod.base, 'GET', '/health')).status, 200);
    assert.equal((await call(pod.base, 'GET', '/ready')).status, 200);
  });

  it('lets the metrics token read /metrics and nothing else', async function () {
    const metrics = await call(pod.base, 'GET', '/metrics', undefined, bearer(METRICS));
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /glass_invocations_total/);
    const write = await call(pod.base, 'PUT', '/state/counter/counter', '5', bearer(METRICS));
    assert.equal(write.status, 401);
  });

  it('lets the admin token read and write state and read /metrics', async function () {
    const put = await call(pod.base, 'PUT', '/state/admin-ok/k', 'v', bearer(ADMIN));
    assert.equal(put.status, 204);
    assert.equal(
      (await call(pod.base, 'GET', '/state/admin-ok/k', undefined, bearer(ADMIN))).text,
      'v',
    );
    assert.equal((await call(pod.base, 'GET', '/metrics', undefined, bearer(ADMIN))).status, 200);
  });
});

describe('peers that share the token keep forwarding /state and handing namespaces over', function () {
  let a: Pod;
  let b: Pod;
  let membersFile: string;

  const writeMembers = async (pods: Pod[]): Promise<void> => {
    const next = `${membersFile}.next`;
    await writeFile(next, JSON.stringify(pods.map((p) => ({ name: p.name, url: p.base }))));
    await rename(next, membersFile);
  };

  before(async function () {
    membersFile = join(await mkdtemp(join(tmpdir(), 'glass-admin-')), 'members.json');
    const [portA, portB] = [await freePort(), await freePort()];
    const pods = [
      { name: 'pod-a', base: `http://127.0.0.1:${portA}` },
      { name: 'pod-b', base: `http://127.0.0.1:${portB}` },
    ];
    await writeFile(membersFile, JSON.stringify(pods.map((p) => ({ name: p.name, url: p.base }))));
    a = await startPod('pod-a', portA, { membersFile });
    b = await startPod('pod-b', portB, { membersFile });
  });
  after(async function () {
    await a.running.close();
    await b.running.close();
  });

  it('writes through pod a into a namespace pod b owns, then b hands it to a when it leaves', async function () {
    const ring = new Ownership({ virtualNodes: 150 });
    ring.update([
      { name: 'pod-a', url: a.base },
      { name: 'pod-b', url: b.base },
    ]);
    const namespace = Array.from({ length: 200 }, (_, i) => `peer-${i}`).find(
      (ns) => ring.ownerOf(ns)?.name === 'pod-b',
    );
    assert.ok(namespace, 'some namespace is pod b’s');
    const put = await call(a.base, 'PUT', `/state/${namespace}/k`, 'kept', bearer(ADMIN));
    assert.equal(put.status, 204, put.text);
    const atB = await call(b.base, 'GET', `/state/${namespace}/k`, undefined, bearer(ADMIN));
    assert.equal(atB.text, 'kept');
    // Pod b leaves the membership: it sends its namespaces to a over POST /handoff, with the
    // token; a refused hand-off would leave a empty after the hand-off timeout.
    await writeMembers([a]);
    await waitFor(
      'pod a to serve the namespace pod b handed over',
      async () => {
        const got = await call(a.base, 'GET', `/state/${namespace}/k`, undefined, bearer(ADMIN));
        return got.status === 200 && got.text === 'kept';
      },
      20_000,
    );
  });
});
