// The Node this agent stands for, registered and kept alive the way a kubelet does it: a Lease
// in kube-node-lease renewed every few seconds, and a Ready condition whose heartbeat is
// refreshed, so the node-lifecycle controller never marks the node unreachable or taints it.
import { release } from 'node:os';
import {
  V1MicroTime,
  type V1Lease,
  type V1Node,
  type V1NodeCondition,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeApiError, isConflict, isNotFound } from '@glass/runtime/kube-api-errors';
import type { AgentConfig } from './config.js';
import { MERGE_PATCH, type Kube } from './kube.js';

const LEASE_NAMESPACE = 'kube-node-lease';
/** The kubelet's default: renewals every 10 s keep a 40 s lease. */
const LEASE_SECONDS = 40;
export const AGENT_LABEL = 'node.glass.dev/agent';

function conditions(now: Date, since: Date): V1NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: since,
  });
  return [
    condition('Ready', 'True', 'KubeletReady', 'glass node agent is posting ready status'),
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'not measured'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'not measured'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'not measured'),
  ];
}

/** The Node's status: capacity, addresses and conditions. */
export function nodeStatus(
  config: AgentConfig,
  nodeIp: string,
  now: Date,
  since: Date,
): V1Node['status'] {
  const { capacity } = config;
  return {
    capacity,
    allocatable: capacity,
    addresses: [
      { type: 'InternalIP', address: nodeIp },
      { type: 'Hostname', address: config.nodeName },
    ],
    conditions: conditions(now, since),
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    nodeInfo: {
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      operatingSystem: 'linux',
      osImage: 'glass node agent',
      kernelVersion: release(),
      containerRuntimeVersion: 'glass-node-agent://0.1.0',
      kubeletVersion: 'v0.0.0-glass-node-agent',
      kubeProxyVersion: '',
      bootID: '',
      machineID: '',
      systemUUID: '',
    },
  };
}

export class NodeHeartbeat {
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private nodeUid = '';
  /** The conditions have held since registration: the agent only ever reports Ready. */
  private readonly since = new Date();

  constructor(
    private readonly kube: Kube,
    private readonly config: AgentConfig,
    private readonly nodeIp: string,
    private readonly log: Logger,
  ) {}

  /** Registers the Node (or takes over one of the same name), posts Ready, takes its Lease. */
  async start(): Promise<void> {
    const { core } = this.kube;
    const name = this.config.nodeName;
    const node: V1Node = {
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          [AGENT_LABEL]: 'true',
        },
      },
      spec: {},
    };
    try {
      this.nodeUid = (await core.createNode({ body: node })).metadata?.uid ?? '';
    } catch (error) {
      if (!isConflict(error)) throw describeApiError(`registering node ${name}`, error);
      this.nodeUid = (await core.readNode({ name })).metadata?.uid ?? '';
    }
    await this.postStatus();
    await this.renewLease();
    this.leaseTimer = setInterval(
      () => void this.beat(() => this.renewLease()),
      this.config.leaseRenewMs,
    );
    this.statusTimer = setInterval(
      () => void this.beat(() => this.postStatus()),
      this.config.statusRefreshMs,
    );
  }

  stop(): void {
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
  }

  private async beat(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // The next beat tries again; a lease holds for LEASE_SECONDS meanwhile.
      this.log.warn({ err: error }, 'node heartbeat failed');
    }
  }

  private async postStatus(): Promise<void> {
    const name = this.config.nodeName;
    try {
      await this.kube.core.patchNodeStatus(
        { name, body: { status: nodeStatus(this.config, this.nodeIp, new Date(), this.since) } },
        MERGE_PATCH,
      );
    } catch (error) {
      throw describeApiError(`posting the status of node ${name}`, error);
    }
  }

  private async renewLease(): Promise<void> {
    const { coordination } = this.kube;
    const name = this.config.nodeName;
    const renewTime = new V1MicroTime();
    try {
      await coordination.patchNamespacedLease(
        { name, namespace: LEASE_NAMESPACE, body: { spec: { renewTime } } },
        MERGE_PATCH,
      );
    } catch (error) {
      if (!isNotFound(error)) throw describeApiError(`renewing the lease of node ${name}`, error);
      const lease: V1Lease = {
        metadata: {
          name,
          namespace: LEASE_NAMESPACE,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.nodeUid }],
        },
        spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime },
      };
      await coordination.createNamespacedLease({ namespace: LEASE_NAMESPACE, body: lease });
    }
  }
}
