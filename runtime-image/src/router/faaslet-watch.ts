// `glass router --cluster NAME` in Kubernetes: the router's Faaslet catalog follows the
// Faaslets of its GlassCluster through a list+watch informer (ADR 0101), so it knows which
// namespace each call touches. A failing watch keeps the last catalog and restarts with backoff.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { faasletSource } from '../kubernetes/faaslet-list.js';
import { ResilientInformer } from '../kubernetes/resilient-informer.js';
import type { FaasletCatalog } from '../placement/faaslet-catalog.js';
import { placedFaasletFromObject } from '../placement/placed-faaslet-from-status.js';

export class FaasletWatch {
  private readonly informer: ResilientInformer<KubernetesObject>;
  private queued = false;

  constructor(
    config: KubeConfig,
    source: { namespace: string; cluster: string },
    private readonly catalog: FaasletCatalog,
    log: Logger,
  ) {
    const { namespace, cluster } = source;
    this.informer = new ResilientInformer<KubernetesObject>(
      config,
      {
        ...faasletSource(config, namespace),
        // Level-triggered: any event recomputes the whole catalog from the cache, once a burst.
        onChange: () => {
          this.schedule(cluster);
        },
        onSynced: () => {
          this.recompute(cluster);
        },
      },
      log.child({ watch: 'faaslets', namespace, cluster }),
    );
  }

  async start(): Promise<void> {
    await this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer.stop();
  }

  private schedule(cluster: string): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.recompute(cluster);
    });
  }

  private recompute(cluster: string): void {
    const placed = this.informer
      .list()
      .map((object) => placedFaasletFromObject(object, cluster))
      .filter((f) => f !== undefined);
    this.catalog.replaceAll(placed);
  }
}
