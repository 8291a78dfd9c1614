import {
  API_VERSION,
  ConditionType,
  describeZodError,
  FAASLET_KIND,
  Faaslet,
  GLASS_CLUSTER_KIND,
  GlassClusterSpec,
  Reason,
  stateNamespaceAllowed,
  type Condition,
  type ConfigMap,
} from '@glass/crds';
import { compileFaaslet, InvalidModuleError, sha256Hex } from '@glass/runtime/compile-faaslet';
import {
  DEFAULT_MODULE_FETCH_POLICY,
  DigestMismatchError,
  ModuleFetchError,
  ModuleNotFoundError,
  ModuleTooLargeError,
  resolveModuleBytes,
  type ModuleFetchPolicy,
} from '@glass/runtime/module-bytes';
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

type RawFaaslet = KubernetesObject & { status?: Record<string, unknown> };

interface Checked {
  exports: string[];
  /** The module imports state functions: the router places its calls on their owner. */
  touchesState: boolean;
}

/** Compiled results by digest and the spec fields that change them: 500 Faaslets of one module compile once. */
const MAX_CACHED = 1000;

function reasonOf(error: unknown): string {
  if (error instanceof DigestMismatchError) return Reason.DigestMismatch;
  if (error instanceof ModuleTooLargeError) return Reason.ModuleTooLarge;
  if (error instanceof ModuleNotFoundError) return Reason.ModuleNotFound;
  return Reason.InvalidModule;
}

/**
 * What a Faaslet needs of its GlassCluster: that it exists, and its allow-list of state
 * namespaces. A cluster whose spec does not parse allows none: its own status says why.
 */
function clusterOf(
  raw: KubernetesObject | undefined,
): { allowedStateNamespaces?: readonly string[] } | undefined {
  if (raw === undefined) return undefined;
  const spec = GlassClusterSpec.safeParse((raw as { spec?: unknown }).spec ?? {});
  return spec.success ? spec.data : { allowedStateNamespaces: [] };
}

/**
 * Faaslet → its module resolved (ConfigMap binaryData, URL checked against sha256, or inline),
 * compiled and checked with the runtime's own code, and digest + exports in status. Ready
 * needs a valid module and an existing GlassCluster.
 */
export class FaasletReconciler {
  private readonly checked = new Map<string, Checked | InvalidModuleError>();

  constructor(
    private readonly kube: Kube,
    private readonly events: EventRecorder,
    /** Where objects are read from: the informers' caches in the manager, the server in tests. */
    private readonly reader: Reader = kube,
    private readonly now: () => Date = () => new Date(),
    /** Which addresses spec.module.url may name and how much of it is read (ADR 0081). */
    private readonly fetchPolicy: ModuleFetchPolicy = DEFAULT_MODULE_FETCH_POLICY,
  ) {}

  async reconcile(namespace: string, name: string): Promise<void> {
    const raw = await this.reader.get<RawFaaslet>(API_VERSION, FAASLET_KIND, namespace, name);
    if (!raw || raw.metadata?.deletionTimestamp) return;
    const parsed = Faaslet.safeParse(raw);
    if (!parsed.success) {
      const message = describeZodError(parsed.error);
      await this.writeStatus(
        raw,
        [{ type: ConditionType.Ready, status: 'False', reason: 'InvalidSpec', message }],
        {},
      );
      return;
    }
    const faaslet = parsed.data;
    const module = await this.checkModule(faaslet, namespace);
    const cluster = await this.reader.get(
      API_VERSION,
      GLASS_CLUSTER_KIND,
      namespace,
      faaslet.spec.cluster,
    );
    const conditions: ConditionInput[] = [];
    const fields: Record<string, unknown> = {};
    if (module instanceof Error) {
      conditions.push({
        type: ConditionType.ModuleResolved,
        status: 'False',
        reason: reasonOf(module),
        message: module.message,
      });
    } else {
      conditions.push({
        type: ConditionType.ModuleResolved,
        status: 'True',
        reason: 'Resolved',
        message: `module ${module.digest}`,
      });
      Object.assign(fields, {
        moduleDigest: module.digest,
        exports: module.exports,
        touchesState: module.touchesState,
        invokeURL: `/invoke/${name}`,
      });
    }
    conditions.push(this.readiness(faaslet, module, clusterOf(cluster), namespace));
    await this.writeStatus(raw, conditions, fields);
    // A URL that failed may answer later; a ConfigMap or cluster that appears wakes us by watch.
    if (module instanceof ModuleNotFoundError && faaslet.spec.module.url) {
      // Retried with backoff; the operator's log gets what status may not say (ADR 0081).
      const detail = module instanceof ModuleFetchError ? module.detail : module.message;
      throw new Error(`fetching the module of Faaslet ${namespace}/${name}: ${detail}`);
    }
  }

