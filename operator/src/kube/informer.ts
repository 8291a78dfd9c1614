import {
  makeInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface InformerSpec<T extends KubernetesObject> {
  name: string;
  /** The watch path, e.g. /apis/glass.dev/v1alpha1/faaslets (all namespaces). */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /** Called for every add, update and delete: map the object to keys and enqueue them. */
  onChange: (object: T) => void;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 30_000;

/**
 * A list+watch informer that restarts itself with backoff when its watch fails, and says
 * whether it has synced (listed once since its last start): readiness waits on that.
 */
export class ResilientInformer<T extends KubernetesObject> {
  synced = false;
  private backoff = MIN_BACKOFF_MS;
  private failures = 0;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly informer;

  constructor(
    config: KubeConfig,
    private readonly spec: InformerSpec<T>,
    private readonly log: Logger,
  ) {
    this.informer = makeInformer<T>(config, spec.path, spec.list, spec.labelSelector);
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, spec.onChange);
    this.informer.on('error', (error: unknown) => {
      this.failures++;
      this.synced = false;
      this.scheduleRestart(error);
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    const failuresBefore = this.failures;
    try {
      await this.informer.start();
    } catch (error) {
      this.synced = false;
      this.scheduleRestart(error);
      return;
    }
    // client-node's start() resolves even when its list failed (it reports that through
    // 'error' instead): synced only if no error came in meanwhile.
    if (this.failures === failuresBefore) {
      this.synced = true;
      this.backoff = MIN_BACKOFF_MS;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  /** Everything the informer holds now (its cache). */
  list(): readonly T[] {
    return this.informer.list();
  }

  /** One object from the cache. */
  get(namespace: string, name: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  private scheduleRestart(error: unknown): void {
    if (this.stopped) return;
    this.log.warn(
      { informer: this.spec.name, err: error, retryInMs: this.backoff },
      'watch failed; restarting',
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void this.start();
    }, this.backoff);
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
  }
}
