import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { WorkerOutcome } from '../host/guest-worker.js';
import { ArgumentError, argsFromText, checkArgs, isNumericExport } from '../host/numeric-args.js';
import type {
  CallValues,
  FaasletDefinition,
  FailureKind,
  InvokeOutcome,
  StateKey,
} from '../host/protocol.js';
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
  quotaExceeded,
  memoryLimit,
  notFound,
  notOwner,
  timeout,
  tooManyRequests,
  type GlassError,
} from './errors.js';
import type { RuntimeMetrics } from './metrics.js';
import type { FaasletRegistry, ResolvedExport } from './registry.js';
import { andThen, type MaybeAsync } from './maybe-async.js';
import type { RevisionLeases } from './revision-leases.js';

export interface InvocationResult {
  output: Uint8Array;
  /** Numeric exports answer decimal text; bytes exports answer whatever the guest wrote. */
  numeric: boolean;
  attempts: number;
  /** An `Idempotency-Key` request whose key another request committed first: its answer. */
  replayed?: boolean;
  /**
   * An `Idempotency-Key` request whose response was too large to store (ADR 0080): it was
   * answered, and a retry runs it again.
   */
  notStored?: 'response-too-large' | 'record-evicted';
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
  /** Whether this pod owns a namespace now: a commit never lands on a copy it does not own. */
  owns?: (namespace: string) => boolean;
  /**
   * Undefined when a namespace's state is here; else resolves once the hand-off that brings
   * it back arrived (ADR 0103): no attempt runs, and nothing commits, on it before.
   */
  handedOver?: (namespace: string) => Promise<void> | undefined;
  /** Whether `handedOver` would wait now: asked at commit time, where nothing waits. */
  stillHandedOver?: (namespace: string) => boolean;
}

/** The fast lane's commits come from no worker: every worker's copy of what it wrote is stale. */
const MAIN_THREAD = 'main-thread';
/**
 * Failures the values a guest read can cause, so a stale snapshot excuses them (ADR 0048). A
 * memory limit, a timeout or a crashed worker is answered whatever the guest read.
 */
const SNAPSHOT_FAILURES: ReadonlySet<FailureKind> = new Set(['trap', 'exit', 'quota']);
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** What an attempt ended in, wherever it ran. */
type AttemptOutcome = InvokeOutcome | Extract<WorkerOutcome, { type: 'timeout' | 'crashed' }>;
type Failure = Exclude<AttemptOutcome, { type: 'done' | 'conflict' }>;

const EMPTY = new Uint8Array(0);

/** One invocation, as every attempt at it runs it. */
interface Job {
  definition: FaasletDefinition;
  /** The namespace its state functions act on, resolved from the call (ADR 0100). */
  namespace: string;
  values: CallValues | undefined;
  exportName: string;
  input: Uint8Array;
  args: string[];
  idempotency: { claim: IdempotencyClaim; numeric: boolean } | undefined;
}

/** Where an invocation's state lives: its resolved namespace and the call's placeholder values. */
export interface InvocationScope {
  namespace: string;
  values?: CallValues;
}

/** How the invocation ended: its output, or the response stored under its Idempotency-Key. */
interface Run {
  output: Uint8Array;
  attempts: number;
  replay?: StoredResponse;
  /** Committed without its Idempotency-Key record: the response was over the cap. */
  notStored?: boolean;
}

