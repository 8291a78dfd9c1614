import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResilientInformer } from '@glass/runtime/resilient-informer';

/** How a reconciler reads one object: undefined when it does not exist. */
export interface Reader {
  get<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined>;
}

/**
 * Reads from the informers' caches, as controller-runtime's client does: the watches already
 * hold every Faaslet, GlassCluster and ConfigMap, so a reconcile need not ask the API server
 * again. A kind without a synced cache, or an object the cache does not hold (yet), is read
 * from the server, so a lagging cache never makes an object look missing. Cached objects
 * are shared: readers must not change them. (docs/adr/0051)
 */
export class CachedReader implements Reader {
  constructor(
    private readonly live: Reader,
    private readonly caches: ReadonlyMap<string, ResilientInformer<KubernetesObject>>,
  ) {}

  async get<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    const cache = this.caches.get(`${apiVersion}/${kind}`);
    const cached = cache?.synced ? cache.get(namespace, name) : undefined;
    return (cached as T | undefined) ?? (await this.live.get<T>(apiVersion, kind, namespace, name));
  }
}
