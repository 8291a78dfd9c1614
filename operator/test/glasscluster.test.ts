// The GlassCluster reconciler against a real API server and controller-manager: the children
// it makes, how spec changes reach them, self-healing, and garbage collection.
import { strict as assert } from 'node:assert';
import { API_VERSION } from '@glass/crds';
import { pino } from 'pino';
import { GlassClusterReconciler } from '../src/glasscluster/reconcile.js';
import { CHILD_KINDS } from '../src/glasscluster/resources/index.js';
import { CONFIG_HASH_ANNOTATION } from '../src/glasscluster/resources/meta.js';
import { Kube, StaleReadError } from '../src/kube/client.js';
import type { Manager } from '../src/manager.js';
import { EventRecorder } from '../src/status/events.js';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  type ControlPlane,
} from './support/control-plane.js';
import { glassCluster, inNamespace, withSpec } from './support/fixtures.js';
import { condition, TestKube, waitForCondition, type Obj } from './support/kube.js';
import { startManager, testClusterPolicy } from './support/manager.js';
import { eventually } from './support/wait.js';

/** Objects owned by a custom resource can wait ~30 s for the garbage collector's discovery. */
const GC_TIMEOUT_MS = 90_000;

const EXPECTED = [
  'Deployment/demo-router',
  'Deployment/demo-runtime',
  // In the GlassCluster's own namespace, whatever the chart's (ADR 125).
  'NetworkPolicy/demo-router-ingress',
  'NetworkPolicy/demo-runtime-ingress',
  'Role/demo-router',
  'Role/demo-runtime',
  'RoleBinding/demo-router',
  'RoleBinding/demo-runtime',
  'Service/demo-router',
  'Service/demo-runtime',
  'ServiceAccount/demo-router',
  'ServiceAccount/demo-runtime',
];
const WITH_REDIS = [
  ...EXPECTED,
  'Deployment/demo-redis',
  'NetworkPolicy/demo-redis-ingress',
  'Service/demo-redis',
].sort();

