// What a GlassCluster's scale subresource reads from its status: how many runtime pods exist and
// the selector that finds them, which must be the runtime Deployment's own for an HPA to average
// the metrics of the right pods.
import { strict as assert } from 'node:assert';
import { API_VERSION, GlassCluster } from '@glass/crds';
import { desiredChildren } from '../../src/glasscluster/resources/index.js';
import { scaleStatus, selectorText } from '../../src/glasscluster/scale.js';

const cluster = (name: string) =>
  GlassCluster.parse({
    apiVersion: API_VERSION,
    kind: 'GlassCluster',
    metadata: { name, namespace: 'team', uid: 'uid-1' },
    spec: { replicas: 3 },
  });

/** The matchLabels of the runtime Deployment the operator applies for `c`. */
function runtimeMatchLabels(c: GlassCluster): Record<string, string> {
  const deployment = desiredChildren(c).find(
    (o) =>
      o.kind === 'Deployment' &&
      (o.metadata as { name: string }).name === `${c.metadata.name}-runtime`,
  ) as { spec: { selector: { matchLabels: Record<string, string> } } } | undefined;
  assert.ok(deployment, 'a runtime Deployment');
  return deployment.spec.selector.matchLabels;
}

describe("a GlassCluster's scale status", function () {
  const cases = [
    { name: 'no Deployment yet: no pods', runtime: undefined, replicas: 0 },
    { name: 'a Deployment not yet counted by its controller', runtime: {}, replicas: 0 },
    {
      name: 'the pods the Deployment counts, ready or not',
      runtime: { status: { replicas: 3, readyReplicas: 1 } },
      replicas: 3,
    },
    {
      name: 'old and new pods during a rollout, as the Deployment counts them',
      runtime: { status: { replicas: 4, updatedReplicas: 1 } },
      replicas: 4,
    },
  ];
  for (const tc of cases) {
    it(`replicas: ${tc.name}`, function () {
      assert.equal(scaleStatus(cluster('demo'), tc.runtime).replicas, tc.replicas);
    });
  }

  it("selects exactly the runtime Deployment's pods, in the API server's text form", function () {
    for (const name of ['demo', 'glass']) {
      const c = cluster(name);
      const { selector } = scaleStatus(c, undefined);
      assert.equal(
        selector,
        `app.kubernetes.io/component=runtime,app.kubernetes.io/instance=${name}`,
      );
      const parsed = Object.fromEntries(
        selector.split(',').map((pair): [string, string] => {
          const [key = '', value = ''] = pair.split('=');
          return [key, value];
        }),
      );
      assert.deepEqual(parsed, runtimeMatchLabels(c));
    }
  });

  it('writes a selector with its keys sorted, whatever their order', function () {
    assert.equal(selectorText({ b: '2', a: '1', c: '3' }), 'a=1,b=2,c=3');
    assert.equal(selectorText({}), '');
  });
});
