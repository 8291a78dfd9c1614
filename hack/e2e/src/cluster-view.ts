// What the e2e reads back from the API server: pods of a component, and the Ready condition of
// Glass's custom resources. Read with the admin kubeconfig, as an operator of the cluster would.
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';

export type Component = 'operator' | 'runtime' | 'router';

export interface ContainerView {
  name: string;
  /** `containerd://<id>`, as the kubelet reports it. */
  id: string | undefined;
  restartCount: number;
  ready: boolean;
}

export interface PodView {
  name: string;
  uid: string;
  phase: string;
  ip: string | undefined;
  ready: boolean;
  containers: ContainerView[];
}

interface Conditioned {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

const view = (pod: V1Pod): PodView => ({
  name: pod.metadata?.name ?? '',
  uid: pod.metadata?.uid ?? '',
  phase: pod.status?.phase ?? 'Pending',
  ip: pod.status?.podIP,
  ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  containers: (pod.status?.containerStatuses ?? []).map((c) => ({
    name: c.name,
    id: c.containerID,
    restartCount: c.restartCount,
    ready: c.ready,
  })),
});

export class ClusterView {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    kubeconfig: string,
    readonly namespace: string,
  ) {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    this.core = config.makeApiClient(CoreV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
  }

  /** Pods of one component (by the labels the chart and the operator put on them). */
  async pods(component: Component): Promise<PodView[]> {
    const list = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: `app.kubernetes.io/component=${component}`,
    });
    return list.items.map(view);
  }

  /**
   * The admin token of a GlassCluster, from the Secret the operator made: the router's
   * /lb/status answers only to it in Kubernetes (ADR 0125).
   */
  async adminToken(cluster: string): Promise<string> {
    const name = `${cluster}-credentials`;
    const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
    const encoded = secret.data?.['admin-token'];
    if (encoded === undefined) throw new Error(`Secret ${name} has no admin-token`);
    return Buffer.from(encoded, 'base64').toString('utf8');
  }

  async readyPods(component: Component): Promise<PodView[]> {
    return (await this.pods(component)).filter((p) => p.ready && p.phase === 'Running');
  }

  /** The Ready condition of a GlassCluster or Faaslet: its status and message. */
  async readiness(
    plural: 'glassclusters' | 'faaslets',
    name: string,
  ): Promise<{ ready: boolean; message: string }> {
    const object = (await this.custom.getNamespacedCustomObject({
      group: 'glass.dev',
      version: 'v1alpha1',
      namespace: this.namespace,
      plural,
      name,
    })) as Conditioned;
    const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
    return { ready: ready?.status === 'True', message: ready?.message ?? 'no Ready condition yet' };
  }
}
