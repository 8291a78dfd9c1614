// `kubectl scale glasscluster/...` and an HPA, against a real API server and controller-manager:
// the scale subresource reads what the operator wrote in status, a scale reaches the runtime
// Deployment through the operator (level-triggered on the GlassCluster's update), and a count
// the schema refuses changes nothing (ADR 0130).
import { strict as assert } from 'node:assert';
import { API_VERSION } from '@glass/crds';
import {
  ApiException,
  AppsV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { Manager } from '../src/manager.js';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  type ControlPlane,
} from './support/control-plane.js';
import { glassCluster, inNamespace, withSpec } from './support/fixtures.js';
import { serverMessage, TestKube, type Obj } from './support/kube.js';
import { startManager } from './support/manager.js';
import { eventually } from './support/wait.js';

/** The Scale object of autoscaling/v1, as `/scale` answers for a Deployment and a GlassCluster. */
interface Scale {
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

describe('GlassClusters scaled through their scale subresource', function () {
  let cp: ControlPlane;
  let kube: TestKube;
  let custom: CustomObjectsApi;
  let apps: AppsV1Api;
  let ns: string;
  let manager: Manager | undefined;

  const ref = () => ({
    group: 'glass.dev',
    version: 'v1alpha1',
    namespace: ns,
    plural: 'glassclusters',
    name: 'demo',
  });
  const clusterScale = async (): Promise<Scale> =>
    (await custom.getNamespacedCustomObjectScale(ref())) as Scale;
  /** A JSON merge patch of the scale subresource, as `kubectl scale` sends. */
  const patchScale = async (replicas: number): Promise<Scale> =>
    (await custom.patchNamespacedCustomObjectScale(
      { ...ref(), body: { spec: { replicas } }, fieldManager: 'glass-tests' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Scale;
  const runtimeScale = async (): Promise<Scale> =>
    (await apps.readNamespacedDeploymentScale({ name: 'demo-runtime', namespace: ns })) as Scale;
  const cluster = async (): Promise<Obj> => {
    const object = await kube.get(API_VERSION, 'GlassCluster', ns, 'demo');
    assert.ok(object, 'GlassCluster demo');
    return object;
  };
  const replicaSets = async (): Promise<string[]> =>
    (await kube.list('apps/v1', 'ReplicaSet', ns, 'app.kubernetes.io/component=runtime'))
      .map((rs) => rs.metadata?.name ?? '')
      .sort();
  /** Both scales once the runtime Deployment and the GlassCluster's status have caught up. */
  const settledAt = (replicas: number) =>
    eventually(`${replicas} runtime pods made, counted and reported`, async () => {
      const [runtime, own] = [await runtimeScale(), await clusterScale()];
      const settled =
        runtime.spec.replicas === replicas &&
        runtime.status.replicas === replicas &&
        own.status.replicas === replicas;
      return settled ? { runtime, own } : undefined;
    });

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    // Pods the controller-manager makes from our Deployments are refused unless restricted.
    ns = await kube.namespace('scale', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    manager = await startManager(cp.kubeconfigPath);
    await kube.create(glassCluster('demo', inNamespace(ns), withSpec('replicas', 2)));
  });

  after(async function () {
    await manager?.stop();
    await kube.deleteNamespace(ns);
  });

  it("reads spec.replicas, and the runtime pods and their selector as the operator wrote them: the runtime Deployment's own", async function () {
    const { runtime, own } = await settledAt(2);
    assert.equal(own.spec.replicas, 2);
    assert.equal(own.status.selector, runtime.status.selector);
    assert.equal(
      own.status.selector,
      'app.kubernetes.io/component=runtime,app.kubernetes.io/instance=demo',
    );
    const status = (await cluster()).status ?? {};
    assert.equal(status.replicas, 2);
    assert.equal(status.selector, own.status.selector);
  });

  it('takes a PATCH of /scale to 3, which the operator passes on to the runtime Deployment without rolling its pods', async function () {
    const before = await replicaSets();
    assert.equal(before.length, 1);
    const answer = await patchScale(3);
    assert.equal(answer.spec.replicas, 3);
    assert.equal((await cluster()).spec?.replicas, 3);
    const { own } = await settledAt(3);
    assert.equal(own.spec.replicas, 3);
    assert.equal((await kube.list('v1', 'Pod', ns, own.status.selector)).length, 3);
    assert.deepEqual(await replicaSets(), before);
  });

  it('`kubectl scale glasscluster/demo --replicas=1`, as a user types it, scales the runtime pods down', async function () {
    const out = await cp.kubectlOk(['scale', '-n', ns, 'glasscluster/demo', '--replicas=1']);
    assert.equal(out.trim(), 'glasscluster.glass.dev/demo scaled');
    await settledAt(1);
    await eventually(
      'one runtime pod left',
      async () =>
        (await kube.list('v1', 'Pod', ns, 'app.kubernetes.io/component=runtime')).length === 1,
    );
  });

  it("puts the runtime Deployment back at the GlassCluster's count when it is scaled itself", async function () {
    await cp.kubectlOk(['scale', '-n', ns, 'deployment/demo-runtime', '--replicas=4']);
    await eventually(
      'the runtime Deployment back at 1',
      async () => (await runtimeScale()).spec.replicas === 1,
    );
    assert.equal((await clusterScale()).spec.replicas, 1);
  });

  const refused = [
    {
      name: 'a PATCH of /scale to -1',
      scale: () => patchScale(-1),
      message:
        /spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0/,
    },
    {
      name: 'a PATCH of /scale to 1001',
      scale: () => patchScale(1001),
      message:
        /spec\.replicas: Invalid value: 1001: spec\.replicas in body should be less than or equal to 1000/,
    },
    {
      name: '`kubectl scale --replicas=1001`',
      scale: async () => {
        const result = await cp.kubectl([
          'scale',
          '-n',
          ns,
          'glasscluster/demo',
          '--replicas=1001',
        ]);
        if (result.code === 0) return result.stdout;
        throw new Error(result.stderr);
      },
      message: /spec\.replicas in body should be less than or equal to 1000/,
    },
  ];
  it("lets the controller-manager's HPA controller update glassclusters/scale with the RBAC it has", async function () {
    const hpa = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler';
    for (const verb of ['get', 'update']) {
      const result = await cp.kubectl([
        'auth',
        'can-i',
        verb,
        'glassclusters.glass.dev',
        '--subresource=scale',
        '-n',
        ns,
        `--as=${hpa}`,
      ]);
      assert.equal(result.stdout.trim(), 'yes', `${verb}: ${result.stderr}`);
    }
  });

  it('is scaled by `kubectl autoscale` to its minimum, with no metrics: the HPA controller reads and writes /scale', async function () {
    this.timeout(120_000);
    await cp.kubectlOk([
      'autoscale',
      '-n',
      ns,
      'glasscluster/demo',
      '--min=2',
      '--max=10',
      '--cpu-percent=70',
    ]);
    try {
      // No metrics-server here: a count below --min is raised without reading any metric.
      await eventually(
        'the HPA to scale GlassCluster demo to 2',
        async () => (await clusterScale()).spec.replicas === 2,
        90_000,
        500,
      );
      await settledAt(2);
      const hpa = JSON.parse(
        await cp.kubectlOk(['get', 'hpa', '-n', ns, 'demo', '-o', 'json']),
      ) as { status: { conditions?: { type: string; status: string; reason: string }[] } };
      const ableToScale = hpa.status.conditions?.find((c) => c.type === 'AbleToScale');
      assert.equal(ableToScale?.status, 'True', JSON.stringify(hpa.status));
    } finally {
      await cp.kubectlOk(['delete', 'hpa', '-n', ns, 'demo']);
    }
    // Back to 1 for the refusals below, which check that nothing moves.
    await patchScale(1);
    await settledAt(1);
  });

  for (const tc of refused) {
    it(`refuses ${tc.name} with the schema's reason, and nothing changes`, async function () {
      const before = await cluster();
      const said = await tc.scale().then(
        () => assert.fail('the API server accepted it'),
        (error: unknown) =>
          error instanceof ApiException ? serverMessage(error) : (error as Error).message,
      );
      assert.match(said, tc.message);
      const after = await cluster();
      // The generation moves with every spec write (the status moves on its own with the pods).
      assert.equal(after.metadata?.generation, before.metadata?.generation);
      assert.equal(after.spec?.replicas, 1);
      assert.equal((await runtimeScale()).spec.replicas, 1);
    });
  }
});
