import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { WorkerOutcome } from '../host/guest-worker.js';
import { ArgumentError, argsFromText, checkArgs, isNumericExport } from '../host/numeric-args.js';
import type { FaasletDefinition, FailureKind, StateKey } from '../host/protocol.js';
import type { WorkerPool } from '../host/worker-pool.js';
import { bytesText } from '../host/ascii.js';
import type { FastLane } from '../host/fast-lane.js';
import type { IdempotencyClaim, StoredResponse } from '../state/idempotency.js';
import type { StateStore } from '../state/store.js';
import {
  badRequest,
  conflict,
  guestExit,
  guestTrap,
  memoryLimit,
  notFound,
  timeout,
  tooManyRequests,
  type GlassError,
} from './errors.js';
import type { RuntimeMetrics } from './metrics.js';
import type { FaasletRegistry, ResolvedExport } from './registry.js';
import type { RevisionLeases } from './revision-leases.js';

export interface InvocationResult {
  output: Uint8Array;
  /** Numeric exports answer decimal text; bytes exports answer whatever the guest wrote. */
  numeric: boolean;
  attempts: number;
  /** An `Idempotency-Key` request whose key another request committed first: its answer. */
  replayed?: boolean;
}

export interface InvokerDeps {
  pool: WorkerPool;
  /** Runs short invocations on the main thread; absent: every invocation goes to a worker. */
  fastLane: FastLane | undefined;
  store: StateStore;
  /** Where a target resolved before a swap finds the Faaslet's current revision. */
  registry: FaasletRegistry;
  /** Keeps a revision in the workers while an invocation runs on it. */
  leases: RevisionLeases;
  metrics: RuntimeMetrics;
  log: Logger;
  /** Attempts of one invocation before a conflict answers 409. */
  maxAttempts: number;
}

/** The fast lane's commits come from no worker: every worker's copy of what it wrote is stale. */
const MAIN_THREAD = 'main-thread';
/**
 * Failures the values a guest read can cause, so a stale snapshot excuses them (ADR 0048). A
 * memory limit, a timeout or a crashed worker is answered whatever the guest read.
 */
const SNAPSHOT_FAILURES: ReadonlySet<FailureKind> = new Set(['trap', 'exit']);
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

type Failure = Exclude<WorkerOutcome, { type: 'done' | 'conflict' }>;

function failureError(outcome: Extract<WorkerOutcome, { type: 'failed' }>): GlassError {
  switch (outcome.kind) {
    case 'memory-limit':
      return memoryLimit(outcome.message);
    case 'bad-input':
      return badRequest(outcome.message);
    case 'not-found':
      return notFound(outcome.message);
    case 'exit':
      return guestExit(outcome.message);
    case 'trap':
      return guestTrap(outcome.message);
  }
}

/**
 * Runs one invocation as one transaction: a worker executes the guest against its cached
 * snapshot, the store validates and applies the commit, and a conflict re-runs it with fresh
 * values, a bounded number of times. So does a guest failure on a snapshot that turned out
 * stale, which a serial execution would never have shown it (ADR 0048).
 */
export class Invoker {
  private readonly running = new Map<string, number>();

  constructor(private readonly deps: InvokerDeps) {}

  async invoke(
    resolved: ResolvedExport,
    body: Uint8Array,
    queryArgs: string[],
    idempotency?: IdempotencyClaim,
  ): Promise<InvocationResult> {
    // From here to the end, this invocation runs one revision, and holds it loaded.
    const { definition, signature } = this.deps.registry.current(resolved);
    const numeric = isNumericExport(signature);
    const args = numeric
      ? queryArgs.length > 0 || body.length === 0
        ? queryArgs
        : argsFromText(bytesText(body))
      : [];
    if (numeric) {
      try {
        checkArgs(signature, args);
      } catch (error) {
        throw badRequest((error as ArgumentError).message);
      }
    }
    const running = this.running.get(definition.name) ?? 0;
    if (running >= definition.maxConcurrency) {
      throw tooManyRequests(
        `Faaslet ${definition.name} is at its limit of ${definition.maxConcurrency} concurrent invocations`,
      );
    }
    this.running.set(definition.name, running + 1);
    this.deps.leases.hold(definition.revision);
    this.deps.metrics.inFlight.inc();
    try {
      const { output, attempts, replay } = await this.runToCommit(
        definition,
        signature.name,
        numeric ? new Uint8Array(0) : body,
        args,
        idempotency && { claim: idempotency, numeric },
      );
      if (replay) return { ...replay, attempts, replayed: true };
      return { output, numeric, attempts };
    } finally {
      this.running.set(definition.name, (this.running.get(definition.name) ?? 1) - 1);
      this.deps.leases.release(definition.revision);
      this.deps.metrics.inFlight.dec();
    }
  }

