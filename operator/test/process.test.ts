// The operator as real processes: killed with SIGKILL in the middle of its work and
// restarted, and two replicas electing one leader on a Lease.
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_VERSION } from '@glass/crds';
import { CHILD_KINDS } from '../src/glasscluster/resources/index.js';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  type ControlPlane,
} from './support/control-plane.js';
import {
  faaslet,
  fromUrl,
  glassCluster,
  guest,
  inline,
  inNamespace,
  sha256Hex,
  inCluster,
} from './support/fixtures.js';
import { condition, TestKube, type Obj } from './support/kube.js';
import {
  killAllOperators,
  startOperator,
  type OperatorProcess,
} from './support/operator-process.js';
import { eventually } from './support/wait.js';

const COUNTER = guest('counter');
const CLUSTERS = 12;
// RBAC (6), two Services, two Deployments, two NetworkPolicies (ADR 125).
const CHILDREN_PER_CLUSTER = 12;
const LEASE_MS = 4000;
const RETRY_MS = 500;

describe('the operator as a process', function () {
  let cp: ControlPlane;
  let kube: TestKube;
  const namespaces: string[] = [];

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
  });

  afterEach(killAllOperators);

  after(async function () {
    await killAllOperators();
    for (const ns of namespaces) await kube.deleteNamespace(ns);
  });

  const operator = (identity: string, lease: string): Promise<OperatorProcess> =>
    startOperator(cp.kubeconfigPath, identity, [
      ...['--lease-name', lease, '--lease-duration-ms', String(LEASE_MS)],
      ...['--retry-period-ms', String(RETRY_MS), '--concurrency', '4'],
    ]);

  const leaseOf = async (name: string) =>
    (await kube.get('coordination.k8s.io/v1', 'Lease', 'default', name))?.spec as
      { holderIdentity?: string; leaseTransitions?: number } | undefined;

  describe('killed with SIGKILL in the middle of reconciling, then restarted', function () {
    let ns: string;
    const held: ServerResponse[] = [];
    let release = false;
    let server: Server;
    let base: string;

    before(async function () {
      ns = await kube.namespace('restart');
      namespaces.push(ns);
      // Holds every module download until told: a Faaslet reconcile is then surely in flight.
      server = createServer((_request: IncomingMessage, response: ServerResponse) => {
        if (release) response.writeHead(200).end(COUNTER);
        else held.push(response);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(function () {
      for (const response of held) response.destroy();
      server.close();
    });

    async function childrenOf(): Promise<Obj[]> {
      const lists = await Promise.all(
        CHILD_KINDS.map(({ apiVersion, kind }) =>
          kube.list(apiVersion, kind, ns, 'app.kubernetes.io/managed-by=glass-operator'),
        ),
      );
      return lists.flat();
    }

    it('converges to exactly the objects one run would make, with no duplicates', async function () {
      this.timeout(120_000);
      const first = await operator('restart-a', 'restart-test');
      await eventually(
        'restart-a to lead',
        async () => (await first.metric('glass_operator_leader')) === 1,
      );

      await kube.create(
        faaslet(
          'slow',
          inNamespace(ns),
          inCluster('c0'),
          fromUrl(`${base}/m.wasm`, sha256Hex(COUNTER)),
        ),
      );
      await Promise.all(
        Array.from({ length: CLUSTERS }, (_, i) =>
          kube.create(glassCluster(`c${i}`, inNamespace(ns))),
        ),
      );
      await Promise.all(
        Array.from({ length: CLUSTERS }, (_, i) =>
          kube.create(faaslet(`f${i}`, inNamespace(ns), inCluster(`c${i}`), inline(COUNTER))),
        ),
      );
      // Kill it while some clusters have only part of their children, and the module
      // download of `slow` is waiting on our server.
      const partial = await eventually(
        'some but not all children',
        async () => {
          const n = (await childrenOf()).length;
          return n > 0 && n < CLUSTERS * CHILDREN_PER_CLUSTER && held.length > 0 ? n : undefined;
        },
        30_000,
        5,
      );
      await first.kill('SIGKILL');
      const atKill = (await childrenOf()).length;
      console.log(
        `      (killed with ${partial}–${atKill} of ${CLUSTERS * CHILDREN_PER_CLUSTER} children applied)`,
      );
      assert.ok(atKill < CLUSTERS * CHILDREN_PER_CLUSTER, 'killed before the work was done');

      release = true;
      for (const response of held.splice(0)) response.destroy();
      const second = await operator('restart-b', 'restart-test');
      await eventually(
        "restart-b to lead after the dead one's Lease expires",
        async () => (await second.metric('glass_operator_leader')) === 1,
        20_000,
      );
      assert.equal(await second.readyz(), 200);

      await eventually(
        'every GlassCluster with its children and status, every Faaslet Ready',
        async () => {
          const clusters = await kube.list(API_VERSION, 'GlassCluster', ns);
          const faaslets = await kube.list(API_VERSION, 'Faaslet', ns);
          const children = await childrenOf();
          return (
            children.length === CLUSTERS * CHILDREN_PER_CLUSTER &&
            clusters.every((c) => c.status?.observedGeneration === 1) &&
            faaslets.length === CLUSTERS + 1 &&
            faaslets.every((f) => condition(f, 'Ready')?.status === 'True')
          );
        },
        60_000,
        250,
      );

      const children = await childrenOf();
      for (let i = 0; i < CLUSTERS; i++) {
        const mine = children.filter((c) => c.metadata?.labels?.['glass.dev/cluster'] === `c${i}`);
        assert.equal(mine.length, CHILDREN_PER_CLUSTER, `c${i}`);
        for (const child of mine) assert.equal(child.metadata?.ownerReferences?.length, 1);
      }
      const replicaSets = await eventually('one ReplicaSet per Deployment', async () => {
        const list = await kube.list('apps/v1', 'ReplicaSet', ns);
        return list.length === CLUSTERS * 2 ? list : undefined;
      });
      const owners = replicaSets.map((rs) => rs.metadata?.ownerReferences?.[0]?.name);
      assert.equal(new Set(owners).size, owners.length, 'no Deployment has two ReplicaSets');
      for (const object of [
        ...(await kube.list(API_VERSION, 'GlassCluster', ns)),
        ...(await kube.list(API_VERSION, 'Faaslet', ns)),
      ]) {
        const types = (object.status?.conditions ?? []).map((c) => c.type);
        assert.equal(
          new Set(types).size,
          types.length,
          `${object.metadata?.name ?? ''} has each condition once`,
        );
      }
    });
  });

  describe('two replicas', function () {
    let ns: string;

    before(async function () {
      ns = await kube.namespace('leader');
      namespaces.push(ns);
      await kube.create(glassCluster('glass', inNamespace(ns)));
    });

    async function leaderOf(replicas: OperatorProcess[]): Promise<OperatorProcess[]> {
      const gauges = await Promise.all(replicas.map((r) => r.metric('glass_operator_leader')));
      return replicas.filter((_, i) => gauges[i] === 1);
    }

    it('elect one leader; the other does not reconcile; killing the leader hands over within the Lease duration', async function () {
      this.timeout(60_000);
      const replicas = [
        await operator('replica-a', 'ha-test'),
        await operator('replica-b', 'ha-test'),
      ];
      const [leader] = await eventually('one leader', async () => {
        const leaders = await leaderOf(replicas);
        return leaders.length === 1 ? leaders : undefined;
      });
      assert.ok(leader);
      const follower = replicas.find((r) => r !== leader);
      assert.ok(follower);
      assert.equal((await leaseOf('ha-test'))?.holderIdentity, leader.identity);
      for (const r of replicas)
        assert.equal(await r.readyz(), 200, `${r.identity} is ready (informers synced)`);

      await kube.create(faaslet('before', inNamespace(ns), inline(COUNTER)));
      await eventually(
        'Faaslet before Ready',
        async () =>
          condition(await kube.get(API_VERSION, 'Faaslet', ns, 'before'), 'Ready')?.status ===
          'True',
      );
      assert.ok(
        (await leader.metric('glass_operator_reconcile_total')) > 0,
        'the leader reconciles',
      );
      assert.equal(
        await follower.metric('glass_operator_reconcile_total'),
        0,
        'the follower does not',
      );
      assert.equal((await leaderOf(replicas)).length, 1, 'still one leader');
      const transitions = (await leaseOf('ha-test'))?.leaseTransitions ?? 0;

      await leader.kill('SIGKILL');
      const killedAt = performance.now();
      await eventually(
        'the follower to lead',
        async () => (await follower.metric('glass_operator_leader')) === 1,
        20_000,
        20,
      );
      const handoverMs = performance.now() - killedAt;
      console.log(
        `      (handover ${(handoverMs / 1000).toFixed(2)} s after SIGKILL; Lease ${LEASE_MS / 1000} s, retry ${RETRY_MS / 1000} s)`,
      );
      // The follower times the Lease by its own clock from when it saw the last renewal (as
      // client-go does) and takes over Lease - 2 x retry after that, which it saw at most one
      // retry late: within LEASE_MS - RETRY_MS of the kill, plus timer and API latency.
      assert.ok(
        handoverMs <= LEASE_MS,
        `handover took ${handoverMs} ms, over the Lease of ${LEASE_MS} ms`,
      );
      const lease = await leaseOf('ha-test');
      assert.equal(lease?.holderIdentity, follower.identity);
      assert.equal(lease.leaseTransitions, transitions + 1);

      await kube.create(faaslet('after', inNamespace(ns), inline(COUNTER)));
      await eventually(
        'Faaslet after Ready',
        async () =>
          condition(await kube.get(API_VERSION, 'Faaslet', ns, 'after'), 'Ready')?.status ===
          'True',
      );
    });

    it('a leader paused past its Lease exits when it wakes up, instead of writing on', async function () {
      this.timeout(60_000);
      const replicas = [
        await operator('pause-a', 'pause-test'),
        await operator('pause-b', 'pause-test'),
      ];
      const [leader] = await eventually('one leader', async () => {
        const leaders = await leaderOf(replicas);
        return leaders.length === 1 ? leaders : undefined;
      });
      assert.ok(leader);
      const follower = replicas.find((r) => r !== leader);
      assert.ok(follower);
      process.kill(leader.pid, 'SIGSTOP');
      try {
        await eventually(
          'the follower to lead',
          async () => (await follower.metric('glass_operator_leader')) === 1,
          20_000,
        );
      } finally {
        process.kill(leader.pid, 'SIGCONT');
      }
      assert.equal(await leader.exited, 1);
      assert.match(leader.output(), /lost the leader lease; exiting/);
      assert.equal((await leaseOf('pause-test'))?.holderIdentity, follower.identity);
    });

    it('a leader sent SIGTERM exits 0 and releases the Lease: the follower leads well within the Lease duration', async function () {
      this.timeout(60_000);
      const replicas = [
        await operator('term-a', 'term-test'),
        await operator('term-b', 'term-test'),
      ];
      const [leader] = await eventually('one leader', async () => {
        const leaders = await leaderOf(replicas);
        return leaders.length === 1 ? leaders : undefined;
      });
      assert.ok(leader);
      const follower = replicas.find((r) => r !== leader);
      assert.ok(follower);
      const sentAt = performance.now();
      process.kill(leader.pid, 'SIGTERM');
      assert.equal(await leader.exited, 0);
      await eventually(
        'the follower to lead',
        async () => (await follower.metric('glass_operator_leader')) === 1,
        20_000,
        20,
      );
      const handoverMs = performance.now() - sentAt;
      console.log(`      (handover ${(handoverMs / 1000).toFixed(2)} s after SIGTERM)`);
      assert.ok(handoverMs < LEASE_MS, `handover took ${handoverMs} ms`);
    });
  });
});
