// `glass router --kubernetes-service NAME`: the ring's members are the ready endpoints of the
// runtime Service, read from its EndpointSlices by a list+watch informer (docs/adr/0065).
import { DiscoveryV1Api, type KubeConfig, type V1EndpointSlice } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ResilientInformer, type RestartBackoff } from '../kubernetes/resilient-informer.js';
import { membersFromSlices } from './endpoint-slice-members.js';
import { MemberSet } from './membership.js';

/** Set by the EndpointSlice controller (and by anyone who writes slices for a Service). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface EndpointSliceSource {
  namespace: string;
  /** The runtime Service whose slices are watched. */
  service: string;
  /** Port used when a slice has no port named `http`. */
  backendPort: number;
}

/**
 * Members from EndpointSlices. Every watch event recomputes the whole set from the informer's
 * cache (level-triggered: a missed or reordered event cannot leave a stale member), batched to
 * one recomputation per burst of events so a relist cannot flap an endpoint that moved between
 * slices. A failed list or watch keeps the last known members (probes still eject dead pods)
 * and restarts with backoff; client-node itself relists when the server answers 410 Gone.
 */
export class EndpointSliceMembership extends MemberSet {
  private readonly informer: ResilientInformer<V1EndpointSlice>;
  private closed = false;
  private recomputeQueued = false;

  constructor(
    config: KubeConfig,
    private readonly source: EndpointSliceSource,
    log: Logger,
    backoff?: RestartBackoff,
  ) {
    super();
    const api = config.makeApiClient(DiscoveryV1Api);
    const { namespace } = source;
    const labelSelector = `${SERVICE_NAME_LABEL}=${source.service}`;
    this.informer = new ResilientInformer<V1EndpointSlice>(
      config,
      {
        name: 'endpointslices',
        path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
        list: () => api.listNamespacedEndpointSlice({ namespace, labelSelector }),
        labelSelector,
        // Each event only says "look again".
        onChange: () => {
          this.scheduleRecompute();
        },
        onSynced: () => {
          this.recompute();
          log.info(
            { ...source, members: this.members().length },
            'endpointslices listed; watching',
          );
        },
      },
      log.child({ namespace, service: source.service }),
      backoff,
    );
  }

  /**
   * Lists the slices, applies them and starts watching. Resolves after that first attempt
   * whether or not it worked: a failure is logged and retried with backoff, and the router
   * serves (with no members, answering 503) meanwhile.
   */
  async start(): Promise<void> {
    await this.informer.start();
  }

  override async close(): Promise<void> {
    this.closed = true;
    await this.informer.stop();
    await super.close();
  }

  describe(): Record<string, unknown> {
    const { lastError } = this.informer;
    return {
      source: 'endpointslices',
      namespace: this.source.namespace,
      service: this.source.service,
      synced: this.informer.synced,
      ...(lastError === undefined ? {} : { lastError }),
    };
  }

  /** Once per burst of events: the informer calls back synchronously for each object. */
  private scheduleRecompute(): void {
    if (this.recomputeQueued) return;
    this.recomputeQueued = true;
    queueMicrotask(() => {
      this.recomputeQueued = false;
      this.recompute();
    });
  }

  private recompute(): void {
    if (this.closed) return;
    this.replaceAll(membersFromSlices(this.informer.list(), this.source));
  }
}
