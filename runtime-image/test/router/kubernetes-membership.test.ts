// `glass router --kubernetes-service`: real runtimes, a real router process, hand-written
// EndpointSlices on the shared real API server, and a service-account token that holds only
// the router's Role.
//
// The API server refuses loopback IPs in IPv4 EndpointSlices, wants two labels in an FQDN
// (so not `localhost`), and tests stay on loopback: so the slices here are `addressType: FQDN`
// with the address `127.0.0.1` (a name that validates and resolves to itself), and each runtime
// has a port of its own. A slice's port is per slice, so each slice lists one runtime (a pod can
// still be listed by two slices, which is the case the merge must get right). The router's
// handling of IPv4/IPv6 addresses is covered by endpoint-slice-members.test.ts. The Service
// has no selector, so the EndpointSlice controller leaves our slices alone.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { HashRing } from '../../src/router/ring.js';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  type SharedControlPlane,
} from '../support/control-plane.js';
import { REPO_ROOT } from '../support/runtime-server.js';
import {
  call,
  freePort,
  killAll,
  MAIN_JS,
  Pool,
  spawnNode,
  waitFor,
  type Spawned,
} from './helpers.js';
import { startTcpRelay, type TcpRelay } from './tcp-relay.js';

const SERVICE = 'glass-runtime';
const FAASLETS = join(REPO_ROOT, 'crds', 'samples', 'counter.yaml');
const USERS = Array.from({ length: 120 }, (_, i) => `user-${i}`);
/** The acceptance line of issue 6: the router applies a change within a second. */
const WITHIN_MS = 1000;

interface Runtime {
  pod: string;
  port: number;
}

interface Status {
  pods: { name: string; url: string; healthy: boolean; ringShare: number }[];
  membership?: { synced: boolean; lastError?: string };
}

