// Ready, Progressing and Degraded of a GlassCluster from what its Deployments report: the
// readings a platform team waits on (`kubectl wait --for=condition=...`) and alerts on.
import { strict as assert } from 'node:assert';
import { API_VERSION, GlassCluster, type Condition } from '@glass/crds';
import {
  applyFailed,
  clusterConditions,
  invalidSpec,
  type DeploymentState,
} from '../../src/glasscluster/status.js';
import { sameJson, setCondition } from '../../src/status/conditions.js';

type Option = (d: Required<Pick<DeploymentState, 'metadata' | 'status'>>) => void;

/**
 * A Deployment at generation 1 that its controller has seen, with `pods` pods updated, ready
 * and available, and the rollout called complete; options change it from there.
 */
function deployment(pods: number, ...options: Option[]): DeploymentState {
  const d = {
    metadata: { generation: 1 },
    status: {
      observedGeneration: 1,
      replicas: pods,
      updatedReplicas: pods,
      readyReplicas: pods,
      availableReplicas: pods,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
    },
  };
  for (const option of options) option(d);
  return d;
}

/** The spec moved to generation 2 and the Deployment controller has not caught up. */
const unobserved: Option = (d) => {
  d.metadata.generation = 2;
};
/** Pods that exist but never become ready: what the test control plane (no kubelet) shows. */
const unavailable =
  (available: number): Option =>
  (d) => {
    d.status.readyReplicas = available;
    d.status.availableReplicas = available;
  };
const progressing =
  (status: string, reason: string): Option =>
  (d) => {
    d.status.conditions = [{ type: 'Progressing', status, reason }];
  };
const rollingOut = progressing('True', 'ReplicaSetUpdated');
const counts =
  (c: { replicas?: number; updatedReplicas?: number }): Option =>
  (d) => {
    Object.assign(d.status, c);
  };

const cluster = (spec: Record<string, unknown> = {}) =>
  GlassCluster.parse({
    apiVersion: API_VERSION,
    kind: 'GlassCluster',
    metadata: { name: 'demo' },
    spec: { replicas: 2, ...spec },
  }).spec;

type Want = [status: Condition['status'], reason: string, message: string];

interface Case {
  name: string;
  spec?: Record<string, unknown>;
  runtime: DeploymentState | undefined;
  router: DeploymentState | undefined;
  ready: Want;
  progressing: Want;
  degraded: Want;
}

const AS_EXPECTED: Want = ['False', 'AsExpected', 'no pod missing outside a rollout'];
const ROLLED_OUT: Want = ['False', 'RolloutComplete', 'runtime and router Deployments rolled out'];
const ALL_READY: Want = ['True', 'Available', '2 runtime pods and 1 router pods ready'];

