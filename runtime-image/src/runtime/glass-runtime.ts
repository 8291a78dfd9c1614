import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { stateNamespaceAllowed, type Faaslet, type ManifestProblem } from '@glass/crds';
import type { Logger } from 'pino';
import type { FaasletDefinition, FetchReply, StateKey, VersionedEntry } from '../host/protocol.js';
import { WorkerPool } from '../host/worker-pool.js';
import type { GlobalTier } from '../state/global-tier.js';
import { LocalTier } from '../state/local-tier.js';
import { TieredStore } from '../state/tiers.js';
import { FastLane } from '../host/fast-lane.js';
import { MainThreadView } from '../host/main-thread-view.js';
import { compileFaasletKeepingBytes } from './compile-faaslet.js';
import { readFaasletManifests } from './faaslet-files.js';
import { Invoker } from './invoker.js';
import { RuntimeMetrics } from './metrics.js';
import {
  DEFAULT_MODULE_FETCH_POLICY,
  resolveModuleBytes,
  type ModuleFetchPolicy,
} from './module-bytes.js';
import { DEFAULT_IDEMPOTENCY, type IdempotencyPolicy } from './idempotent-invoke.js';
import { LatestLoads } from './latest-loads.js';
import { FaasletRegistry } from './registry.js';
import { RevisionLeases } from './revision-leases.js';
import type { Handoff } from './handoff.js';
import { notOwner } from './errors.js';
import { PodPlacement } from './pod-placement.js';

export interface RuntimeOptions {
  workers: number;
  log: Logger;
  maxAttempts?: number;
  /** Invocations queued per worker; tests set 1 to force namespaces across workers. */
  window?: number;
  /**
   * A worker whose invocation has run this long gets no new work (default 50 ms); tests raise
   * it to queue an invocation behind one they hold on purpose.
   */
  stuckMs?: number;
  /** false: every invocation runs on a worker (tests of the worker path). */
  fastLane?: boolean;
  /** Redis, connected: `durability: global` is refused without it. */
  global?: GlobalTier;
  idempotency?: IdempotencyPolicy;
  /** How spec.module.url is fetched: allowed ranges, byte cap (ADR 0081). */
  moduleFetch?: ModuleFetchPolicy;
  /** The state namespace patterns Faaslets may name (ADR 0129); absent: any. */
  allowedStateNamespaces?: readonly string[];
}

/**
 * One runtime pod's engine, without HTTP: the Faaslets it serves, the guest workers, the
 * state store and the invoker. `createApp` puts HTTP in front of it.
 */
export class GlassRuntime {
  readonly registry = new FaasletRegistry();
  /** Invocations running on each revision: a replaced one is dropped after its last. */
  readonly leases = new RevisionLeases();
  private readonly latestLoads = new LatestLoads();
  readonly metrics: RuntimeMetrics;
  /** Each key in its namespace's tier: this pod's memory, or Redis (ADR 0044). */
  readonly store: TieredStore;
  readonly idempotency: IdempotencyPolicy;
  readonly moduleFetch: ModuleFetchPolicy;
  private readonly allowedStateNamespaces: readonly string[] | undefined;
  readonly pool: WorkerPool;
  readonly invoker: Invoker;
  readonly fastLane: FastLane;
  readonly log: Logger;
  /** False while loading or draining: `/ready` answers 503. */
  ready = false;
  /** Leaving the membership: not ready, but still serving what it is sent until it is out. */
  draining = false;
  /** Which namespaces this pod owns; a lone runtime owns them all (ADR 0101). */
  placement = new PodPlacement('', undefined);
  /** Hand-off of local namespaces between owners; absent without a membership (ADR 0103). */
  handoff: Handoff | undefined;
  /** Prefixes worker versions, so versions from different pods can never collide. */
  readonly bootId = randomBytes(4).toString('hex');

  constructor(options: RuntimeOptions) {
    this.log = options.log;
    this.metrics = new RuntimeMetrics(() => this.pool.workerCount);
    this.idempotency = options.idempotency ?? DEFAULT_IDEMPOTENCY;
    this.moduleFetch = options.moduleFetch ?? DEFAULT_MODULE_FETCH_POLICY;
    this.allowedStateNamespaces = options.allowedStateNamespaces;
    this.store = new TieredStore({
      local: new LocalTier(),
      global: options.global,
      bootId: this.bootId,
      registry: this.metrics.registry,
      idempotencyBudgetBytes: this.idempotency.budgetBytes,
    });
    this.pool = new WorkerPool({
      size: options.workers,
      maxSpares: Math.max(2, options.workers),
      window: options.window ?? 16,
      stuckMs: options.stuckMs ?? 50,
      spareIdleMs: 10_000,
      fetch: (keys, reads) => this.fetch(keys, reads),
      onWorkerExit: (uid, reason) => {
        this.metrics.workerRestarts.inc();
        this.log.warn({ worker: uid }, reason);
      },
      uidPrefix: this.bootId,
    });
    this.fastLane = new FastLane(
      new MainThreadView(`${this.bootId}.main`, (key) => this.store.peek(key)),
    );
    this.metrics.watchFastLane(this.fastLane.stats);
    this.invoker = new Invoker({
      fastLane: options.fastLane === false ? undefined : this.fastLane,
      pool: this.pool,
      store: this.store,
      registry: this.registry,
      leases: this.leases,
      metrics: this.metrics,
      log: this.log,
      maxAttempts: options.maxAttempts ?? 32,
      owns: (namespace) => this.placement.owns(namespace),
      handedOver: (namespace) => this.handoff?.gate(namespace),
      stillHandedOver: (namespace) => this.handoff?.pending(namespace) ?? false,
    });
  }

