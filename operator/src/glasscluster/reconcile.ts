import {
  API_VERSION,
  ConditionType,
  describeZodError,
  GLASS_CLUSTER_KIND,
  GlassCluster,
  type Condition,
} from '@glass/crds';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import type { Reader } from '../kube/reader.js';
import { recordReadyTransition, type EventRecorder } from '../status/events.js';
import { findCondition, sameJson, setCondition } from '../status/conditions.js';
import { CHILD_KINDS, desiredChildren } from './resources/index.js';
import { CLUSTER_LABEL, MANAGED_BY, names } from './resources/meta.js';

interface DeploymentStatus {
  status?: { readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number };
}

export const GlassClusterReason = {
  Available: 'Available',
  PodsNotReady: 'PodsNotReady',
  InvalidSpec: 'InvalidSpec',
} as const;

const key = (o: KubernetesObject | Record<string, unknown>): string => {
  const object = o as KubernetesObject;
  return `${object.kind ?? ''}/${object.metadata?.name ?? ''}`;
};

/**
 * GlassCluster → runtime Deployment + headless Service, router Deployment + Service,
 * ServiceAccounts/Roles/RoleBindings, and a Redis when managed. Level-triggered: it reads
 * the world each time, applies what should be, deletes what should not, then sets status.
 */
export class GlassClusterReconciler {
  constructor(
    private readonly kube: Kube,
    private readonly events: EventRecorder,
    /** Where the GlassCluster is read from: the informer's cache in the manager. */
    private readonly reader: Reader = kube,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(namespace: string, name: string): Promise<void> {
    const raw = await this.reader.get<KubernetesObject & { status?: Record<string, unknown> }>(
      API_VERSION,
      GLASS_CLUSTER_KIND,
      namespace,
      name,
    );
    if (!raw || raw.metadata?.deletionTimestamp) return; // children go with it: ownerReferences
    const parsed = GlassCluster.safeParse(raw);
    if (!parsed.success) {
      // Terminal until the spec changes: a condition, no retry.
      await this.writeStatus(raw, {
        conditions: this.condition(
          raw,
          'False',
          GlassClusterReason.InvalidSpec,
          describeZodError(parsed.error),
        ),
      });
      return;
    }
    const cluster = parsed.data;
    const desired = desiredChildren(cluster);
    const applied = new Map<string, KubernetesObject>();
    for (const child of desired) applied.set(key(child), await this.kube.apply(child));
    await this.deleteUndesired(cluster, new Set(desired.map(key)));
    await this.writeStatus(raw, this.status(cluster, raw, applied));
  }

  private async deleteUndesired(cluster: GlassCluster, wanted: Set<string>): Promise<void> {
    const namespace = cluster.metadata.namespace ?? 'default';
    const selector = `app.kubernetes.io/managed-by=${MANAGED_BY},${CLUSTER_LABEL}=${cluster.metadata.name}`;
    for (const { apiVersion, kind } of CHILD_KINDS) {
      for (const existing of await this.kube.list(apiVersion, kind, namespace, selector)) {
        const owned = existing.metadata?.ownerReferences?.some(
          (o) => o.uid === cluster.metadata.uid && o.controller,
        );
        if (owned && !wanted.has(`${kind}/${existing.metadata?.name ?? ''}`)) {
          await this.kube.delete({ ...existing, apiVersion, kind });
        }
      }
    }
  }

  private status(
    cluster: GlassCluster,
    raw: KubernetesObject & { status?: Record<string, unknown> },
    applied: Map<string, KubernetesObject>,
  ): Record<string, unknown> {
    const runtime = applied.get(`Deployment/${names(cluster).runtime}`) as
      DeploymentStatus | undefined;
    const router = applied.get(`Deployment/${names(cluster).router}`) as
      DeploymentStatus | undefined;
    const readyReplicas = runtime?.status?.readyReplicas ?? 0;
    const routerReady = router?.status?.readyReplicas ?? 0;
    const ready =
      readyReplicas >= cluster.spec.replicas && routerReady >= cluster.spec.router.replicas;
    const message = ready
      ? `${readyReplicas} runtime pods and ${routerReady} router pods ready`
      : `${readyReplicas}/${cluster.spec.replicas} runtime pods and ${routerReady}/${cluster.spec.router.replicas} router pods ready`;
    return {
      observedGeneration: raw.metadata?.generation,
      readyReplicas,
      routerService: names(cluster).router,
      conditions: this.condition(
        raw,
        ready ? 'True' : 'False',
        ready ? GlassClusterReason.Available : GlassClusterReason.PodsNotReady,
        message,
      ),
    };
  }

  private condition(
    raw: KubernetesObject & { status?: Record<string, unknown> },
    status: Condition['status'],
    reason: string,
    message: string,
  ): Condition[] {
    const previous = raw.status?.conditions as Condition[] | undefined;
    return setCondition(
      previous,
      { type: ConditionType.Ready, status, reason, message },
      this.now().toISOString(),
      raw.metadata?.generation,
    );
  }

  /** Patched only when it changed; an Event when Ready flips. */
  private async writeStatus(
    raw: KubernetesObject & { status?: Record<string, unknown> },
    status: Record<string, unknown>,
  ): Promise<void> {
    const merged = { ...(raw.status ?? {}), ...status };
    if (sameJson(merged, raw.status)) return;
    const namespace = raw.metadata?.namespace ?? 'default';
    const name = raw.metadata?.name ?? '';
    await this.kube.applyStatus(
      {
        apiVersion: API_VERSION,
        kind: GLASS_CLUSTER_KIND,
        plural: 'glassclusters',
        namespace,
        name,
      },
      merged,
    );
    const before = findCondition(
      raw.status?.conditions as Condition[] | undefined,
      ConditionType.Ready,
    );
    const after = findCondition(merged.conditions as Condition[], ConditionType.Ready);
    const target = {
      apiVersion: API_VERSION,
      kind: GLASS_CLUSTER_KIND,
      namespace,
      name,
      uid: raw.metadata?.uid,
    };
    recordReadyTransition(this.events, target, before, after);
  }
}
