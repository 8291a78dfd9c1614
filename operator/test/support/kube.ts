// What the tests do to the API server: plain client-node calls, no fakes.
import { randomBytes } from 'node:crypto';
import {
  ApiException,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Condition } from '@glass/crds';
import { Kube } from '../../src/kube/client.js';
import { eventually } from './wait.js';

export interface Status {
  observedGeneration?: number;
  conditions?: Condition[];
  [field: string]: unknown;
}

/** Any object as the server returns it: what the tests read is typed, the rest is there. */
export interface Obj extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: Status;
  [field: string]: unknown;
}

/** The message the API server gave for a refused request. */
export function serverMessage(error: unknown): string {
  if (!(error instanceof ApiException)) throw error;
  const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

/**
 * The operator's own client for what it also does (get, list, delete), plus what only tests
 * do: create, merge-patch, namespaces.
 */
export class TestKube {
  readonly objects: KubernetesObjectApi;
  private readonly kube: Kube;

  constructor(readonly config: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(config);
    this.kube = new Kube(config);
  }

  create<T extends KubernetesObject>(object: T): Promise<T> {
    return this.objects.create(object);
  }

  get(apiVersion: string, kind: string, namespace: string, name: string): Promise<Obj | undefined> {
    return this.kube.get<Obj>(apiVersion, kind, namespace, name);
  }

  list(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector?: string,
  ): Promise<Obj[]> {
    return this.kube.list<Obj>(apiVersion, kind, namespace, labelSelector);
  }

  /** A JSON merge patch of `patch` onto the object (`patch` carries apiVersion, kind and metadata). */
  merge(patch: KubernetesObject & Record<string, unknown>): Promise<Obj> {
    return this.objects.patch<Obj>(
      patch,
      undefined,
      undefined,
      'glass-tests',
      undefined,
      PatchStrategy.MergePatch,
    );
  }

  /** Deletes the object; already gone is fine. */
  delete(apiVersion: string, kind: string, namespace: string, name: string): Promise<void> {
    return this.kube.delete({ apiVersion, kind, metadata: { name, namespace } });
  }

  /** A fresh namespace named `<prefix>-<random>`, with `labels`. */
  async namespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    return name;
  }

  deleteNamespace(name: string): Promise<void> {
    return this.delete('v1', 'Namespace', '', name);
  }
}

export function condition(object: Obj | undefined, type: string): Condition | undefined {
  return object?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the object's `type` condition has `status` and `reason`, and returns the object. */
export async function waitForCondition(
  kube: TestKube,
  ref: { apiVersion: string; kind: string; namespace: string; name: string },
  want: { type?: string; status: string; reason: string },
  timeoutMs = 20_000,
): Promise<Obj> {
  const type = want.type ?? 'Ready';
  return eventually(
    `${ref.kind} ${ref.namespace}/${ref.name} ${type}=${want.status} (${want.reason})`,
    async () => {
      const object = await kube.get(ref.apiVersion, ref.kind, ref.namespace, ref.name);
      const c = condition(object, type);
      return c?.status === want.status && c.reason === want.reason ? object : undefined;
    },
    timeoutMs,
  );
}