  private readiness(
    faaslet: Faaslet,
    module: { digest: string } | Error,
    cluster: { allowedStateNamespaces?: readonly string[] } | undefined,
    namespace: string,
  ): ConditionInput {
    if (module instanceof Error) {
      return {
        type: ConditionType.Ready,
        status: 'False',
        reason: reasonOf(module),
        message: module.message,
      };
    }
    if (cluster === undefined) {
      const message = `GlassCluster ${faaslet.spec.cluster} not found in namespace ${namespace}; the Faaslet becomes Ready once it exists`;
      return {
        type: ConditionType.Ready,
        status: 'False',
        reason: Reason.ClusterNotFound,
        message,
      };
    }
    const template = faaslet.spec.state.namespace ?? faaslet.metadata.name;
    const allowed = cluster.allowedStateNamespaces;
    if (!stateNamespaceAllowed(template, allowed)) {
      // Its pods refuse it too (ADR 0129); this says why, until the Faaslet or the list changes.
      return {
        type: ConditionType.Ready,
        status: 'False',
        reason: Reason.StateNamespaceNotAllowed,
        message: `state namespace ${template} is not among GlassCluster ${faaslet.spec.cluster}'s allowedStateNamespaces: ${(allowed ?? []).join(', ')}`,
      };
    }
    return {
      type: ConditionType.Ready,
      status: 'True',
      reason: Reason.Ready,
      message: `served by GlassCluster ${faaslet.spec.cluster}`,
    };
  }

  private async checkModule(
    faaslet: Faaslet,
    namespace: string,
  ): Promise<({ digest: string } & Checked) | InvalidModuleError> {
    let bytes: Uint8Array;
    try {
      const ref = faaslet.spec.module.configMapRef;
      const configMaps = new Map<string, ConfigMap>();
      if (ref) {
        const configMap = await this.reader.get<KubernetesObject>(
          'v1',
          'ConfigMap',
          namespace,
          ref.name,
        );
        if (configMap) configMaps.set(ref.name, configMap as unknown as ConfigMap);
      }
      bytes = await resolveModuleBytes(faaslet, configMaps, this.fetchPolicy);
    } catch (error) {
      if (error instanceof InvalidModuleError) return error;
      throw error;
    }
    const digest = `sha256:${sha256Hex(bytes)}`;
    const cacheKey = JSON.stringify([
      digest,
      faaslet.spec.abi,
      faaslet.spec.exports,
      faaslet.spec.limits.memory,
    ]);
    let result = this.checked.get(cacheKey);
    if (!result) {
      result = await compileFaaslet(faaslet, bytes).then(
        (definition) => ({
          exports: definition.exports.map((e) => e.name),
          touchesState: definition.touchesState,
        }),
        (error: unknown) => {
          if (error instanceof InvalidModuleError) return error;
          throw error;
        },
      );
      if (this.checked.size >= MAX_CACHED) this.checked.clear();
      this.checked.set(cacheKey, result);
    }
    return result instanceof Error ? result : { digest, ...result };
  }

  private async writeStatus(
    raw: RawFaaslet,
    inputs: ConditionInput[],
    fields: Record<string, unknown>,
  ): Promise<void> {
    const generation = raw.metadata?.generation;
    const at = this.now().toISOString();
    let conditions = (raw.status?.conditions as Condition[] | undefined) ?? [];
    for (const input of inputs) conditions = setCondition(conditions, input, at, generation);
    const status = { ...fields, observedGeneration: generation, conditions };
    if (sameJson(status, raw.status)) return;
    const namespace = raw.metadata?.namespace ?? 'default';
    const name = raw.metadata?.name ?? '';
    await this.kube.applyStatus(
      {
        apiVersion: API_VERSION,
        kind: FAASLET_KIND,
        plural: 'faaslets',
        namespace,
        name,
        resourceVersion: raw.metadata?.resourceVersion,
      },
      status,
    );
    const before = findCondition(
      raw.status?.conditions as Condition[] | undefined,
      ConditionType.Ready,
    );
    const after = findCondition(conditions, ConditionType.Ready);
    const target = {
      apiVersion: API_VERSION,
      kind: FAASLET_KIND,
      namespace,
      name,
      uid: raw.metadata?.uid,
    };
    recordReadyTransition(this.events, target, before, after);
  }
}
