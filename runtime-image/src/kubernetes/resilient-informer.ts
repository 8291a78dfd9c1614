// The list+watch cache behind every watch Glass keeps: the operator's, the runtime's in
// `--cluster` mode and the router's EndpointSlices. Exported as @glass/runtime/resilient-informer,
// since the operator imports the runtime and not the other way round.
import {
  makeInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiErrorMessage } from './api-errors.js';

export interface InformerSpec<T extends KubernetesObject> {
  /** For log lines: "faaslets", "endpointslices". */
  name: string;
  /** The watch path: /apis/glass.dev/v1alpha1/faaslets (all namespaces), or one namespace's. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** The same selector `list` uses, so the watch sees the same objects. */
  labelSelector?: string;
  /** Called for every add, update and delete, with the object's newest known state. */
  onChange: (object: T) => void;
  /** Called after every complete list: the first, and each one after a failure. */
  onSynced?: () => void;
}

export interface RestartBackoff {
  /** Delay before the first restart after a failed list or watch; doubles per failure. */
  minMs: number;
  maxMs: number;
}

const DEFAULT_BACKOFF: RestartBackoff = { minMs: 200, maxMs: 30_000 };

/**
 * A list+watch cache (client-node's informer, which re-lists by itself on 410 Gone) that
 * restarts with backoff when its list or watch fails, where client-node's would stop for good.
 * It keeps its cache meanwhile, and says whether it is synced (listed completely since the
 * last failure): readiness and cached reads wait on that.
 */
export class ResilientInformer<T extends KubernetesObject> {
  /** Resolves after the first complete list (never, if stopped before one). */
  readonly firstSync: Promise<void>;
  private resolveFirstSync: () => void = () => undefined;
  private isSynced = false;
  private failure: string | undefined;
  private backoff: number;
  private failures = 0;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly informer;

  constructor(
    config: KubeConfig,
    private readonly spec: InformerSpec<T>,
    private readonly log: Logger,
    private readonly backoffPolicy: RestartBackoff = DEFAULT_BACKOFF,
  ) {
    this.backoff = backoffPolicy.minMs;
    this.firstSync = new Promise((resolve) => {
      this.resolveFirstSync = resolve;
    });
    this.informer = makeInformer<T>(config, spec.path, spec.list, spec.labelSelector);
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, spec.onChange);
    this.informer.on('error', (error: unknown) => {
      this.failed(error);
    });
  }

  /** Listed completely, and watching, since the last failure. */
  get synced(): boolean {
    return this.isSynced;
  }

  /** The last failure in one line ("403 ... is forbidden: ..."); cleared by the next sync. */
  get lastError(): string | undefined {
    return this.failure;
  }

  /**
   * Lists and starts watching. Resolves after that attempt whether or not it worked: a failure
   * is logged and retried with backoff. After stop(), does nothing.
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
    // client-node's start() resolves even when its list failed (it says so through 'error'
    // instead): the list is complete only if no error came in meanwhile.
    if (this.failures === failuresBefore) this.markSynced();
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

  /** One object from the cache. */
  get(namespace: string, name: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  private markSynced(): void {
    this.isSynced = true;
    this.failure = undefined;
    this.backoff = this.backoffPolicy.minMs;
    this.resolveFirstSync();
    this.spec.onSynced?.();
  }

  private failed(error: unknown): void {
    // Stopping aborts the watch, which client-node reports as an error: not a failure.
    if (this.stopped) return;
    this.failures++;
    this.isSynced = false;
    this.failure = apiErrorMessage(error);
    this.log.warn(
      { informer: this.spec.name, err: this.failure, retryInMs: this.backoff },
      'list/watch failed; keeping the cache and restarting',
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void this.start();
    }, this.backoff);
    this.backoff = Math.min(this.backoffPolicy.maxMs, this.backoff * 2);
  }
}