describe('GlassClusters on a real API server', function () {
  let cp: ControlPlane;
  let kube: TestKube;
  let ns: string;
  let manager: Manager | undefined;
  let cluster: Obj;

  /** Every object of a child kind in the namespace that says it belongs to cluster demo. */
  async function children(): Promise<Obj[]> {
    const lists = await Promise.all(
      CHILD_KINDS.map(async ({ apiVersion, kind }) =>
        (await kube.list(apiVersion, kind, ns, 'glass.dev/cluster=demo')).map((o) => ({
          ...o,
          kind,
        })),
      ),
    );
    return lists.flat();
  }
  const names = (objects: Obj[]): string[] =>
    objects.map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`).sort();
  const childrenAre = (want: string[]) => async () => {
    const now = await children();
    return JSON.stringify(names(now)) === JSON.stringify(want) ? now : undefined;
  };
  const deployment = (name: string) => kube.get('apps/v1', 'Deployment', ns, name);
  const podTemplate = (d: Obj | undefined) =>
    d?.spec?.template as {
      metadata: { annotations: Record<string, string> };
      spec: { containers: { args: string[]; env?: { name: string; value?: string }[] }[] };
    };
  const replicaSetsOf = async (name: string): Promise<Obj[]> => {
    const owner = await deployment(name);
    const all = await kube.list('apps/v1', 'ReplicaSet', ns);
    return all.filter((rs) =>
      rs.metadata?.ownerReferences?.some((o) => o.uid === owner?.metadata?.uid),
    );
  };
  const patchSpec = (spec: Record<string, unknown>) =>
    kube.merge({
      apiVersion: API_VERSION,
      kind: 'GlassCluster',
      metadata: { name: 'demo', namespace: ns },
      spec,
    });

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
    // Pods the controller-manager makes from our Deployments are refused unless restricted.
    ns = await kube.namespace('clusters', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    manager = await startManager(cp.kubeconfigPath);
  });

  after(async function () {
    await manager?.stop();
    await kube.deleteNamespace(ns);
  });

  it('yields exactly the expected children, each owned by the GlassCluster and applied by glass-operator', async function () {
    cluster = await kube.create(
      glassCluster(
        'demo',
        inNamespace(ns),
        withSpec('replicas', 2),
        withSpec('imagePullSecrets', [{ name: 'regcred' }]),
      ),
    );
    const made = await eventually('the ten children', childrenAre(EXPECTED));
    for (const child of made) {
      const owners = child.metadata?.ownerReferences ?? [];
      assert.deepEqual(
        owners.map((o) => [o.kind, o.name, o.uid, o.controller]),
        [['GlassCluster', 'demo', cluster.metadata?.uid, true]],
        `${child.kind ?? ''}/${child.metadata?.name ?? ''}`,
      );
      const managers = (child.metadata?.managedFields ?? []).filter((m) => m.operation === 'Apply');
      assert.deepEqual(
        managers.map((m) => m.manager),
        ['glass-operator'],
      );
    }
    const status = await waitForCondition(
      kube,
      { apiVersion: API_VERSION, kind: 'GlassCluster', namespace: ns, name: 'demo' },
      { status: 'False', reason: 'PodsNotReady' },
    );
    assert.equal(status.status?.observedGeneration, 1);
    assert.equal(status.status.routerService, 'demo-router');
    assert.match(
      condition(status, 'Ready')?.message ?? '',
      /0\/2 runtime pods and 0\/1 router pods ready/,
    );
  });

  it('gives its pods their tokens from a Secret it creates once, and puts no token in a manifest (ADR 125)', async function () {
    const secret = await eventually('the credentials Secret', () =>
      kube.get('v1', 'Secret', ns, 'demo-credentials'),
    );
    const data = (secret as { data?: Record<string, string> }).data ?? {};
    const values = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
    assert.deepEqual(Object.keys(values).sort(), [
      'admin-token',
      'metrics-token',
      'redis-password',
    ]);
    for (const value of Object.values(values)) assert.match(value, /^[0-9a-f]{64}$/);
    assert.equal(secret.metadata?.ownerReferences?.[0]?.uid, cluster.metadata?.uid);
    for (const name of ['demo-runtime', 'demo-router']) {
      const env = podTemplate(await deployment(name)).spec.containers[0]?.env ?? [];
      const refs = env.flatMap((e) => {
        const ref = (e as { valueFrom?: { secretKeyRef?: { name: string; key: string } } })
          .valueFrom?.secretKeyRef;
        return ref ? [`${e.name}=${ref.name}/${ref.key}`] : [];
      });
      assert.deepEqual(refs, [
        'GLASS_ADMIN_TOKEN=demo-credentials/admin-token',
        'GLASS_METRICS_TOKEN=demo-credentials/metrics-token',
      ]);
    }
    const manifests = JSON.stringify(await children());
    for (const value of Object.values(values)) assert.ok(!manifests.includes(value));
    // Reconciled again: the Secret is not rewritten, so pods and Secret keep agreeing.
    const reconciler = new GlassClusterReconciler(
      new Kube(cp.kubeConfig),
      new EventRecorder(cp.kubeConfig, 'glass-operator', pino({ level: 'silent' })),
      undefined,
      undefined,
      testClusterPolicy(),
    );
    // The manager reconciles too: a status write computed from a stale read is retried.
    await eventually('a reconcile of its own', async () => {
      try {
        await reconciler.reconcile(ns, 'demo');
        return true;
      } catch (error) {
        if (error instanceof StaleReadError) return undefined;
        throw error;
      }
    });
    const again = await kube.get('v1', 'Secret', ns, 'demo-credentials');
    assert.equal(again?.metadata?.resourceVersion, secret.metadata?.resourceVersion);
  });

  it('reports a rollout under way, not a degradation, while its pods are not available', async function () {
    const ref = { apiVersion: API_VERSION, kind: 'GlassCluster', namespace: ns, name: 'demo' };
    await waitForCondition(kube, ref, {
      type: 'Progressing',
      status: 'True',
      reason: 'RollingOut',
    });
    // Once the controller-manager has made the pods (no kubelet runs them here, so none is
    // ever available) the Deployments are observed and only availability is awaited.
    const status = await eventually('Progressing to await available pods only', async () => {
      const now = await kube.get(API_VERSION, 'GlassCluster', ns, 'demo');
      const message = condition(now, 'Progressing')?.message;
      return message === '0/2 runtime pods available; 0/1 router pods available' ? now : undefined;
    });
    const summary = (type: string) => {
      const c = condition(status, type);
      return [c?.status, c?.reason, c?.observedGeneration];
    };
    assert.deepEqual(summary('Ready'), ['False', 'PodsNotReady', 1]);
    assert.deepEqual(summary('Progressing'), ['True', 'RollingOut', 1]);
    assert.deepEqual(summary('Degraded'), ['False', 'AsExpected', 1]);
  });

  it('`kubectl get glassclusters` shows the READY, PROGRESSING, DEGRADED, REPLICAS, CURRENT, READY-PODS and AGE columns with values', async function () {
    const out = await cp.kubectlOk(['get', 'glassclusters', '-n', ns, 'demo']);
    const [header, row] = out
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/));
    assert.deepEqual(header, [
      'NAME',
      'READY',
      'PROGRESSING',
      'DEGRADED',
      'REPLICAS',
      'CURRENT',
      'READY-PODS',
      'AGE',
    ]);
    // Two runtime pods wanted and made (the step above saw them counted), none ready: no kubelet.
    assert.deepEqual(row?.slice(0, 7), ['demo', 'False', 'True', 'False', '2', '2', '0']);
    assert.match(row[7] ?? '', /^\d+(s|m)/);
  });

  it('has pods made from its Deployments admitted under the restricted Pod Security profile', async function () {
    await eventually('2 runtime pods and 1 router pod', async () => {
      const pods = await kube.list('v1', 'Pod', ns);
      const of = (component: string) =>
        pods.filter((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === component)
          .length;
      return of('runtime') === 2 && of('router') === 1;
    });
  });

  it('has those pods pull with its image pull secrets, and gives each a bounded /tmp', async function () {
    const pods = (await kube.list('v1', 'Pod', ns)) as (Obj & {
      spec: {
        imagePullSecrets?: { name: string }[];
        volumes?: { name: string; emptyDir?: { sizeLimit?: string } }[];
      };
    })[];
    assert.equal(pods.length, 3);
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      assert.deepEqual(
        pod.spec.imagePullSecrets?.map((secret) => secret.name),
        ['regcred'],
        name,
      );
      const tmp = pod.spec.volumes?.find((v) => v.name === 'tmp');
      assert.equal(tmp?.emptyDir?.sizeLimit, '128Mi', name);
    }
  });

  it('updates the runtime Deployment for more replicas, without rolling its pods', async function () {
    const before = await replicaSetsOf('demo-runtime');
    assert.equal(before.length, 1);
    await patchSpec({ replicas: 3 });
    await eventually(
      '3 runtime replicas',
      async () => (await deployment('demo-runtime'))?.spec?.replicas === 3,
    );
    assert.deepEqual(names(await replicaSetsOf('demo-runtime')), names(before));
  });

  it('rolls the runtime pods when their config changes: a new config hash, a new ReplicaSet', async function () {
    const hashBefore = podTemplate(await deployment('demo-runtime')).metadata.annotations[
      CONFIG_HASH_ANNOTATION
    ];
    await patchSpec({ workers: 4 });
    const updated = await eventually('the runtime args to say --workers 4', async () => {
      const d = await deployment('demo-runtime');
      const args = podTemplate(d).spec.containers[0]?.args ?? [];
      return args[args.indexOf('--workers') + 1] === '4' ? d : undefined;
    });
    const hashAfter = podTemplate(updated).metadata.annotations[CONFIG_HASH_ANNOTATION];
    assert.notEqual(hashAfter, hashBefore);
    await eventually(
      'a second ReplicaSet for demo-runtime',
      async () => (await replicaSetsOf('demo-runtime')).length === 2,
    );
  });

  it('reports a child the API server refuses as Degraded (ApplyFailed), and clears it once fixed', async function () {
    const ref = { apiVersion: API_VERSION, kind: 'GlassCluster', namespace: ns, name: 'demo' };
    // The CRD takes any resource text; the API server does not take it in a Deployment, so
    // the apply of the runtime Deployment is refused (with a 500, as it fails to convert).
    await patchSpec({ resources: { limits: { cpu: 'lots' } } });
    const failed = await waitForCondition(kube, ref, {
      type: 'Degraded',
      status: 'True',
      reason: 'ApplyFailed',
    });
    assert.match(
      condition(failed, 'Degraded')?.message ?? '',
      /^applying Deployment clusters-\w+\/demo-runtime: \d{3} .*quantities must match/,
    );
    assert.equal(condition(failed, 'Ready')?.reason, 'PodsNotReady', 'Ready stays as it was');
    await patchSpec({ resources: null });
    await waitForCondition(kube, ref, { type: 'Degraded', status: 'False', reason: 'AsExpected' });
  });

  it('adds a managed Redis and wires the runtime to it, and deletes it when no longer wanted', async function () {
    await patchSpec({ state: { managed: true } });
    await eventually('the Redis children', childrenAre(WITH_REDIS));
    const redisUrl = async () => {
      const env = podTemplate(await deployment('demo-runtime')).spec.containers[0]?.env ?? [];
      return env.find((e) => e.name === 'GLASS_REDIS_URL')?.value ?? null;
    };
    await eventually(
      'GLASS_REDIS_URL on the runtime',
      // The password is the kubelet's to fill in from the Secret (ADR 126).
      async () => (await redisUrl()) === 'redis://:$(GLASS_MANAGED_REDIS_PASSWORD)@demo-redis:6379',
    );
    await patchSpec({ state: null });
    await eventually('the Redis children gone', childrenAre(EXPECTED));
    await eventually(
      'GLASS_REDIS_URL gone from the runtime',
      async () => (await redisUrl()) === null,
    );
  });

  const deleted: [string, string, string][] = [
    ['v1', 'Service', 'demo-runtime'],
    ['apps/v1', 'Deployment', 'demo-router'],
    ['rbac.authorization.k8s.io/v1', 'Role', 'demo-runtime'],
    ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'demo-router'],
    ['v1', 'ServiceAccount', 'demo-runtime'],
  ];
  for (const [apiVersion, kind, name] of deleted) {
    it(`recreates ${kind} ${name} when it is deleted by hand`, async function () {
      const before = await kube.get(apiVersion, kind, ns, name);
      assert.ok(before);
      await kube.delete(apiVersion, kind, ns, name);
      await eventually(`a new ${kind} ${name}`, async () => {
        const now = await kube.get(apiVersion, kind, ns, name);
        return (
          now !== undefined &&
          now.metadata?.uid !== before.metadata?.uid &&
          !now.metadata?.deletionTimestamp
        );
      });
      await eventually('exactly the expected children', childrenAre(EXPECTED));
    });
  }

  it('already done, no writes: a forced re-reconcile changes neither the GlassCluster nor a child', async function () {
    // The same policy as the manager's, or the two would fight over the runtime's args.
    const reconciler = new GlassClusterReconciler(
      new Kube(cp.kubeConfig),
      new EventRecorder(cp.kubeConfig, 'glass-operator', pino({ level: 'silent' })),
      undefined,
      undefined,
      testClusterPolicy(),
    );
    // Let the controller-manager finish with the Deployments first: their status moves on its own.
    const versions = async () =>
      JSON.stringify(
        [await kube.get(API_VERSION, 'GlassCluster', ns, 'demo'), ...(await children())].map(
          (o) => o?.metadata?.resourceVersion,
        ),
      );
    await eventually(
      'the world to settle',
      async () => {
        const first = await versions();
        await reconciler.reconcile(ns, 'demo');
        return first === (await versions());
      },
      30_000,
      500,
    );
    const before = await versions();
    await reconciler.reconcile(ns, 'demo');
    await reconciler.reconcile(ns, 'demo');
    assert.equal(await versions(), before);
  });

  it('is garbage-collected with all its children by the controller-manager when deleted', async function () {
    this.timeout(GC_TIMEOUT_MS + 30_000);
    // The operator stops first: whatever goes now, the controller-manager's collector took.
    await manager?.stop();
    manager = undefined;
    await kube.delete(API_VERSION, 'GlassCluster', ns, 'demo');
    const started = performance.now();
    await eventually(
      'every child gone',
      async () => (await children()).length === 0,
      GC_TIMEOUT_MS,
      250,
    );
    await eventually(
      'every pod gone',
      async () => (await kube.list('v1', 'Pod', ns)).length === 0,
      GC_TIMEOUT_MS,
      250,
    );
    console.log(
      `      (children collected in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  });
});