describe('glass router --kubernetes-service (EndpointSlices on a real API server)', function () {
  this.timeout(60_000);
  const ns = `router-es-${randomInt(1e9).toString(36)}`;
  const runtimes: Runtime[] = ['a', 'b', 'c'].map((x) => ({ pod: `runtime-${x}`, port: 0 }));
  const [rtA, rtB, rtC] = runtimes as [Runtime, Runtime, Runtime];
  const figures: string[] = [];
  /** Undoes what `before` and the tests set up, in reverse, whatever got that far. */
  const cleanups: (() => unknown)[] = [];
  let cp: SharedControlPlane;
  let dir: string;
  let relay: TcpRelay;
  let routerPool: Pool;
  let router: Spawned;

  const kubectl = (args: string[], input?: string): Promise<string> => cp.kubectlOk(args, input);
  const apply = (...objects: object[]): Promise<string> =>
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    );

  /** A slice listing `runtime` (reached at 127.0.0.1 on its port), ready unless told. */
  function slice(name: string, runtime: Runtime, ready = true): object {
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name,
        namespace: ns,
        labels: {
          'kubernetes.io/service-name': SERVICE,
          'endpointslice.kubernetes.io/managed-by': 'glass-router-test',
        },
      },
      addressType: 'FQDN',
      ports: [{ name: 'http', port: runtime.port, protocol: 'TCP' }],
      endpoints: [
        {
          addresses: ['127.0.0.1'],
          conditions: { ready },
          targetRef: { kind: 'Pod', name: runtime.pod, namespace: ns },
        },
      ],
    };
  }

  /** The router's credentials: a token of a service account bound to the router's Role only. */
  async function routerKubeconfig(server: string): Promise<string> {
    const token = (await kubectl(['create', 'token', 'router', '-n', ns])).trim();
    const admin = cp.kubeConfig.getCurrentCluster();
    assert.ok(admin?.caData, 'the admin kubeconfig carries its CA inline');
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'glass-test', server, caData: admin.caData, skipTLSVerify: false }],
      users: [{ name: 'router', token }],
      contexts: [{ name: 'router', cluster: 'glass-test', user: 'router', namespace: ns }],
      currentContext: 'router',
    });
    const path = join(dir, `router-${String(randomInt(1e6))}.kubeconfig`);
    writeFileSync(path, config.exportConfig(), { mode: 0o600 });
    return path;
  }

  async function status(pool = routerPool): Promise<Status> {
    const answer = await call(pool, '/lb/status');
    assert.equal(answer.status, 200);
    return answer.json as Status;
  }

  const names = (s: Status): string[] => s.pods.map((p) => p.name).sort();

  /** Writes, then measures from the write's return until /lb/status lists exactly `want`. */
  async function timedChange(
    what: string,
    want: Runtime[],
    write: () => Promise<unknown>,
  ): Promise<void> {
    await write();
    const started = performance.now();
    const expected = want.map((r) => r.pod).sort();
    await waitFor(
      `ring = ${expected.join(',')}`,
      async () => names(await status()).join() === expected.join(),
    );
    const ms = performance.now() - started;
    figures.push(`${what}: ${ms.toFixed(0)} ms`);
    assert.ok(ms < WITHIN_MS, `${what} took ${ms.toFixed(0)} ms to reach the ring`);
  }

  /** Each user's pod, by real requests through the router; each must answer 200. */
  async function owners(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const user of USERS) {
      const answer = await call(routerPool, '/invoke/counter/get', {
        method: 'POST',
        headers: { 'x-user-id': user },
      });
      assert.equal(answer.status, 200, `user ${user}: ${JSON.stringify(answer.json)}`);
      assert.ok(answer.pod !== undefined, 'X-Glass-Pod names the pod');
      out.set(user, answer.pod);
    }
    return out;
  }

  /** Owners agree with a ring built by hand from the pod names (default 150 virtual nodes). */
  function assertRingOf(seen: Map<string, string>, pods: Runtime[]): void {
    const ring = new HashRing(pods.map((r) => r.pod));
    for (const [user, pod] of seen) assert.equal(pod, ring.owner(user), `owner of ${user}`);
  }

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    dir = mkdtempSync(join(tmpdir(), 'glass-router-es-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    await kubectl(['create', 'namespace', ns]);
    cleanups.push(() => cp.kubectl(['delete', 'namespace', ns, '--wait=false']));
    // The router's Role as the operator writes it (operator/src/glasscluster/resources/rbac.ts;
    // this package cannot import the operator): endpointslices get/list/watch, nothing else.
    await apply(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: SERVICE, namespace: ns },
        spec: { clusterIP: 'None', ports: [{ name: 'http', port: 8080 }] },
      },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'router', namespace: ns } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'router', namespace: ns },
        rules: [
          {
            apiGroups: ['discovery.k8s.io'],
            resources: ['endpointslices'],
            verbs: ['get', 'list', 'watch'],
          },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'router', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'router' },
        subjects: [{ kind: 'ServiceAccount', name: 'router', namespace: ns }],
      },
    );
    await Promise.all(
      runtimes.map(async (r) => {
        const runtime = await spawnNode(
          [
            MAIN_JS,
            'runtime',
            '--port',
            '0',
            '--pod-name',
            r.pod,
            '--faaslets',
            FAASLETS,
            '--workers',
            '1',
          ],
          /"msg":"runtime ready"/,
          30_000,
        );
        const line = runtime
          .output()
          .split('\n')
          .find((l) => l.includes('"runtime ready"'));
        r.port = (JSON.parse(line ?? '{}') as { port: number }).port;
      }),
    );
    const api = new URL(cp.kubeConfig.getCurrentCluster()?.server ?? '');
    relay = await startTcpRelay({ host: api.hostname, port: Number(api.port) });
    cleanups.push(() => relay.close());
  });

  after(async function () {
    this.timeout(30_000);
    console.log(`      router membership figures: ${figures.join('; ')}`);
    await killAll();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('builds its ring from the ready endpoints, with a token that may only read EndpointSlices', async () => {
    await apply(slice('slice-a', rtA), slice('slice-b', rtB));
    // As the operator's pod runs it: credentials from KUBECONFIG,
    // the namespace from POD_NAMESPACE; the API server reached through a relay we can cut.
    const kubeconfig = await routerKubeconfig(`https://127.0.0.1:${relay.port}`);
    const routerPort = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, POD_NAMESPACE: ns };
    router = await spawnNode(
      [
        MAIN_JS,
        'router',
        '--port',
        String(routerPort),
        '--host',
        '127.0.0.1',
        '--kubernetes-service',
        SERVICE,
        // Never used: the slices name their port `http`, and that wins.
        '--backend-port',
        '1',
      ],
      /router listening/,
      20_000,
      env,
    );
    routerPool = new Pool(`http://127.0.0.1:${routerPort}`);
    cleanups.push(() => routerPool.close());
    const first = await status();
    assert.deepEqual(
      first.pods.map((p) => [p.name, p.url, p.healthy]),
      [rtA, rtB].map((r) => [r.pod, `http://127.0.0.1:${r.port}`, true]),
    );
    const shares = first.pods.reduce((sum, p) => sum + p.ringShare, 0);
    assert.ok(Math.abs(shares - 1) < 1e-9, `ring shares sum to ${String(shares)}`);
    assert.equal(first.membership?.synced, true);
    assertRingOf(await owners(), [rtA, rtB]);
  });

  it('takes in a pod whose endpoint is added within a second; other keys stay put', async () => {
    const before = await owners();
    await timedChange('endpoint added', [rtA, rtB, rtC], () => apply(slice('slice-c', rtC)));
    const after = await owners();
    assertRingOf(after, [rtA, rtB, rtC]);
    const moved = USERS.filter((u) => after.get(u) !== before.get(u));
    assert.ok(moved.length > 0, 'some keys move to the new pod');
    for (const user of moved) assert.equal(after.get(user), rtC.pod, `${user} moved elsewhere`);
  });

  it('drops a pod marked not ready within a second; keys of the others stay put', async () => {
    const before = await owners();
    await timedChange('endpoint not ready', [rtA, rtB], () => apply(slice('slice-c', rtC, false)));
    const after = await owners();
    assertRingOf(after, [rtA, rtB]);
    for (const user of USERS) {
      if (before.get(user) !== rtC.pod) assert.equal(after.get(user), before.get(user), user);
    }
  });

  it('drops the pods of deleted slices within a second, but not one another slice still lists', async () => {
    // As the EndpointSlice controller moves an endpoint: a new slice lists it, the old goes.
    await apply(slice('slice-b-moved', rtB));
    await timedChange('slices deleted', [rtB], () =>
      kubectl(['delete', 'endpointslice', 'slice-a', 'slice-b', '-n', ns]),
    );
    const answer = await call(routerPool, '/invoke/counter/get', {
      method: 'POST',
      headers: { 'x-user-id': 'anyone' },
    });
    assert.deepEqual([answer.status, answer.pod], [200, rtB.pod]);
    // runtime-b never left the ring on the way, not even for a moment. The router's log is
    // written asynchronously: wait for runtime-a's line, then runtime-b's must not be there.
    await waitFor('the router to log runtime-a leaving', () =>
      /"pod":"runtime-a".*"msg":"pod removed"/.test(router.output()),
    );
    assert.doesNotMatch(router.output(), /"pod":"runtime-b".*"msg":"pod removed"/);
  });

  it('keeps its pods while the API server is unreachable, and catches up when it is back', async () => {
    await relay.cut();
    await waitFor('the router to notice the broken watch', async () => {
      return (await status()).membership?.synced === false;
    });
    await apply(slice('slice-a', rtA), slice('slice-c', rtC));
    assert.deepEqual(names(await status()), [rtB.pod], 'the last known pods stay while cut off');
    await relay.restore();
    const restored = performance.now();
    await waitFor('the ring to catch up', async () => {
      const now = await status();
      return now.membership?.synced === true && names(now).length === 3;
    });
    figures.push(
      `caught up ${(performance.now() - restored).toFixed(0)} ms after the API came back`,
    );
    assertRingOf(await owners(), [rtA, rtB, rtC]);
  });

  it('serves with no pods when its Role does not reach the namespace: /lb/health 200, requests 503', async () => {
    const kubeconfig = await routerKubeconfig(cp.kubeConfig.getCurrentCluster()?.server ?? '');
    const routerPort = await freePort();
    const env = { ...process.env };
    delete env.POD_NAMESPACE;
    await spawnNode(
      [
        MAIN_JS,
        'router',
        '--port',
        String(routerPort),
        '--host',
        '127.0.0.1',
        '--kubernetes-service',
        SERVICE,
        '--namespace',
        'default',
        '--kubeconfig',
        kubeconfig,
      ],
      /router listening/,
      20_000,
      env,
    );
    const pool = new Pool(`http://127.0.0.1:${routerPort}`);
    try {
      const health = await call(pool, '/lb/health');
      assert.deepEqual(
        [health.status, health.json],
        [200, { status: 'ok', pods: 0, healthyPods: 0 }],
      );
      const answer = await call(pool, '/invoke/counter/get', { method: 'POST' });
      assert.deepEqual(
        [answer.status, answer.json],
        [503, { error: { code: 'no_healthy_pod', message: 'no runtime pods are known' } }],
      );
      const { membership } = await status(pool);
      assert.ok(membership, '/lb/status describes the membership source');
      assert.equal(membership.synced, false);
      assert.match(membership.lastError ?? '', /^403 .*forbidden/);
    } finally {
      await pool.close();
    }
  });
});
