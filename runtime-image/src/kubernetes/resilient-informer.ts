import {
  makeInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface InformerSpec<T extends KubernetesObject> {
  /** For log lines: "faaslets", "configmaps". */
  name: string;
  /** The watch path, e.g. /apis/glass.dev/v1alpha1/namespaces/NS/faaslets. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** Called for every add, update and delete, with the object's newest known state. */
  onChange: (object: T) => void;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 30_000;

/**
 * A list+watch cache (client-node's informer, which re-lists by itself on 410 Gone) that
 * restarts with backoff when its list or watch fails, where client-node's would stop for good.
 * `synced` resolves after the first complete list.
 */
export class ResilientInformer<T extends KubernetesObject> {
  readonly synced: Promise<void>;
  private markSynced: () => void = () => undefined;
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
    this.synced = new Promise((resolve) => {
      this.markSynced = resolve;
    });
    this.informer = makeInformer<T>(config, spec.path, spec.list);
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, spec.onChange);
    this.informer.on('error', (error: unknown) => {
      this.failures++;
      this.scheduleRestart(error);
    });
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    const failuresBefore = this.failures;
    try {
      await this.informer.start();
    } catch (error) {
      this.scheduleRestart(error);
      return;
    }
    // client-node's start() resolves even when its list failed (it says so through 'error'
    // instead): the list is complete only if no error came in meanwhile.
    if (this.failures === failuresBefore) {
      this.backoff = MIN_BACKOFF_MS;
      this.markSynced();
    }
  }

  /** Ends the watch request and any pending restart: nothing of it keeps the process alive. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  /** Everything the cache holds now. */
  list(): readonly T[] {
    return this.informer.list();
  }

  /** One object from the cache, by name (the informer watches one namespace). */
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
