import { CoreV1Api, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import type { ConfigMap } from '@glass/crds';
import type { Logger } from 'pino';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { FaasletSync } from './faaslet-sync.js';
import { KeyedQueue } from './keyed-queue.js';
import { loadKubeTarget } from './kube-config.js';
import { ResilientInformer } from './resilient-informer.js';
import { asConfigMap } from './wanted-faaslet.js';
import { faasletSource } from './faaslet-list.js';

export interface ClusterWatchOptions {
  /** The GlassCluster whose Faaslets this pod serves. */
  cluster: string;
  namespace?: string;
  kubeconfig?: string;
}

function configMapRefOf(object: KubernetesObject): string | undefined {
  const spec = (object as { spec?: { module?: { configMapRef?: { name?: unknown } } } }).spec;
  const name = spec?.module?.configMapRef?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * `glass runtime --cluster NAME`: watches the Faaslets of one GlassCluster in one namespace,
 * and the ConfigMaps there (the Role the operator grants: get/list/watch on both, nothing
 * else), and keeps the runtime serving what they say (docs/adr/0064-runtime-kubernetes-mode.md).
 */
export class ClusterWatch {
  readonly namespace: string;
  private readonly faaslets: ResilientInformer<KubernetesObject>;
  private readonly configMaps: ResilientInformer<V1ConfigMap>;
  private readonly queue: KeyedQueue;
  private readonly sync: FaasletSync;

  /** Throws when there are no usable credentials: a startup error, not a retry. */
  constructor(runtime: GlassRuntime, options: ClusterWatchOptions, log: Logger) {
    const { config, namespace } = loadKubeTarget(options);
    this.namespace = namespace;
    const core = config.makeApiClient(CoreV1Api);
    this.queue = new KeyedQueue(
      (name) => this.sync.reconcile(name),
      (name, error) => {
        log.error({ faaslet: name, err: error }, 'reconciling a Faaslet failed');
      },
    );
    this.sync = new FaasletSync({
      runtime,
      cluster: options.cluster,
      faaslet: (name) => this.faaslets.get(namespace, name),
      configMap: (name) => this.configMap(name),
      requeue: (name) => {
        this.queue.add(name);
      },
      log,
    });
    this.configMaps = new ResilientInformer<V1ConfigMap>(
      config,
      {
        name: 'configmaps',
        path: `/api/v1/namespaces/${namespace}/configmaps`,
        list: () => core.listNamespacedConfigMap({ namespace }),
        onChange: (object) => {
          this.configMapChanged(object.metadata?.name);
        },
      },
      log,
    );
    this.faaslets = new ResilientInformer<KubernetesObject>(
      config,
      {
        ...faasletSource(config, namespace),
        onChange: (object) => {
          if (object.metadata?.name) this.queue.add(object.metadata.name);
        },
      },
      log,
    );
  }

  /**
   * Starts watching; resolves once the first lists are in and every Faaslet of the cluster
   * in them was tried once. ConfigMaps are listed first, so no Faaslet is refused for a
   * ConfigMap the cache simply had not seen yet.
   */
  async start(): Promise<void> {
    void this.configMaps.start();
    await this.configMaps.firstSync;
    void this.faaslets.start();
    await this.faaslets.firstSync;
    await this.queue.idle();
  }

  /** Ends the watches and pending retries; a load already running finishes on its own. */
  async stop(): Promise<void> {
    this.queue.stop();
    this.sync.stop();
    await Promise.all([this.faaslets.stop(), this.configMaps.stop()]);
  }

  private configMap(name: string): ConfigMap | undefined {
    const object = this.configMaps.get(this.namespace, name);
    return object && asConfigMap(object);
  }

  /** Every Faaslet reading that ConfigMap reloads (or is refused, if it went away). */
  private configMapChanged(name: string | undefined): void {
    if (name === undefined) return;
    for (const faaslet of this.faaslets.list()) {
      if (configMapRefOf(faaslet) === name && faaslet.metadata?.name) {
        this.queue.add(faaslet.metadata.name);
      }
    }
  }
}
