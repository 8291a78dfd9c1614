// Issue 15 item 7: a GlassCluster's spec.image is limited by the operator's allow-list
// (ADR 85). A refused image is a clear condition, and nothing is deployed. Real API server.
import { strict as assert } from 'node:assert';
import { API_VERSION } from '@glass/crds';
import type { Manager } from '../src/manager.js';
import {
  CONTROL_PLANE_TIMEOUT_MS,
  controlPlane,
  type ControlPlane,
} from './support/control-plane.js';
import { glassCluster, inNamespace, withSpec } from './support/fixtures.js';
import { condition, TestKube, waitForCondition } from './support/kube.js';
import { startManager } from './support/manager.js';
import { eventually } from './support/wait.js';

const ALLOWED_REPOSITORY = 'registry.example/team/glass';

describe("a GlassCluster's image against the operator's allow-list", function () {
  let cp: ControlPlane;
  let kube: TestKube;
  let ns: string;
  let manager: Manager | undefined;
  const ref = (name: string) => ({
    apiVersion: API_VERSION,
    kind: 'GlassCluster',
    namespace: ns,
    name,
  });
  const deployments = async (name: string) =>
    (await kube.list('apps/v1', 'Deployment', ns)).filter((d) =>
      d.metadata?.name?.startsWith(`${name}-`),
    );

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
    ns = await kube.namespace('images');
    manager = await startManager(cp.kubeconfigPath, { allowedImages: [ALLOWED_REPOSITORY] });
  });

  after(async function () {
    await manager?.stop();
    await kube.deleteNamespace(ns);
  });

  const refused = [
    { name: 'another repository', image: 'evil.example/miner:1.0' },
    {
      name: 'a repository that only starts like the allowed one',
      image: `${ALLOWED_REPOSITORY}-miner:1.0`,
    },
  ];
  refused.forEach((tc, i) => {
    it(`refuses ${tc.name} with ImageNotAllowed, and deploys nothing`, async function () {
      const name = `refused-${i}`;
      await kube.create(glassCluster(name, inNamespace(ns), withSpec('image', tc.image)));
      const status = await waitForCondition(kube, ref(name), {
        status: 'False',
        reason: 'ImageNotAllowed',
      });
      assert.match(
        condition(status, 'Ready')?.message ?? '',
        new RegExp(
          `spec\\.image ${tc.image.replace(/[.]/g, '\\.')} is not among the images this operator allows`,
        ),
      );
      assert.equal(condition(status, 'Degraded')?.status, 'True');
      assert.deepEqual(await deployments(name), [], 'no Deployment was made');
    });
  });

  it('refuses a managed Redis image outside the list with ImageNotAllowed, and deploys nothing', async function () {
    const managedImage = 'evil.example/redis-miner:7';
    await kube.create(
      glassCluster(
        'redis-refused',
        inNamespace(ns),
        withSpec('image', `${ALLOWED_REPOSITORY}:2.0`),
        withSpec('state', { managed: true, managedImage }),
      ),
    );
    const status = await waitForCondition(kube, ref('redis-refused'), {
      status: 'False',
      reason: 'ImageNotAllowed',
    });
    assert.match(
      condition(status, 'Ready')?.message ?? '',
      /spec\.state\.managedImage evil\.example\/redis-miner:7 is not among the images this operator allows/,
    );
    assert.deepEqual(await deployments('redis-refused'), [], 'no Deployment was made');
  });

  it('runs the default managed Redis image, which the operator itself chose, and a listed one', async function () {
    await kube.create(
      glassCluster(
        'redis-default',
        inNamespace(ns),
        withSpec('image', `${ALLOWED_REPOSITORY}:2.0`),
        withSpec('state', { managed: true }),
      ),
    );
    await kube.create(
      glassCluster(
        'redis-listed',
        inNamespace(ns),
        withSpec('image', `${ALLOWED_REPOSITORY}:2.0`),
        withSpec('state', { managed: true, managedImage: `${ALLOWED_REPOSITORY}:redis` }),
      ),
    );
    for (const name of ['redis-default', 'redis-listed']) {
      await eventually(`the ${name} runtime, router and Redis Deployments`, async () =>
        (await deployments(name)).length === 3 ? true : undefined,
      );
    }
  });

  it('deploys an image of the allowed repository, any tag', async function () {
    await kube.create(
      glassCluster('allowed', inNamespace(ns), withSpec('image', `${ALLOWED_REPOSITORY}:2.0`)),
    );
    const made = await eventually('the runtime and router Deployments', async () => {
      const found = await deployments('allowed');
      return found.length === 2 ? found : undefined;
    });
    assert.deepEqual(made.map((d) => d.metadata?.name).sort(), [
      'allowed-router',
      'allowed-runtime',
    ]);
  });
});
