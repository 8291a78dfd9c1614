// `glass router --kubernetes-service NAME`: the ring's members are the ready endpoints of the
// runtime Service, read from its EndpointSlices by a list+watch informer (docs/adr/0065).
import {
  ApiException,
  CHANGE,
  DiscoveryV1Api,
  ERROR,
  makeInformer,
  type Informer,
  type KubeConfig,
  type ObjectCache,
  type V1EndpointSlice,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
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

export interface RestartBackoff {
  /** Delay before the first restart after a failed list or watch; doubles per failure. */
  minMs: number;
  maxMs: number;
}

const DEFAULT_BACKOFF: RestartBackoff = { minMs: 200, maxMs: 30_000 };

/** "403 endpointslices.discovery.k8s.io is forbidden: ...", not client-node's whole dump. */
function describeError(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    let message = typeof body === 'string' ? body : JSON.stringify(body);
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the raw body
    }
    return `${error.code} ${message}`;
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  const message = error instanceof Error ? error.message : String(error);
  return typeof status === 'number' ? `${status} ${message}` : message;
}

/**
 * Members from EndpointSlices. Every watch event recomputes the whole set from the informer's
 * cache (level-triggered: a missed or reordered event cannot leave a stale member), batched to
 * one recomputation per burst of events so a relist cannot flap an endpoint that moved between
 * slices. A failed list or watch keeps the last known members (probes still eject dead pods)
 * and restarts with backoff; client-node itself relists when the server answers 410 Gone.
 */
export class EndpointSliceMembership extends MemberSet {
  private readonly informer: Informer<V1EndpointSlice> & ObjectCache<V1EndpointSlice>;
  private readonly backoffPolicy: RestartBackoff;
  private backoff: number;
  private failures = 0;
  private synced = false;
  private lastError: string | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private recomputeQueued = false;

  constructor(
    config: KubeConfig,
    private readonly source: EndpointSliceSource,
    private readonly log: Logger,
    backoff: RestartBackoff = DEFAULT_BACKOFF,
  ) {
    super();
    this.backoffPolicy = backoff;
    this.backoff = backoff.minMs;
    const api = config.makeApiClient(DiscoveryV1Api);
    const { namespace } = source;
    const labelSelector = `${SERVICE_NAME_LABEL}=${source.service}`;
    this.informer = makeInformer<V1EndpointSlice>(
      config,
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      () => api.listNamespacedEndpointSlice({ namespace, labelSelector }),
      labelSelector,
    );
    // CHANGE is add, update and delete: each only says "look again".
    this.informer.on(CHANGE, () => {
      this.scheduleRecompute();
    });
    this.informer.on(ERROR, (error: unknown) => {
      this.failed(error);
    });
  }

  /**
   * Lists the slices, applies them and starts watching. Resolves after that first attempt
   * whether or not it worked: a failure is logged and retried with backoff, and the router
   * serves (with no members, answering 503) meanwhile.
   */
  async start(): Promise<void> {
    if (this.stopped) return;
    const failuresBefore = this.failures;
    try {
      await this.informer.start();
    } catch (error) {
      this.failed(error);
      return;
    }
    // client-node's start() resolves even when its list failed (it reports that through
    // 'error' instead): synced only if no error came in meanwhile.
    if (this.failures === failuresBefore) this.markSynced();
  }

  override async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
    await super.close();
  }

  describe(): Record<string, unknown> {
    return {
      source: 'endpointslices',
      namespace: this.source.namespace,
      service: this.source.service,
      synced: this.synced,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private markSynced(): void {
    const wasSynced = this.synced;
    this.synced = true;
    this.lastError = undefined;
    this.backoff = this.backoffPolicy.minMs;
    this.recompute();
    if (!wasSynced) {
      this.log.info(
        { ...this.source, members: this.members().length },
        'endpointslices listed; watching',
      );
    }
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
    if (this.stopped) return;
    this.replaceAll(membersFromSlices(this.informer.list(), this.source));
  }

  private failed(error: unknown): void {
    // Stopping aborts the watch, which client-node reports as an error: not a failure.
    if (this.stopped) return;
    this.failures += 1;
    this.synced = false;
    this.lastError = describeError(error);
    this.log.warn(
      { ...this.source, err: this.lastError, retryInMs: this.backoff },
      'endpointslice list/watch failed; keeping the last known pods and retrying',
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void this.start();
    }, this.backoff);
    this.backoff = Math.min(this.backoffPolicy.maxMs, this.backoff * 2);
  }
}