  private async runToCommit(
    definition: FaasletDefinition,
    exportName: string,
    input: Uint8Array,
    args: string[],
    idempotency?: { claim: IdempotencyClaim; numeric: boolean },
  ): Promise<{ output: Uint8Array; attempts: number; replay?: StoredResponse }> {
    const { pool, store, metrics, maxAttempts } = this.deps;
    let staleKeys: StateKey[] = [];
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      // A Redis outage answers 503 at once, without running the guest (ADR 0045); while
      // another pod holds the namespace's turn, the attempt waits to start (ADR 0046).
      const admission = store.admit?.(definition.namespace);
      if (admission) await admission;
      const fast = this.deps.fastLane?.tryInvoke(definition, exportName, input, args);
      (fast ? metrics.ranOnMain : metrics.ranOnWorker).inc();
      const outcome: WorkerOutcome = fast
        ? { ...fast, workerUid: MAIN_THREAD }
        : await pool.submit(
            {
              faaslet: definition.name,
              revision: definition.revision,
              export: exportName,
              input,
              args,
            },
            { timeoutMs: definition.timeoutMs, namespace: definition.namespace },
            staleKeys,
          );
      if (outcome.type === 'done') {
        this.forwardLogs(outcome.logs);
        // Other workers' copies of what this attempt writes are stale from the moment its
        // commit is issued, and a global commit answers a Redis round trip later (ADR 0041).
        pool.noteCommitted(outcome.workerUid, outcome.writes);
        const { claim, numeric } = idempotency ?? {};
        const result = await store.commit({
          reads: outcome.reads,
          writes: outcome.writes,
          attempt,
          ...(claim && {
            idempotency: { claim, response: { numeric: !!numeric, output: outcome.output } },
          }),
        });
        if (result.ok && result.replay) {
          // Nothing applied: every cached copy of what this attempt wrote is stale.
          pool.noteCommitted(undefined, outcome.writes);
          return { output: outcome.output, attempts: attempt, replay: result.replay };
        }
        if (result.ok) {
          metrics.committed.inc();
          return { output: outcome.output, attempts: attempt };
        }
        // The worker cached this attempt's writes speculatively: those copies are stale too.
        staleKeys = [...result.stale, ...outcome.writes.map(([key]) => key)];
      } else if (outcome.type === 'conflict') {
        staleKeys = outcome.keys;
      } else {
        staleKeys = await this.excuse(definition, exportName, outcome);
      }
      metrics.conflicted.inc();
      pool.noteConflict(definition.namespace);
      // Most conflicts clear with the fresh values; a jittered pause breaks lock-step retries.
      if (attempt > 2) await delay(Math.random() * attempt);
    }
    throw conflict(
      `transaction on namespace ${definition.namespace} gave up after ${maxAttempts} conflicting attempts`,
    );
  }

  /**
   * A failure on a snapshot that is no longer current is retried like a conflict: the keys to
   * refresh. Any other failure throws its answer (ADR 0048). Only this path asks the store: a
   * failure is rare, and an answer serializability would not give costs more than a round trip.
   * A Redis outage meanwhile throws the outage's 503.
   */
  private async excuse(
    definition: FaasletDefinition,
    exportName: string,
    outcome: Failure,
  ): Promise<StateKey[]> {
    if (
      outcome.type === 'failed' &&
      SNAPSHOT_FAILURES.has(outcome.kind) &&
      outcome.reads.length > 0
    ) {
      const stale = await this.deps.store.staleAtSource(outcome.reads);
      if (stale.length > 0) {
        this.forwardLogs(outcome.logs);
        this.deps.metrics.staleFailures.labels(outcome.kind).inc();
        return stale;
      }
    }
    throw this.failure(definition, exportName, outcome);
  }

  private failure(definition: FaasletDefinition, exportName: string, outcome: Failure): GlassError {
    switch (outcome.type) {
      case 'failed':
        this.forwardLogs(outcome.logs);
        return failureError(outcome);
      case 'timeout':
        return timeout(
          `${definition.name}/${exportName} ran past its timeout of ${definition.timeoutMs} ms and was stopped`,
        );
      case 'crashed':
        return guestTrap(`the guest worker ended: ${outcome.message}`);
    }
  }

  private forwardLogs(logs: { level: number; faaslet: string; message: string }[]): void {
    for (const entry of logs) {
      const level = LOG_LEVELS[entry.level] ?? 'info';
      this.deps.log[level]({ faaslet: entry.faaslet }, entry.message);
    }
  }
}
