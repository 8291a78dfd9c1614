import { GuestImports, type InvocationContext } from './guest-imports.js';
import { InvocationBudget, workerBudget } from './invocation-budget.js';
import { QuotaExceeded } from './quota-exceeded.js';
import { InstancePool } from './instance-pool.js';
import { ArgumentError, argsFromText, toWasmArgs } from './numeric-args.js';
import type {
  ExportSignature,
  FaasletDefinition,
  FailureKind,
  InvokeConflict,
  InvokeDone,
  InvokeFailed,
  InvokeRequest,
  InvokeYield,
} from './protocol.js';
import { Transaction } from './transaction.js';
import { ConflictAbort, OUT_OF_FUEL, YieldToWorker, type StateView } from './worker-cache.js';
import { FUEL_EXPORT } from '../wasm/fuel.js';
import { WasiRunner, WasiExit } from './wasi-runner.js';
import { WASM_PAGE_BYTES } from '../wasm/memory-cap.js';
import { textBytes } from './ascii.js';
import { resolveNamespace } from '@glass/crds/namespace-template';
import { ProcExit } from './wasi-preview1.js';

interface LoadedGuest {
  definition: FaasletDefinition;
  exports: Map<string, ExportSignature>;
  instances: InstancePool;
}

class NotFound extends Error {}

