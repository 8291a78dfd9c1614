// The informer wrapper on a real API server: not synced while it cannot list, synced (and
// delivering) once it can.
import { strict as assert } from 'node:assert';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ResilientInformer } from '@glass/runtime/resilient-informer';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  type ControlPlane,
} from './support/control-plane.js';
import { TestKube } from './support/kube.js';
import { eventually } from './support/wait.js';

const GROUP = 'informer-test.glass.dev';
const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    ],
  },
};

describe('the resilient informer', function () {
  let cp: ControlPlane;
  let kube: TestKube;
  let informer: ResilientInformer<KubernetesObject> | undefined;

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
  });

  after(async function () {
    await informer?.stop();
    await kube.delete('apiextensions.k8s.io/v1', 'CustomResourceDefinition', '', CRD.metadata.name);
  });

  it('reports not synced while its resource cannot be listed, then syncs and delivers once it can', async function () {
    this.timeout(60_000);
    const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
    const seen: string[] = [];
    informer = new ResilientInformer(
      cp.kubeConfig,
      {
        name: 'widgets',
        path: `/apis/${GROUP}/v1/widgets`,
        list: () => objects.list(`${GROUP}/v1`, 'Widget'),
        onChange: (o) => seen.push(o.metadata?.name ?? ''),
      },
      pino({ level: 'silent' }),
    );
    await informer.start();
    assert.equal(informer.synced, false, 'the list failed (no such resource): not synced');

    await kube.create(CRD);
    await eventually('the informer to sync once the CRD exists', () => informer?.synced, 45_000);
    await eventually('the CRD to serve', async () => {
      try {
        await kube.create({
          apiVersion: `${GROUP}/v1`,
          kind: 'Widget',
          metadata: { name: 'w1', namespace: 'default' },
        });
        return true;
      } catch {
        return false;
      }
    });
    await eventually('the new Widget to be delivered', () => seen.includes('w1'));
    assert.deepEqual(
      informer.list().map((o) => o.metadata?.name),
      ['w1'],
    );
  });
});
