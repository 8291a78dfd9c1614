import { ConditionType, GlassClusterReason, type GlassClusterSpec } from '@glass/crds';
import type { V1DeploymentStatus } from '@kubernetes/client-node';
import type { ConditionInput } from '../status/conditions.js';

/** A Deployment as the API server returned it: its generation and what its controller reported. */
export interface DeploymentState {
  metadata?: { generation?: number };
  status?: V1DeploymentStatus;
}

export interface ClusterDeployments {
  runtime: DeploymentState | undefined;
  router: DeploymentState | undefined;
}

type Component = keyof ClusterDeployments;

/** Where one Deployment stands against the replicas wanted of it. */
type Rollout =
  | { phase: 'rolling'; message: string }
  | { phase: 'stalled'; message: string }
  | { phase: 'done'; available: number };

/**
 * `kubectl rollout status`'s reading of a Deployment, with one difference: pods missing after
 * the Deployment controller called the rollout complete (its Progressing reason is
 * NewReplicaSetAvailable) are a degradation, not a rollout still under way.
 */
function rolloutOf(
  component: Component,
  deployment: DeploymentState | undefined,
  wanted: number,
): Rollout {
  const status = deployment?.status;
  if (!status || (status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) {
    return {
      phase: 'rolling',
      message: `${component} Deployment not yet observed by its controller`,
    };
  }
  return observedRollout(component, status, wanted);
}

/** The same, once the Deployment controller has seen the Deployment's current spec. */
function observedRollout(
  component: Component,
  status: V1DeploymentStatus,
  wanted: number,
): Rollout {
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { phase: 'stalled', message: `${component} rollout exceeded its progress deadline` };
  }
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted) {
    return { phase: 'rolling', message: `${updated}/${wanted} ${component} pods updated` };
  }
  if (total > updated) {
    return { phase: 'rolling', message: `${total - updated} old ${component} pods terminating` };
  }
  if (available < wanted && progressing?.reason !== 'NewReplicaSetAvailable') {
    return { phase: 'rolling', message: `${available}/${wanted} ${component} pods available` };
  }
  return { phase: 'done', available };
}

function ready(deployments: ClusterDeployments, wanted: Record<Component, number>): ConditionInput {
  const runtime = deployments.runtime?.status?.readyReplicas ?? 0;
  const router = deployments.router?.status?.readyReplicas ?? 0;
  const isReady = runtime >= wanted.runtime && router >= wanted.router;
  return {
    type: ConditionType.Ready,
    status: isReady ? 'True' : 'False',
    reason: isReady ? GlassClusterReason.Available : GlassClusterReason.PodsNotReady,
    message: isReady
      ? `${runtime} runtime pods and ${router} router pods ready`
      : `${runtime}/${wanted.runtime} runtime pods and ${router}/${wanted.router} router pods ready`,
  };
}

function progressing(rollouts: Rollout[]): ConditionInput {
  const type = ConditionType.Progressing;
  const rolling = rollouts.flatMap((r) => (r.phase === 'rolling' ? [r.message] : []));
  if (rolling.length > 0) {
    return {
      type,
      status: 'True',
      reason: GlassClusterReason.RollingOut,
      message: rolling.join('; '),
    };
  }
  const stalled = rollouts.flatMap((r) => (r.phase === 'stalled' ? [r.message] : []));
  if (stalled.length > 0) {
    return {
      type,
      status: 'False',
      reason: GlassClusterReason.ProgressDeadlineExceeded,
      message: stalled.join('; '),
    };
  }
  return {
    type,
    status: 'False',
    reason: GlassClusterReason.RolloutComplete,
    message: 'runtime and router Deployments rolled out',
  };
}

function degraded(rollouts: [Component, Rollout, number][]): ConditionInput {
  const missing = rollouts.flatMap(([component, rollout, wanted]) => {
    if (rollout.phase === 'stalled') return [rollout.message];
    if (rollout.phase === 'done' && rollout.available < wanted) {
      return [`${rollout.available}/${wanted} ${component} pods available`];
    }
    return [];
  });
  return missing.length > 0
    ? {
        type: ConditionType.Degraded,
        status: 'True',
        reason: GlassClusterReason.PodsUnavailable,
        message: missing.join('; '),
      }
    : {
        type: ConditionType.Degraded,
        status: 'False',
        reason: GlassClusterReason.AsExpected,
        message: 'no pod missing outside a rollout',
      };
}

/**
 * Ready, Progressing and Degraded of a GlassCluster whose children were all applied, from the
 * replicas its spec wants and what the runtime and router Deployments report (docs/adr/0054).
 */
export function clusterConditions(
  spec: GlassClusterSpec,
  deployments: ClusterDeployments,
): ConditionInput[] {
  const wanted = { runtime: spec.replicas, router: spec.router.replicas };
  const rollouts = (['runtime', 'router'] as const).map((c): [Component, Rollout, number] => [
    c,
    rolloutOf(c, deployments[c], wanted[c]),
    wanted[c],
  ]);
  return [
    ready(deployments, wanted),
    progressing(rollouts.map(([, rollout]) => rollout)),
    degraded(rollouts),
  ];
}

/** A child the API server refused: Degraded until an apply succeeds; the others stay as they were. */
export function applyFailed(message: string): ConditionInput {
  return {
    type: ConditionType.Degraded,
    status: 'True',
    reason: GlassClusterReason.ApplyFailed,
    message,
  };
}

/** A spec the schema refuses: terminal until it changes, so every condition says so. */
export function invalidSpec(
  message: string,
  reason: string = GlassClusterReason.InvalidSpec,
): ConditionInput[] {
  return [
    { type: ConditionType.Ready, status: 'False', reason, message },
    { type: ConditionType.Progressing, status: 'False', reason, message },
    { type: ConditionType.Degraded, status: 'True', reason, message },
  ];
}