  async start(): Promise<void> {
    await this.pool.start();
  }

  /** Loads every Faaslet in the files; returns the documents and Faaslets that were refused. */
  async loadFiles(paths: string[]): Promise<ManifestProblem[]> {
    const manifests = await readFaasletManifests(paths);
    const problems = [...manifests.problems];
    for (const { faaslet, source } of manifests.faaslets) {
      try {
        await this.loadFaaslet(
          faaslet,
          // A module file is named relative to the YAML that holds the Faaslet (ADR 0122).
          await resolveModuleBytes(
            faaslet,
            manifests.configMaps,
            this.moduleFetch,
            dirname(source),
          ),
        );
      } catch (error) {
        problems.push({
          source,
          document: 0,
          name: faaslet.metadata.name,
          message: (error as Error).message,
        });
      }
    }
    return problems;
  }

  /**
   * Loads a Faaslet, or swaps in a new version of one already loaded: invocations that started
   * on the old version finish on it, later ones run the new one, and the state stays (it is
   * keyed by the state namespace, never by version). When several loads of one Faaslet
   * overlap, the one started last wins: an overtaken load throws SupersededLoadError. On any
   * error the version serving before (if any) keeps serving.
   */
  async loadFaaslet(faaslet: Faaslet, bytes: Uint8Array): Promise<FaasletDefinition> {
    const name = faaslet.metadata.name;
    const ticket = this.latestLoads.take(name);
    const { definition, capped } = await compileFaasletKeepingBytes(faaslet, bytes);
    this.latestLoads.check(name, ticket);
    const template = definition.namespace.text;
    if (!stateNamespaceAllowed(template, this.allowedStateNamespaces)) {
      // Whatever the operator's status says: the pod holds the keys (ADR 0129).
      throw new Error(
        `state namespace ${template} is not among the allowed: ${(this.allowedStateNamespaces ?? []).join(', ')}`,
      );
    }
    const other = this.registry.overlapping(definition.namespace, name);
    if (other !== undefined && other.durability !== definition.durability) {
      throw new Error(
        `namespace ${definition.namespace.text} is already ${other.durability} (Faaslet ${other.name}, namespace ${other.namespace.text}); this Faaslet asks for ${definition.durability}`,
      );
    }
    if (definition.durability === 'global' && !this.store.hasGlobalTier) {
      throw new Error('durability: global needs a Redis (glass runtime --redis URL)');
    }
    await this.pool.load(definition);
    try {
      // A WASI load is awaited in the workers: a newer load may have started meanwhile.
      this.latestLoads.check(name, ticket);
    } catch (error) {
      this.pool.retire(definition);
      throw error;
    }
    this.store.assign(definition.namespace, definition.durability);
    const previous = this.registry.get(name);
    this.registry.set(definition);
    // Metering and compiling for the fast lane costs milliseconds: never on the first call's
    // path. Until it is done, this Faaslet's calls run on workers, never on the old module.
    void this.fastLane.prepare(definition, capped).catch((error: unknown) => {
      this.log.warn({ faaslet: name, err: error }, 'fast lane unavailable');
    });
    if (previous) this.retireWhenIdle(previous);
    this.metrics.faaslets.set(this.registry.all().length);
    this.log.info(
      {
        faaslet: name,
        digest: definition.digest,
        exports: definition.exports.map((e) => e.name),
        ...(previous && { replaced: previous.digest }),
      },
      previous ? 'Faaslet replaced' : 'Faaslet loaded',
    );
    return definition;
  }

  /**
   * Stops serving a Faaslet: later calls answer 404, calls already running finish, and its
   * state stays where it is (a Faaslet loaded again later finds it). False if not loaded.
   */
  unloadFaaslet(name: string): boolean {
    this.latestLoads.take(name);
    const previous = this.registry.get(name);
    if (!previous) return false;
    this.registry.delete(name);
    this.fastLane.unload(name);
    this.retireWhenIdle(previous);
    this.metrics.faaslets.set(this.registry.all().length);
    this.log.info({ faaslet: name, digest: previous.digest }, 'Faaslet unloaded');
    return true;
  }

  /** Drops a revision from the workers once no invocation runs on it any more. */
  private retireWhenIdle(definition: FaasletDefinition): void {
    void this.leases.idle(definition.revision).then(() => {
      this.pool.retire(definition);
    });
  }

  /** Admin writes (the /state routes) commit like any transaction, then reach the workers. */
  async writeState(key: StateKey, value: Uint8Array | null): Promise<void> {
    const namespace = key.slice(0, key.indexOf('/'));
    // The route checked ownership when the request came in, but its body may arrive after the
    // namespace was handed over: then this pod's copy is no one's, and nobody would read the
    // write. As for a call (ADR 0101), the check and the local commit are one synchronous step.
    if (!this.placement.owns(namespace)) {
      throw notOwner(`namespace ${namespace} moved to another pod; nothing was applied, retry`);
    }
    const entry: VersionedEntry = [key, value, value === null ? '' : this.store.adminVersion()];
    await this.store.commit({ reads: [], writes: [entry] });
    this.pool.noteCommitted(undefined, [entry]);
  }

  async readState(key: StateKey): Promise<Uint8Array | null> {
    return (await this.store.read([key]))[0]?.[1] ?? null;
  }

  private fetch(keys: StateKey[], reads: [StateKey, string][]): FetchReply | Promise<FetchReply> {
    this.metrics.stateReads.inc();
    return this.store.fetch(keys, reads);
  }

  async close(): Promise<void> {
    this.ready = false;
    await this.pool.close();
    await this.store.close();
  }
}
