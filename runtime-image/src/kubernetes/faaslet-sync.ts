import type { ConfigMap } from '@glass/crds';
import type { Logger } from 'pino';
import { InvalidModuleError } from '../runtime/compile-faaslet.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { SupersededLoadError } from '../runtime/latest-loads.js';
import {
  DigestMismatchError,
  ModuleFetchError,
  ModuleNotFoundError,
  resolveModuleBytes,
} from '../runtime/module-bytes.js';
import { wantedFaaslet } from './wanted-faaslet.js';

export interface SyncDeps {
  runtime: GlassRuntime;
  /** The GlassCluster whose Faaslets this pod serves. */
  cluster: string;
  /** The cached Faaslet object of that name, as the API server sent it. */
  faaslet(name: string): unknown;
  configMap(name: string): ConfigMap | undefined;
  /** Run `reconcile(name)` again (through the queue, so never beside itself). */
  requeue(name: string): void;
  log: Logger;
}

type Reason =
  'invalid-spec' | 'module-not-found' | 'digest-mismatch' | 'invalid-module' | 'refused';

interface Refusal {
  fingerprint: string;
  reason: Reason;
}

function reasonOf(error: unknown): Reason {
  if (error instanceof ModuleNotFoundError) return 'module-not-found';
  if (error instanceof DigestMismatchError) return 'digest-mismatch';
  if (error instanceof InvalidModuleError) return 'invalid-module';
  return 'refused';
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

/**
 * Makes the runtime serve what the cached Faaslets of its cluster ask for, one name at a
 * time (level-triggered: each call re-reads the caches). A version that cannot be loaded is
 * refused, logged and counted, and the version serving before keeps serving; the same
 * refused version is not tried again until something it depends on changes, except a URL
 * that could not be fetched, which is retried with backoff. Never writes to the API server.
 */
export class FaasletSync {
  /** The fingerprint serving now, for each Faaslet this sync loaded. */
  private readonly serving = new Map<string, string>();
  private readonly refused = new Map<string, Refusal>();
  private readonly retries = new Map<string, { timer: NodeJS.Timeout; attempts: number }>();

  constructor(private readonly deps: SyncDeps) {}

  async reconcile(name: string): Promise<void> {
    const { runtime, cluster } = this.deps;
    const configMap = (ref: string): ConfigMap | undefined => this.deps.configMap(ref);
    const wanted = wantedFaaslet(this.deps.faaslet(name), cluster, configMap);
    if (wanted.kind === 'absent') {
      this.forget(name);
      return;
    }
    const { fingerprint } = wanted;
    if (this.serving.get(name) === fingerprint) {
      this.clearRefusal(name);
      return;
    }
    if (this.refused.get(name)?.fingerprint === fingerprint) return;
    if (wanted.kind === 'invalid') {
      this.refuse(name, fingerprint, 'invalid-spec', wanted.message);
      return;
    }
    try {
      const configMaps = new Map<string, ConfigMap>();
      const ref = wanted.faaslet.spec.module.configMapRef;
      const referenced = ref && configMap(ref.name);
      if (ref && referenced) configMaps.set(ref.name, referenced);
      const bytes = await resolveModuleBytes(wanted.faaslet, configMaps, runtime.moduleFetch);
      await runtime.loadFaaslet(wanted.faaslet, bytes);
    } catch (error) {
      if (error instanceof SupersededLoadError) return;
      const reason = reasonOf(error);
      // The pod's own log may say which address or status failed; status may not (ADR 0081).
      const detail = error instanceof ModuleFetchError ? `: ${error.detail}` : '';
      this.refuse(name, fingerprint, reason, `${(error as Error).message}${detail}`);
      // A URL that did not answer may answer later; nothing else would say when.
      if (reason === 'module-not-found' && wanted.faaslet.spec.module.url !== undefined) {
        this.retryLater(name);
      }
      return;
    }
    this.serving.set(name, fingerprint);
    this.clearRefusal(name);
  }

  /** Cancels pending retries. */
  stop(): void {
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  private forget(name: string): void {
    this.clearRefusal(name);
    if (!this.serving.delete(name)) return;
    this.deps.runtime.unloadFaaslet(name);
    // A Faaslet refused for a clash with this one (a namespace's durability) may load now.
    for (const [other, refusal] of this.refused) {
      if (refusal.reason !== 'refused') continue;
      this.refused.delete(other);
      this.deps.requeue(other);
    }
  }

  private refuse(name: string, fingerprint: string, reason: Reason, message: string): void {
    const { runtime, log } = this.deps;
    this.refused.set(name, { fingerprint, reason });
    runtime.metrics.loadFailures.labels(name, reason).inc();
    runtime.metrics.refused.labels(name).set(1);
    const serving = runtime.registry.get(name);
    log.error(
      { faaslet: name, reason, ...(serving && { stillServing: serving.digest }) },
      `Faaslet ${name} refused: ${message}${serving ? '; its previous version keeps serving' : ''}`,
    );
  }

  private clearRefusal(name: string): void {
    const retry = this.retries.get(name);
    if (retry) clearTimeout(retry.timer);
    this.retries.delete(name);
    this.refused.delete(name);
    this.deps.runtime.metrics.refused.remove(name);
  }

  private retryLater(name: string): void {
    const attempts = (this.retries.get(name)?.attempts ?? 0) + 1;
    const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
    const timer = setTimeout(() => {
      // Forget the refusal so the same fingerprint is tried again, but keep the attempts.
      this.refused.delete(name);
      this.deps.requeue(name);
    }, delayMs).unref();
    this.retries.set(name, { timer, attempts });
  }
}