function failureError(outcome: Extract<AttemptOutcome, { type: 'failed' }>): GlassError {
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
    case 'quota':
      return quotaExceeded(outcome.message);
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

  /**
   * The invocation's result, synchronously when nothing in it had to wait: a warm guest on
   * the fast lane committing to a local namespace answers with no promise at all (ADR 8).
   * Throws, or rejects, with the GlassError it answers.
   */
  invoke(
    resolved: ResolvedExport,
    body: Uint8Array,
    queryArgs: string[],
    idempotency?: IdempotencyClaim,
    scope?: InvocationScope,
  ): MaybeAsync<InvocationResult> {
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
    const job: Job = {
      definition,
      namespace: scope?.namespace ?? definition.namespace.text,
      values: scope?.values,
      exportName: signature.name,
      input: numeric ? EMPTY : body,
      args,
      idempotency: idempotency && { claim: idempotency, numeric },
    };
    let run: MaybeAsync<Run>;
    try {
      run = this.attempt(job, 1, []);
    } catch (error) {
      this.finished(definition);
      throw error;
    }
    if (run instanceof Promise) {
      return run.then(
        (done) => this.answer(definition, numeric, done),
        (error: unknown) => {
          this.finished(definition);
          throw error;
        },
      );
    }
    return this.answer(definition, numeric, run);
  }

  private answer(definition: FaasletDefinition, numeric: boolean, run: Run): InvocationResult {
    this.finished(definition);
    const { output, attempts, replay } = run;
    if (replay) return { ...replay, attempts, replayed: true };
    if (run.notStored === true)
      return { output, numeric, attempts, notStored: 'response-too-large' };
    return { output, numeric, attempts };
  }

  private finished(definition: FaasletDefinition): void {
    this.running.set(definition.name, (this.running.get(definition.name) ?? 1) - 1);
    this.deps.leases.release(definition.revision);
    this.deps.metrics.inFlight.dec();
  }

  /** One attempt: admission, execution (the fast lane, else a worker), commit. */
  private attempt(job: Job, attempt: number, staleKeys: StateKey[]): MaybeAsync<Run> {
    // A Redis outage answers 503 at once, without running the guest (ADR 0045); while
    // another pod holds the namespace's turn, the attempt waits to start (ADR 0046).
    const admission = this.deps.store.admit?.(job.namespace);
    if (admission) return admission.then(() => this.execute(job, attempt, staleKeys));
    // A retry too: the namespace may have left this pod and come back while the call ran.
    const handedOver = job.definition.touchesState
      ? this.deps.handedOver?.(job.namespace)
      : undefined;
    if (handedOver) return handedOver.then(() => this.attempt(job, attempt, staleKeys));
    return this.execute(job, attempt, staleKeys);
  }

  private execute(job: Job, attempt: number, staleKeys: StateKey[]): MaybeAsync<Run> {
    const { definition, exportName, input, args, namespace, values } = job;
    const { fastLane, pool, metrics } = this.deps;
    const fast = fastLane?.tryInvoke(definition, exportName, input, args, job);
    if (fast) {
      metrics.ranOnMain.inc();
      return this.settle(job, attempt, fast, MAIN_THREAD);
    }
    metrics.ranOnWorker.inc();
    return pool
      .submit(
        {
          faaslet: definition.name,
          revision: definition.revision,
          export: exportName,
          input,
          args,
          namespace,
          ...(values && { values }),
        },
        { timeoutMs: definition.timeoutMs, namespace },
        staleKeys,
      )
      .then((outcome) =>
        this.settle(job, attempt, outcome, 'workerUid' in outcome ? outcome.workerUid : ''),
      );
  }

  /**
   * Commits a finished attempt, or works out what the next attempt must refresh. `ranOn`: the
   * worker's uid, or MAIN_THREAD for the fast lane.
   */
  private settle(
    job: Job,
    attempt: number,
    outcome: AttemptOutcome,
    ranOn: string,
  ): MaybeAsync<Run> {
    const { pool, store, metrics } = this.deps;
    if (outcome.type === 'conflict') return this.retry(job, attempt, outcome.keys);
    if (outcome.type !== 'done') {
      return andThen(this.excuse(job, outcome), (stale) => this.retry(job, attempt, stale));
    }
    // A Faaslet that touches no state runs on any pod (ADR 0101); the others only on the owner.
    if (job.definition.touchesState && this.deps.owns?.(job.namespace) === false) {
      throw notOwner(
        `namespace ${job.namespace} moved to another pod while this call ran; nothing was applied, retry`,
      );
    }
    // Owned again, but its state is still on its way back: the attempt ran on a copy that is
    // not the namespace's; its retry waits for the hand-off (a blind write would be replaced).
    if (job.definition.touchesState && this.deps.stillHandedOver?.(job.namespace) === true) {
      return this.retry(
        job,
        attempt,
        outcome.writes.map(([key]) => key),
      );
    }
    this.forwardLogs(outcome.logs);
    // Other workers' copies of what this attempt writes are stale from the moment its
    // commit is issued, and a global commit answers a Redis round trip later (ADR 0041).
    pool.noteCommitted(ranOn, outcome.writes);
    const { claim, numeric } = job.idempotency ?? {};
    // A response over the cap commits without its record, so a retry runs again (ADR 0080).
    const tooLarge = claim !== undefined && outcome.output.length > claim.maxResponseBytes;
    let committing: ReturnType<typeof store.commit>;
    try {
      committing = store.commit({
        reads: outcome.reads,
        writes: outcome.writes,
        attempt,
        quota: job.definition.quota,
        ...(claim &&
          !tooLarge && {
            idempotency: { claim, response: { numeric: !!numeric, output: outcome.output } },
          }),
      });
    } catch (error) {
      // Refused (a namespace quota): the worker's speculative copies of the writes are stale.
      pool.noteCommitted(undefined, outcome.writes);
      throw error;
    }
    if (committing instanceof Promise) {
      // The same for a global commit Redis refused (a namespace quota, ADR 0127) or that
      // failed: nothing of it is known to be applied, so no copy of its writes may be trusted.
      committing = committing.catch((error: unknown) => {
        pool.noteCommitted(undefined, outcome.writes);
        throw error;
      });
    }
    return andThen(committing, (result) => {
      if (result.ok && result.replay) {
        // Nothing applied: every cached copy of what this attempt wrote is stale.
        pool.noteCommitted(undefined, outcome.writes);
        return { output: outcome.output, attempts: attempt, replay: result.replay };
      }
      if (result.ok) {
        metrics.committed.inc();
        return { output: outcome.output, attempts: attempt, ...(tooLarge && { notStored: true }) };
      }
      // The worker cached this attempt's writes speculatively: those copies are stale too.
      return this.retry(job, attempt, [...result.stale, ...outcome.writes.map(([key]) => key)]);
    });
  }

  private retry(job: Job, attempt: number, staleKeys: StateKey[]): MaybeAsync<Run> {
    const { namespace } = job;
    this.deps.metrics.conflicted.inc();
    this.deps.pool.noteConflict(namespace);
    if (attempt >= this.deps.maxAttempts) {
      throw conflict(
        `transaction on namespace ${namespace} gave up after ${this.deps.maxAttempts} conflicting attempts`,
      );
    }
    // Most conflicts clear with the fresh values; a jittered pause breaks lock-step retries.
    if (attempt > 2) {
      return delay(Math.random() * attempt).then(() => this.attempt(job, attempt + 1, staleKeys));
    }
    return this.attempt(job, attempt + 1, staleKeys);
  }

  /**
   * A failure on a snapshot that is no longer current is retried like a conflict: the keys to
   * refresh. Any other failure throws its answer (ADR 0048). Only this path asks the store: a
   * failure is rare, and an answer serializability would not give costs more than a round trip.
   * A Redis outage meanwhile throws the outage's 503.
   */
  private excuse(job: Job, outcome: Failure): MaybeAsync<StateKey[]> {
    const { definition, exportName } = job;
    if (
      outcome.type === 'failed' &&
      SNAPSHOT_FAILURES.has(outcome.kind) &&
      outcome.reads.length > 0
    ) {
      return andThen(this.deps.store.staleAtSource(outcome.reads), (stale) => {
        if (stale.length === 0) throw this.failure(definition, exportName, outcome);
        this.forwardLogs(outcome.logs);
        this.deps.metrics.staleFailures.labels(outcome.kind).inc();
        return stale;
      });
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
