import { Agent } from 'node:https';
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type RequestContext,
} from '@kubernetes/client-node';
import { describeApiError, isConflict, isNotFound } from '@glass/runtime/kube-api-errors';

/** A write computed from a copy of the object that is no longer current: reconcile again. */
export class StaleReadError extends Error {}

/** Everything the operator writes, it writes as this field manager. */
export const FIELD_MANAGER = 'glass-operator';

function describe(object: KubernetesObject): string {
  return `${object.kind ?? '?'} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/** The calls the reconcilers make, over @kubernetes/client-node. */
export class Kube {
  readonly objects: KubernetesObjectApi;
  readonly custom: CustomObjectsApi;

  constructor(readonly config: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(config);
    this.custom = config.makeApiClient(CustomObjectsApi);
  }

  /** Server-side apply, forcing ownership of the fields we set (we are their only writer). */
  async apply<T extends KubernetesObject>(object: T): Promise<T> {
    try {
      return await this.objects.patch(
        object,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      throw describeApiError(`applying ${describe(object)}`, error);
    }
  }

  /**
   * Applies `status` to a custom resource's status subresource, on condition that the object
   * is still at `ref.resourceVersion`: the version the status was computed from. A reconcile
   * that read a stale copy (an informer's cache lags its own last write) then gets a
   * StaleReadError instead of rewriting the status and recording a transition a second time.
   */
  async applyStatus(
    ref: {
      apiVersion: string;
      kind: string;
      plural: string;
      namespace: string;
      name: string;
      resourceVersion: string | undefined;
    },
    status: unknown,
  ): Promise<void> {
    const [group = '', version = ''] = ref.apiVersion.split('/');
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          namespace: ref.namespace,
          plural: ref.plural,
          name: ref.name,
          body: {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, resourceVersion: ref.resourceVersion },
            status,
          },
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    } catch (error) {
      const doing = `applying status of ${ref.kind} ${ref.namespace}/${ref.name}`;
      if (isConflict(error)) throw new StaleReadError(describeApiError(doing, error).message);
      throw describeApiError(doing, error);
    }
  }

  /**
   * Creates the object unless one of its name exists; never reads or changes an existing one.
   * For Secrets whose values must not change once pods use them (ADR 0125), which the
   * operator may create but not read.
   */
  async createIfAbsent(object: KubernetesObject): Promise<void> {
    try {
      await this.objects.create(object, undefined, undefined, FIELD_MANAGER);
    } catch (error) {
      if (isConflict(error)) return;
      throw describeApiError(`creating ${describe(object)}`, error);
    }
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.objects.read<T>({ apiVersion, kind, metadata: { name, namespace } });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw describeApiError(`reading ${kind} ${namespace}/${name}`, error);
    }
  }

  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector?: string,
  ): Promise<T[]> {
    try {
      const list = await this.objects.list<T>(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      return list.items;
    } catch (error) {
      throw describeApiError(`listing ${kind} in ${namespace}`, error);
    }
  }

  /** Deletes the object; already gone is fine. */
  async delete(object: KubernetesObject): Promise<void> {
    try {
      await this.objects.delete(object, undefined, undefined, undefined, undefined, 'Background');
    } catch (error) {
      if (isNotFound(error)) return;
      throw describeApiError(`deleting ${describe(object)}`, error);
    }
  }
}

/**
 * client-node 1.x gives every API call a new https.Agent, so every call opens a new TLS
 * connection (a handshake on both sides; most of a reconcile's time, docs/adr/0051). This
 * keeps one keep-alive agent per KubeConfig, made with the TLS options of the first call
 * (CA, client certificate and key). Headers, such as a rotating service-account token, are
 * still set on every call. Proxy agents are left alone.
 */
export function reuseConnections(config: KubeConfig, maxSockets = 32): KubeConfig {
  const apply = config.applySecurityAuthentication.bind(config);
  let shared: Agent | undefined;
  config.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await apply(context);
    const fresh = context.getAgent();
    if (!(fresh instanceof Agent) || fresh.constructor !== Agent) return;
    shared ??= new Agent({ ...fresh.options, keepAlive: true, maxSockets });
    fresh.destroy();
    context.setAgent(shared);
  };
  return config;
}