const cases: Case[] = [
  {
    name: 'a fresh cluster whose Deployments have no status yet is rolling out, not degraded',
    runtime: { metadata: { generation: 1 } },
    router: { metadata: { generation: 1 } },
    ready: ['False', 'PodsNotReady', '0/2 runtime pods and 0/1 router pods ready'],
    progressing: [
      'True',
      'RollingOut',
      'runtime Deployment not yet observed by its controller; router Deployment not yet observed by its controller',
    ],
    degraded: AS_EXPECTED,
  },
  {
    name: 'pods created but not yet available during the first rollout: rolling out, not degraded',
    runtime: deployment(2, unavailable(0), rollingOut),
    router: deployment(1, unavailable(0), rollingOut),
    ready: ['False', 'PodsNotReady', '0/2 runtime pods and 0/1 router pods ready'],
    progressing: ['True', 'RollingOut', '0/2 runtime pods available; 0/1 router pods available'],
    degraded: AS_EXPECTED,
  },
  {
    name: 'every pod ready and both rollouts complete: ready, not progressing, not degraded',
    runtime: deployment(2),
    router: deployment(1),
    ready: ALL_READY,
    progressing: ROLLED_OUT,
    degraded: AS_EXPECTED,
  },
  {
    name: 'a new spec the Deployment controller has not seen yet: progressing, still ready',
    runtime: deployment(2, unobserved),
    router: deployment(1),
    ready: ALL_READY,
    progressing: ['True', 'RollingOut', 'runtime Deployment not yet observed by its controller'],
    degraded: AS_EXPECTED,
  },
  {
    name: 'fewer updated pods than wanted: progressing',
    runtime: deployment(2, counts({ replicas: 3, updatedReplicas: 1 }), rollingOut),
    router: deployment(1),
    ready: ALL_READY,
    progressing: ['True', 'RollingOut', '1/2 runtime pods updated'],
    degraded: AS_EXPECTED,
  },
  {
    name: 'old pods still terminating after every pod was updated: progressing',
    runtime: deployment(2, counts({ replicas: 3 }), rollingOut),
    router: deployment(1),
    ready: ALL_READY,
    progressing: ['True', 'RollingOut', '1 old runtime pods terminating'],
    degraded: AS_EXPECTED,
  },
  {
    name: 'a pod lost after the rollout completed: degraded, not progressing',
    runtime: deployment(2, unavailable(1)),
    router: deployment(1),
    ready: ['False', 'PodsNotReady', '1/2 runtime pods and 1/1 router pods ready'],
    progressing: ROLLED_OUT,
    degraded: ['True', 'PodsUnavailable', '1/2 runtime pods available'],
  },
  {
    name: 'a rollout past its progress deadline: degraded, and no longer progressing',
    runtime: deployment(2, unavailable(0), progressing('False', 'ProgressDeadlineExceeded')),
    router: deployment(1),
    ready: ['False', 'PodsNotReady', '0/2 runtime pods and 1/1 router pods ready'],
    progressing: [
      'False',
      'ProgressDeadlineExceeded',
      'runtime rollout exceeded its progress deadline',
    ],
    degraded: ['True', 'PodsUnavailable', 'runtime rollout exceeded its progress deadline'],
  },
  {
    name: 'a runtime rolling out while a router pod is lost: progressing and degraded at once',
    runtime: deployment(2, unobserved),
    router: deployment(1, unavailable(0)),
    ready: ['False', 'PodsNotReady', '2/2 runtime pods and 0/1 router pods ready'],
    progressing: ['True', 'RollingOut', 'runtime Deployment not yet observed by its controller'],
    degraded: ['True', 'PodsUnavailable', '0/1 router pods available'],
  },
  {
    name: 'no runtime pods wanted: nothing to wait for on that side',
    spec: { replicas: 0 },
    runtime: deployment(0),
    router: deployment(1),
    ready: ['True', 'Available', '0 runtime pods and 1 router pods ready'],
    progressing: ROLLED_OUT,
    degraded: AS_EXPECTED,
  },
  {
    name: 'scaled up, the new pods not yet available: progressing, not degraded',
    spec: { replicas: 3 },
    runtime: deployment(3, unavailable(2), rollingOut),
    router: deployment(1),
    ready: ['False', 'PodsNotReady', '2/3 runtime pods and 1/1 router pods ready'],
    progressing: ['True', 'RollingOut', '2/3 runtime pods available'],
    degraded: AS_EXPECTED,
  },
];

describe('the GlassCluster conditions', function () {
  for (const tc of cases) {
    it(tc.name, function () {
      const got = clusterConditions(cluster(tc.spec), { runtime: tc.runtime, router: tc.router });
      const want = { Ready: tc.ready, Progressing: tc.progressing, Degraded: tc.degraded };
      assert.deepEqual(
        Object.fromEntries(got.map((c) => [c.type, [c.status, c.reason, c.message]])),
        want,
      );
    });
  }

  it('a refused child makes Degraded say what the API server said', function () {
    assert.deepEqual(applyFailed('applying Deployment team/demo-runtime: 422 invalid'), {
      type: 'Degraded',
      status: 'True',
      reason: 'ApplyFailed',
      message: 'applying Deployment team/demo-runtime: 422 invalid',
    });
  });

  it('an invalid spec makes every condition say so: not ready, not progressing, degraded', function () {
    assert.deepEqual(
      invalidSpec('spec.replicas: Too small').map((c) => [c.type, c.status, c.reason]),
      [
        ['Ready', 'False', 'InvalidSpec'],
        ['Progressing', 'False', 'InvalidSpec'],
        ['Degraded', 'True', 'InvalidSpec'],
      ],
    );
  });

  it('already done, no write: the same Deployments later give a status equal to the old one', function () {
    const deployments = {
      runtime: deployment(2, unavailable(0), rollingOut),
      router: deployment(1),
    };
    const at = (now: string, before: Condition[]) =>
      clusterConditions(cluster(), deployments).reduce(
        (conditions, input) => setCondition(conditions, input, now, 1),
        before,
      );
    const first = at('2030-01-01T00:00:00.000Z', []);
    assert.ok(sameJson(at('2030-01-01T00:05:00.000Z', first), first));
  });
});