/** Nested `call` results the guest sees as negative numbers (docs/adr/0002-guest-abi.md). */
const CALL_UNKNOWN = -1;
const CALL_TRAPPED = -2;
const CALL_TOO_DEEP = -3;
/** The callee acts on another namespace than the caller, which another pod may own (ADR 0102). */
const CALL_OTHER_NAMESPACE = -4;
const MAX_CALL_DEPTH = 8;

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function memoryOf(instance: WebAssembly.Instance): WebAssembly.Memory | undefined {
  const memory = instance.exports.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

const EXITED = Symbol('proc_exit(0)');

/** Calls an export; `proc_exit(0)` inside it answers EXITED, any other exit code throws. */
function callUntilExit(
  fn: (...a: (number | bigint)[]) => unknown,
  args: (number | bigint)[],
): unknown {
  try {
    return fn(...args);
  } catch (error) {
    if (error instanceof ProcExit && error.code === 0) return EXITED;
    throw error;
  }
}

/**
 * Runs invocations inside a guest worker: instances are pooled per Faaslet and reused; a
 * trapped instance is dropped, never returned to the pool; state goes through a Transaction.
 */
export class GuestExecutor {
  /** The newest loaded revision of each Faaslet: what a nested `call` by name reaches. */
  private readonly guests = new Map<string, LoadedGuest>();
  /** Every loaded revision: an invocation runs the revision it names. */
  private readonly revisions = new Map<number, LoadedGuest>();
  private readonly imports = new GuestImports((f, e, input) => this.nestedCall(f, e, input));
  private readonly wasi = new WasiRunner();

  /**
   * @param lane set only for the main-thread fast lane: the fuel and wall-clock time one
   * invocation may spend there, nested calls included (modules must carry fuel metering);
   * running out of either yields the invocation to a worker.
   */
  constructor(
    private readonly cache: StateView,
    private readonly lane?: { fuel: number; wallClockMs: number },
  ) {}

  async load(definition: FaasletDefinition): Promise<void> {
    if (definition.abi === 'wasi-command') await this.wasi.ready();
    const exports = new Map(definition.exports.map((e) => [e.name, e]));
    const { module, maxInstances } = definition;
    const instances = new InstancePool(module, this.imports.importObject(), maxInstances, (i) => {
      this.startInstance(i);
    });
    const guest = { definition, exports, instances };
    this.revisions.set(definition.revision, guest);
    // Loads arrive in revision order; should an older one ever come late, it serves only the
    // invocations that name it and never becomes what a nested call reaches.
    const current = this.guests.get(definition.name);
    if (!current || current.definition.revision < definition.revision) {
      this.guests.set(definition.name, guest);
    }
  }

  /** Drops one revision of a Faaslet, or (no revision) all of them. */
  unload(name: string, revision?: number): void {
    for (const [key, guest] of this.revisions) {
      if (guest.definition.name === name && (revision === undefined || key === revision)) {
        this.revisions.delete(key);
      }
    }
    const current = this.guests.get(name);
    // The current revision goes only when the Faaslet goes: nested calls then find nothing,
    // not an older revision still finishing its invocations.
    if (current && (revision === undefined || current.definition.revision === revision)) {
      this.guests.delete(name);
    }
  }

  /** Live pooled instances, for the instance-count metric. */
  instanceCount(): number {
    let count = 0;
    for (const guest of this.revisions.values()) count += guest.instances.size;
    return count;
  }

  hasRevision(revision: number): boolean {
    return this.revisions.has(revision);
  }

  /**
   * Starts one instance of a revision ahead of its calls, its start-up (a Go reactor's
   * `_initialize`) bounded by `fuel` instead of one call's budget, and pools it: true when
   * the start-up finished within it and touched no state. The fast lane does this once per
   * revision, off the call path (ADR 6); a start-up that needs more leaves the export to
   * workers, as before.
   */
  warm(revision: number, fuel: number, wallClockMs: number): boolean {
    const guest = this.revisions.get(revision);
    if (!guest || guest.definition.abi !== 'glass') return false;
    const txn = new Transaction(this.cache, guest.definition.quota);
    const budget = new InvocationBudget(fuel, performance.now() + wallClockMs);
    const ctx = this.context(guest.definition, txn, new Uint8Array(0), 0, budget);
    this.imports.current = ctx;
    try {
      const instance = guest.instances.create((created) => {
        const global = created.exports[FUEL_EXPORT] as WebAssembly.Global | undefined;
        if (global) global.value = fuel;
        ctx.fuel = global;
      });
      // State read or written at start-up belongs to an invocation's transaction: such a
      // module starts its instances inside its calls, as before.
      const { reads, writes } = txn.finish();
      if (reads.length > 0 || writes.length > 0) return false;
      guest.instances.release(instance);
      return true;
    } catch {
      return false;
    } finally {
      this.imports.current = undefined;
    }
  }

  invoke(request: InvokeRequest): InvokeDone | InvokeFailed | InvokeConflict | InvokeYield {
    if (request.clearCache) this.cache.clear();
    this.cache.invalidate(request.invalidate);
    const guest = this.revisions.get(request.revision);
    if (!guest)
      return this.failed(request.id, 'not-found', `unknown Faaslet ${request.faaslet}`, [], []);
    const txn = new Transaction(this.cache, guest.definition.quota);
    const budget = this.lane
      ? new InvocationBudget(this.lane.fuel, performance.now() + this.lane.wallClockMs)
      : workerBudget();
    const ctx = this.context(guest.definition, txn, request.input, 0, budget);
    ctx.namespace = request.namespace;
    if (request.values) ctx.values = request.values;
    try {
      this.run(guest, request.export, request.args, ctx);
      const { reads, writes } = txn.finish();
      const output = concat(ctx.output, ctx.outputBytes);
      return { type: 'done', id: request.id, reads, writes, output, logs: ctx.logs };
    } catch (error) {
      if (error instanceof ConflictAbort)
        return { type: 'conflict', id: request.id, keys: error.keys };
      if (error instanceof YieldToWorker)
        return { type: 'yield', id: request.id, reason: error.message };
      const { kind, message } = this.classify(error, guest.definition, ctx);
      // The reads go with the failure: the main thread answers it only if they are current.
      return this.failed(request.id, kind, message, ctx.logs, [...txn.reads]);
    } finally {
      this.imports.current = undefined;
    }
  }

  private failed(
    id: number,
    kind: FailureKind,
    message: string,
    logs: InvokeFailed['logs'],
    reads: InvokeFailed['reads'],
  ): InvokeFailed {
    return { type: 'failed', id, kind, message, logs, reads };
  }

  private context(
    faaslet: FaasletDefinition,
    txn: Transaction,
    input: Uint8Array,
    depth: number,
    budget: InvocationBudget,
  ): InvocationContext {
    return {
      faaslet,
      namespace: faaslet.namespace.text,
      memory: undefined,
      txn,
      input,
      output: [],
      outputBytes: 0,
      logs: [],
      lastCallResult: new Uint8Array(0),
      depth,
      budget,
      fuel: undefined,
      stdioBytes: 0,
    };
  }

  /**
   * Once per instance, inside the invocation that created it: a reactor's `_initialize`
   * (Go, C, Rust), or else `_start` (TinyGo and the prototype's modules, whose other exports
   * are called after it). `proc_exit(0)` there is a normal end of start-up.
   */
  private startInstance(instance: WebAssembly.Instance): void {
    const ctx = this.imports.current;
    if (ctx) ctx.memory = memoryOf(instance);
    const { _initialize: initialize, _start: start } = instance.exports;
    const entry = typeof initialize === 'function' ? initialize : start;
    if (typeof entry !== 'function') return;
    try {
      (entry as () => void)();
    } catch (error) {
      if (error instanceof ProcExit && error.code === 0) return;
      throw error;
    }
  }

  private run(
    guest: LoadedGuest,
    exportName: string,
    args: string[],
    ctx: InvocationContext,
  ): void {
    if (guest.definition.abi === 'wasi-command') {
      this.wasi.run(guest.definition, this.imports, ctx);
      return;
    }
    const signature = guest.exports.get(exportName);
    if (!signature)
      throw new NotFound(`Faaslet ${guest.definition.name} has no export ${exportName}`);
    let fuel: WebAssembly.Global | undefined;
    let result: unknown;
    // Set before acquire: a new instance's start-up runs inside this invocation.
    this.imports.current = ctx;
    try {
      const instance = guest.instances.acquire();
      fuel =
        this.lane === undefined ? undefined : (instance.exports[FUEL_EXPORT] as WebAssembly.Global);
      // The invocation's fuel moves into this instance, and back out below (a nested call's
      // instance takes what its caller had left, so calling oneself buys no fresh budget).
      if (fuel) fuel.value = ctx.budget.fuel ?? 0;
      ctx.fuel = fuel;
      ctx.memory = memoryOf(instance);
      this.imports.current = ctx;
      const fn = instance.exports[exportName] as (...a: (number | bigint)[]) => unknown;
      result = callUntilExit(fn, toWasmArgs(signature, args));
      // proc_exit(0) is a normal return, but the guest's runtime has ended: drop the instance.
      if (result === EXITED) return;
      // Only an instance that returned normally goes back: a trapped one may be half-updated.
      guest.instances.release(instance);
    } catch (error) {
      throw this.outOfFuelOr(error, fuel);
    } finally {
      if (fuel) ctx.budget.fuel = fuel.value as number;
    }
    if (signature.results.length > 0) {
      ctx.output = [textBytes(String(result))];
      ctx.outputBytes = ctx.output[0]?.length ?? 0;
    }
  }

  /** Out of fuel, in the call or in a new instance's start function: a worker runs it. */
  private outOfFuelOr(error: unknown, fuel: WebAssembly.Global | undefined): unknown {
    const outOfFuel = fuel === undefined || (fuel.value as number) < 0;
    if (this.lane !== undefined && outOfFuel && error instanceof WebAssembly.RuntimeError) {
      return new YieldToWorker(OUT_OF_FUEL);
    }
    return error;
  }

  private nestedCall(faaslet: string, exportName: string, input: Uint8Array): Uint8Array | number {
    const caller = this.imports.current;
    if (!caller) return CALL_UNKNOWN;
    if (caller.depth + 1 >= MAX_CALL_DEPTH) return CALL_TOO_DEEP;
    const guest = this.guests.get(faaslet);
    // The fast lane holds only metered modules: a callee it lacks may still exist on a worker.
    if (!guest && this.lane !== undefined)
      throw new YieldToWorker(`callee ${faaslet} runs on workers only`);
    const signature = guest?.exports.get(exportName);
    if (!guest || (!signature && guest.definition.abi === 'glass')) return CALL_UNKNOWN;
    const args =
      signature && signature.params.length > 0
        ? () => argsFromText(new TextDecoder().decode(input))
        : () => [];
    return this.runNested(caller, guest, exportName, input, args);
  }

  /** A nested call's run: the caller's transaction, savepoint and (remaining) budget. */
  private runNested(
    caller: InvocationContext,
    guest: LoadedGuest,
    exportName: string,
    input: Uint8Array,
    args: () => string[],
  ): Uint8Array | number {
    const faaslet = guest.definition.name;
    const ctx = this.context(guest.definition, caller.txn, input, caller.depth + 1, caller.budget);
    const misplaced = this.placeCallee(caller, ctx, exportName);
    if (misplaced !== undefined) return misplaced;
    const savepoint = caller.txn.savepoint();
    // What the caller has left is what the callee may spend.
    if (caller.fuel) caller.budget.fuel = caller.fuel.value as number;
    try {
      this.run(guest, exportName, args(), ctx);
      return concat(ctx.output, ctx.outputBytes);
    } catch (error) {
      // A quota fails the whole invocation: a caller must not commit around it.
      const fatal = [ConflictAbort, YieldToWorker, QuotaExceeded];
      if (fatal.some((kind) => error instanceof kind)) throw error;
      caller.txn.rollback(savepoint);
      const { message } = this.classify(error, guest.definition, ctx);
      caller.logs.push({
        level: 3,
        faaslet,
        message: `nested call ${exportName} failed: ${message}`,
      });
      return CALL_TRAPPED;
    } finally {
      if (caller.fuel) caller.fuel.value = caller.budget.fuel;
      caller.logs.push(...ctx.logs);
      this.imports.current = caller;
    }
  }

  /**
   * Gives a stateful callee its namespace, resolved with the caller's call values. A call runs
   * on its own namespace's owner, so a callee may act only on that same namespace (ADR 0102):
   * anything else answers CALL_OTHER_NAMESPACE, with a log line saying what to change.
   */
  private placeCallee(
    caller: InvocationContext,
    callee: InvocationContext,
    exportName: string,
  ): number | undefined {
    if (caller.values) callee.values = caller.values;
    if (!callee.faaslet.touchesState) return undefined;
    const template = callee.faaslet.namespace;
    let namespace: string;
    try {
      namespace = resolveNamespace(template, (p) => caller.values?.[p]);
    } catch (error) {
      namespace = `${template.text} (${(error as Error).message})`;
    }
    if (namespace === caller.namespace) {
      callee.namespace = namespace;
      return undefined;
    }
    caller.logs.push({
      level: 2,
      faaslet: caller.faaslet.name,
      message: `nested call ${callee.faaslet.name}/${exportName} refused: it acts on namespace ${namespace}, this call on ${caller.namespace}, which may live on another pod; call it through the router, or give both Faaslets the same state.namespace`,
    });
    return CALL_OTHER_NAMESPACE;
  }

  private classify(
    error: unknown,
    definition: FaasletDefinition,
    ctx: InvocationContext,
  ): { kind: FailureKind; message: string } {
    const text = error instanceof Error ? error.message : String(error);
    if (error instanceof NotFound) return { kind: 'not-found', message: text };
    if (error instanceof ArgumentError) return { kind: 'bad-input', message: text };
    if (error instanceof WasiExit || error instanceof ProcExit)
      return { kind: 'exit', message: text };
    if (error instanceof QuotaExceeded) return { kind: 'quota', message: text };
    const memory = ctx.memory?.buffer.byteLength ?? 0;
    if (memory + WASM_PAGE_BYTES > definition.memoryBytes) {
      const mib = (definition.memoryBytes / 1024 / 1024).toFixed(0);
      return {
        kind: 'memory-limit',
        message: `memory limit of ${mib} MiB reached (memory.grow refused), then trap: ${text}`,
      };
    }
    // Wasm traps (RuntimeError), host faults, bad state values, stack overflow: all traps.
    return { kind: 'trap', message: `trap: ${text}` };
  }
}
