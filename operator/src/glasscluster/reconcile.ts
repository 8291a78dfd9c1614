import {
  API_VERSION,
  ConditionType,
  describeZodError,
  GLASS_CLUSTER_KIND,
  GlassCluster,
  GlassClusterReason,
  type Condition,
} from '@glass/crds';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import type { Reader } from '../kube/reader.js';
import { recordReadyTransition, type EventRecorder } from '../status/events.js';
import {
  findCondition,
  sameJson,
  setCondition,
  type ConditionInput,
} from '../status/conditions.js';
import { refusedImage } from './image-policy.js';
import {
  CHILD_KINDS,
  credentialsSecret,
  desiredChildren,
  type RuntimePodOptions,
} from './resources/index.js';
import { CLUSTER_LABEL, MANAGED_BY, names } from './resources/meta.js';
import { scaleStatus } from './scale.js';
import { applyFailed, clusterConditions, invalidSpec, type DeploymentState } from './status.js';

/** What the operator's flags impose on every GlassCluster. */
export interface ClusterPolicy {
  /** The images a GlassCluster may run; empty allows any (ADR 0085). */
  allowedImages?: readonly string[];
  /** Passed on to every runtime pod (module-fetch rules, ADR 0081). */
  runtimePods?: RuntimePodOptions;
  /** Write each GlassCluster's default NetworkPolicies (ADR 0125); default true. */
  networkPolicies?: boolean;
}

type Raw = KubernetesObject & { status?: Record<string, unknown> };

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
    private readonly policy: ClusterPolicy = {},
  ) {}

  async reconcile(namespace: string, name: string): Promise<void> {
    const raw = await this.reader.get<Raw>(API_VERSION, GLASS_CLUSTER_KIND, namespace, name);
    if (!raw || raw.metadata?.deletionTimestamp) return; // children go with it: ownerReferences
    const parsed = GlassCluster.safeParse(raw);
    if (!parsed.success) {
      // Terminal until the spec changes: a condition, no retry.
      await this.writeStatus(raw, {
        conditions: this.conditions(raw, invalidSpec(describeZodError(parsed.error))),
      });
      return;
    }
    const cluster = parsed.data;
    const refused = refusedImage(cluster, this.policy.allowedImages ?? []);
    if (refused !== undefined) {
      // Terminal until the spec (or the operator's list) changes; nothing is applied.
      const message = `${refused.field} ${refused.image} is not among the images this operator allows`;
      await this.writeStatus(raw, {
        conditions: this.conditions(raw, invalidSpec(message, GlassClusterReason.ImageNotAllowed)),
      });
      return;
    }
    // The tokens (and managed Redis password) the pods read, before any pod needs them.
    await this.kube.createIfAbsent(credentialsSecret(cluster));
    const desired = desiredChildren(cluster, this.policy.runtimePods, {
      networkPolicies: this.policy.networkPolicies ?? true,
    });
    const applied = await this.applyAll(raw, desired);
    await this.deleteUndesired(cluster, new Set(applied.keys()));
    await this.writeStatus(raw, this.status(cluster, raw, applied));
  }

  /** Applies every child in order, by kind/name; a refusal is reported as Degraded, then thrown. */
  private async applyAll(
    raw: Raw,
    desired: Record<string, unknown>[],
  ): Promise<Map<string, KubernetesObject>> {
    const applied = new Map<string, KubernetesObject>();
    try {
      for (const child of desired) applied.set(key(child), await this.kube.apply(child));
    } catch (error) {
      // Still retried with backoff (a quota or a webhook may relent), but visible meanwhile.
      // The other conditions stay as last computed: what was not applied is not known anew.
      const message = error instanceof Error ? error.message : String(error);
      const conditions = this.conditions(raw, [applyFailed(message)]);
      // The apply's error says more than the status write's, should that fail too.
      await this.writeStatus(raw, { conditions }).catch(() => undefined);
      throw error;
    }
    return applied;
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
    raw: Raw,
    applied: Map<string, KubernetesObject>,
  ): Record<string, unknown> {
    // The applied objects carry the Deployment controller's status from before this apply.
    const deployment = (name: string): DeploymentState | undefined =>
      applied.get(`Deployment/${name}`);
    const deployments = {
      runtime: deployment(names(cluster).runtime),
      router: deployment(names(cluster).router),
    };
    return {
      observedGeneration: raw.metadata?.generation,
      ...scaleStatus(cluster, deployments.runtime),
      readyReplicas: deployments.runtime?.status?.readyReplicas ?? 0,
      routerService: names(cluster).router,
      conditions: this.conditions(raw, clusterConditions(cluster.spec, deployments)),
    };
  }

  private conditions(raw: Raw, inputs: ConditionInput[]): Condition[] {
    const now = this.now().toISOString();
    return inputs.reduce<Condition[]>(
      (conditions, input) => setCondition(conditions, input, now, raw.metadata?.generation),
      (raw.status?.conditions as Condition[] | undefined) ?? [],
    );
  }

  /** Patched only when it changed; an Event when Ready flips. */
  private async writeStatus(raw: Raw, status: Record<string, unknown>): Promise<void> {
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
        resourceVersion: raw.metadata?.resourceVersion,
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
