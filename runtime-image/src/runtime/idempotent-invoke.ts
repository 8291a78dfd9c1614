import {
  DEFAULT_IDEMPOTENCY_BUDGET_BYTES,
  DEFAULT_IDEMPOTENCY_MAX_RESPONSE_BYTES,
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  fingerprintOf,
  type IdempotencyClaim,
} from '../state/idempotency.js';
import type { GlassRuntime } from './glass-runtime.js';
import type { InvocationResult, InvocationScope } from './invoker.js';
import type { MaybeAsync } from './maybe-async.js';
import type { ResolvedExport } from './registry.js';

export interface IdempotencyPolicy {
  /** How long a committed response is replayed. */
  ttlMs: number;
  /** Bytes of `durability: local` records the pod keeps; the oldest go first past it. */
  budgetBytes: number;
  /** A response longer than this answers without being stored (ADR 0080). */
  maxResponseBytes: number;
  /**
   * TEST ONLY (`--test-crash-after-commit-of KEY`): the process kills itself with SIGKILL
   * after the commit carrying this Idempotency-Key was acknowledged and before it answers.
   */
  crashAfterCommitOf?: string;
}

export const DEFAULT_IDEMPOTENCY: IdempotencyPolicy = {
  ttlMs: DEFAULT_IDEMPOTENCY_TTL_SECONDS * 1000,
  budgetBytes: DEFAULT_IDEMPOTENCY_BUDGET_BYTES,
  maxResponseBytes: DEFAULT_IDEMPOTENCY_MAX_RESPONSE_BYTES,
};

export interface IdempotentResult extends InvocationResult {
  /** True when a stored response was replayed instead of running the guest. */
  replayed: boolean;
}

/** TEST ONLY: dies like a pod whose node vanished, between the commit and the answer. */
function crashForTest(): never {
  process.kill(process.pid, 'SIGKILL');
  // The signal is already on its way; make sure no answer leaves in the meantime.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  throw new Error('unreachable');
}

/**
 * An invocation with an optional `Idempotency-Key` (ADR 0043). With a key: a response already
 * stored under it is replayed without running the guest (fast path); otherwise the guest runs
 * and its commit stores the response atomically with its writes, or, when a concurrent
 * request with the same key committed first, applies nothing and replays that one.
 */
export function invokeIdempotently(
  runtime: GlassRuntime,
  target: ResolvedExport,
  request: { body: Uint8Array; args: string[]; key: string | undefined; scope: InvocationScope },
): MaybeAsync<InvocationResult> {
  const { body, args, key, scope } = request;
  // Without a key, at once when the invoker can (ADR 8): `replayed` stays unset.
  if (key === undefined) return runtime.invoker.invoke(target, body, args, undefined, scope);
  return invokeWithKey(runtime, target, { body, args, key, scope });
}

async function invokeWithKey(
  runtime: GlassRuntime,
  target: ResolvedExport,
  request: { body: Uint8Array; args: string[]; key: string; scope: InvocationScope },
): Promise<IdempotentResult> {
  const { body, args, key, scope } = request;
  const { definition, signature } = target;
  const claim: IdempotencyClaim = {
    key,
    namespace: scope.namespace,
    fingerprint: fingerprintOf(definition.name, signature.name, args, body),
    ttlMs: runtime.idempotency.ttlMs,
    maxResponseBytes: runtime.idempotency.maxResponseBytes,
  };
  const stored = await runtime.store.recorded(claim);
  if (stored) return { ...stored, attempts: 0, replayed: true };
  // Asked before the run: its own commit stores a new record and forgets the eviction.
  const evicted = runtime.store.evicted(claim);
  const result = await runtime.invoker.invoke(target, body, args, claim, scope);
  if (runtime.idempotency.crashAfterCommitOf === key && !result.replayed) crashForTest();
  const replayed = result.replayed ?? false;
  // The retry of a request whose record the budget dropped ran again: say so (ADR 0128).
  if (evicted && !replayed && result.notStored === undefined) {
    return { ...result, replayed, notStored: 'record-evicted' };
  }
  return { ...result, replayed };
}
