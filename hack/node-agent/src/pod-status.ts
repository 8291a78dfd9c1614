// A pod's status as a kubelet reports it, built from what the agent knows of its containers.
// Pure: the runner owns the facts, this turns them into the status subresource's shape.
import type { V1ContainerStatus, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

export type ContainerPhase =
  | { kind: 'waiting'; reason: string; message: string }
  | { kind: 'running'; pid: number; startedAt: Date }
  | {
      kind: 'terminated';
      pid: number;
      startedAt: Date;
      finishedAt: Date;
      exitCode: number;
      signal: string | undefined;
      /** Why the agent ended it, when it did (a failing liveness probe). */
      message?: string;
    };

export interface ContainerFacts {
  name: string;
  image: string;
  phase: ContainerPhase;
  ready: boolean;
}

export interface PodFactsForStatus {
  uid: string;
  podIp: string | undefined;
  hostIp: string;
  startTime: Date;
  containers: ContainerFacts[];
  /** Conditions last reported, so a condition keeps its lastTransitionTime until it flips. */
  previousConditions: V1PodCondition[];
  now: Date;
}

/** Containers are never restarted in place (ADR 66): a pod ends when its first container does. */
export function podPhase(
  containers: ContainerFacts[],
): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  const terminated = containers.flatMap((c) => (c.phase.kind === 'terminated' ? [c.phase] : []));
  if (terminated.length > 0) {
    const allSucceeded =
      terminated.length === containers.length && terminated.every((t) => t.exitCode === 0);
    return allSucceeded ? 'Succeeded' : 'Failed';
  }
  return containers.every((c) => c.phase.kind === 'running') ? 'Running' : 'Pending';
}

function terminatedMessage(
  phase: Extract<ContainerPhase, { kind: 'terminated' }>,
  killed: boolean,
): string {
  const how = killed ? `ended by ${phase.signal ?? ''}` : `exited with code ${phase.exitCode}`;
  return phase.message === undefined ? how : `${phase.message}; ${how}`;
}

function containerStatus(facts: ContainerFacts, uid: string): V1ContainerStatus {
  const { phase } = facts;
  const base = { name: facts.name, image: facts.image, imageID: facts.image, restartCount: 0 };
  if (phase.kind === 'waiting') {
    return {
      ...base,
      ready: false,
      started: false,
      state: { waiting: { reason: phase.reason, message: phase.message } },
    };
  }
  const containerID = `glass-node-agent://${uid}/${facts.name}/${phase.pid}`;
  if (phase.kind === 'running') {
    return {
      ...base,
      containerID,
      ready: facts.ready,
      started: true,
      state: { running: { startedAt: phase.startedAt } },
    };
  }
  const killed = phase.signal !== undefined;
  return {
    ...base,
    containerID,
    ready: false,
    started: false,
    state: {
      terminated: {
        exitCode: phase.exitCode,
        ...(killed ? { signal: phase.exitCode - 128 } : {}),
        reason: phase.exitCode === 0 ? 'Completed' : 'Error',
        message: terminatedMessage(phase, killed),
        startedAt: phase.startedAt,
        finishedAt: phase.finishedAt,
      },
    },
  };
}

function condition(
  type: string,
  ok: boolean,
  facts: PodFactsForStatus,
  reason?: string,
): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const previous = facts.previousConditions.find((c) => c.type === type);
  const lastTransitionTime =
    previous?.status === status && previous.lastTransitionTime
      ? previous.lastTransitionTime
      : facts.now;
  return { type, status, lastTransitionTime, ...(ok || !reason ? {} : { reason }) };
}

/** The whole status: sent as a JSON merge patch, so its lists replace the old ones. */
export function podStatus(facts: PodFactsForStatus): V1PodStatus {
  const phase = podPhase(facts.containers);
  const containersReady =
    phase === 'Running' && facts.containers.every((c) => c.phase.kind === 'running' && c.ready);
  const ended = phase === 'Succeeded' || phase === 'Failed';
  const notReadyReason = ended ? 'PodCompleted' : 'ContainersNotReady';
  return {
    phase,
    hostIP: facts.hostIp,
    hostIPs: [{ ip: facts.hostIp }],
    ...(facts.podIp ? { podIP: facts.podIp, podIPs: [{ ip: facts.podIp }] } : {}),
    startTime: facts.startTime,
    conditions: [
      condition('PodScheduled', true, facts),
      condition('Initialized', true, facts),
      condition('ContainersReady', containersReady, facts, notReadyReason),
      condition('Ready', containersReady, facts, notReadyReason),
    ],
    containerStatuses: facts.containers.map((c) => containerStatus(c, facts.uid)),
  };
}
