import { type InvocationBudget } from './invocation-budget.js';
import { stateKey, type CallValues, type FaasletDefinition, type GuestLog } from './protocol.js';
import { bytesText, textBytes } from './ascii.js';
import { StateValueError, type Transaction } from './transaction.js';
import { WASI_IMPORT_NAMES, wasiPreview1 } from './wasi-preview1.js';
import { OUT_OF_FUEL, YieldToWorker } from './worker-cache.js';

/** A guest-caused failure the host detected (bad pointer, oversized output): traps the guest. */
export class GuestFault extends Error {}

/** What the imports of the instance that is running right now act on. */
export interface InvocationContext {
  faaslet: FaasletDefinition;
  /** The namespace state functions act on: the Faaslet's, resolved for this call. */
  namespace: string;
  /** The call's placeholder values: a nested call to a keyed callee resolves with them. */
  values?: CallValues;
  memory: WebAssembly.Memory | undefined;
  txn: Transaction;
  input: Uint8Array;
  output: Uint8Array[];
  outputBytes: number;
  logs: GuestLog[];
  lastCallResult: Uint8Array;
  depth: number;
  /** Shared with every nested call of the invocation. */
  budget: InvocationBudget;
  /** The running instance's fuel global (fast lane only): host calls are charged to it. */
  fuel: WebAssembly.Global | undefined;
  /** Bytes of WASI stdout/stderr logged so far (capped per invocation). */
  stdioBytes: number;
}

/**
 * The state namespace an invocation's imports act on. One helper, so where the namespace
 * comes from (the Faaslet's template, resolved for the call: ADR 0100) changes here only.
 */
export function invocationNamespace(ctx: InvocationContext): string {
  return ctx.namespace;
}

/** Runs export `exportName` of another Faaslet inside the same transaction. */
export type NestedCall = (
  faaslet: string,
  exportName: string,
  input: Uint8Array,
) => Uint8Array | number;

export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const MAX_LOG_BYTES = 4096;
/** Fuel of one host call, about its round trip (~50 ns) in simple instructions (~3.7 ns). */
const HOST_CALL_FUEL = 16;
/** Bytes a host call copies per unit of fuel: the same rate as `memory.copy` (fuel.ts). */
const BYTES_PER_FUEL_SHIFT = 4;
/** Host calls between two readings of the clock, and the copy size that always reads it. */
const CLOCK_EVERY = 32;
const CLOCK_BYTES = 64 * 1024;

const decoder = new TextDecoder();

/** The names of every import the host provides, for checking modules at load. */
export const HOST_IMPORTS: Record<string, ReadonlySet<string>> = {
  glass: new Set([
    'state_get',
    'state_set',
    'state_delete',
    'state_increment',
    'state_append',
    'input_len',
    'input_read',
    'output_write',
    'log',
    'call',
    'call_result',
  ]),
  // abort/seed: AssemblyScript's runtime; get_state/set_state: the original prototype's ABI.
  env: new Set(['abort', 'seed', 'get_state', 'set_state']),
  wasi_snapshot_preview1: WASI_IMPORT_NAMES,
};

/**
 * The host side of the `glass` ABI (docs/adr/0002-guest-abi.md). One import object serves
 * every instance of every module in a worker: it acts on whichever invocation is current,
 * so creating an instance costs no closures.
 */
export class GuestImports {
  current: InvocationContext | undefined;

  constructor(private readonly nestedCall: NestedCall) {}

  private context(): InvocationContext {
    if (!this.current) throw new GuestFault('host function called outside an invocation');
    return this.current;
  }

  /**
   * On the fast lane, charges a host call by the bytes it copies, and gives up once the
   * invocation ran out of fuel or past its wall-clock bound: the guest's own code is bounded
   * by fuel, host calls by this, so no call holds the HTTP thread much past the bound.
   */
  private charge(ctx: InvocationContext, bytes: number): void {
    const fuel = ctx.fuel;
    if (!fuel) return;
    const left = (fuel.value as number) - HOST_CALL_FUEL - (bytes >>> BYTES_PER_FUEL_SHIFT);
    fuel.value = left;
    if (left < 0) throw new YieldToWorker(OUT_OF_FUEL);
    // The clock every CLOCK_EVERY calls and on every big copy: a warm call's one or two small
    // host calls skip it, and fuel already bounds what the calls between two readings cost.
    const budget = ctx.budget;
    const due = ++budget.hostCalls % CLOCK_EVERY === 0 || bytes >= CLOCK_BYTES;
    if (due && performance.now() > budget.deadline) throw new YieldToWorker(OUT_OF_FUEL);
  }

  private view(): DataView {
    const memory = this.context().memory;
    if (!memory) throw new GuestFault('module exports no memory');
    return new DataView(memory.buffer);
  }

  private bytes(ptr: number, len: number): Uint8Array {
    const memory = this.context().memory;
    if (!memory) throw new GuestFault('module exports no memory');
    if (ptr < 0 || len < 0 || ptr + len > memory.buffer.byteLength) {
      throw new GuestFault(`pointer out of bounds: ${ptr}+${len}`);
    }
    return new Uint8Array(memory.buffer, ptr, len);
  }

  private key(ptr: number, len: number): string {
    const ctx = this.context();
    return stateKey(invocationNamespace(ctx), decoder.decode(this.bytes(ptr, len)));
  }

  private copyOut(source: Uint8Array, ptr: number, cap: number): number {
    const n = Math.min(source.length, cap);
    this.bytes(ptr, n).set(source.subarray(0, n));
    return n;
  }

  readonly glass = {
    state_get: (kp: number, kl: number, vp: number, vcap: number): number => {
      const ctx = this.context();
      const value = ctx.txn.get(this.key(kp, kl));
      this.charge(ctx, kl + (value?.length ?? 0));
      if (value === null) return -1;
      if (value.length <= vcap) this.copyOut(value, vp, vcap);
      return value.length;
    },
    state_set: (kp: number, kl: number, vp: number, vl: number): void => {
      const ctx = this.context();
      this.charge(ctx, kl + vl);
      ctx.txn.set(this.key(kp, kl), this.bytes(vp, vl).slice());
    },
    state_delete: (kp: number, kl: number): number => {
      const ctx = this.context();
      this.charge(ctx, kl);
      return ctx.txn.delete(this.key(kp, kl)) ? 1 : 0;
    },
    state_increment: (kp: number, kl: number, delta: bigint): bigint => {
      const ctx = this.context();
      this.charge(ctx, kl);
      return BigInt.asIntN(64, ctx.txn.increment(this.key(kp, kl), delta));
    },
    state_append: (kp: number, kl: number, vp: number, vl: number): number => {
      const ctx = this.context();
      const length = ctx.txn.append(this.key(kp, kl), this.bytes(vp, vl).slice());
      // An append copies the whole value it makes, not only the bytes it adds.
      this.charge(ctx, kl + length);
      return length;
    },
    input_len: (): number => this.context().input.length,
    input_read: (ptr: number, cap: number): number => {
      const ctx = this.context();
      this.charge(ctx, Math.min(cap, ctx.input.length));
      return this.copyOut(ctx.input, ptr, cap);
    },
    output_write: (ptr: number, len: number): void => {
      const ctx = this.context();
      this.charge(ctx, len);
      if (ctx.outputBytes + len > MAX_OUTPUT_BYTES) {
        throw new GuestFault(`output over ${MAX_OUTPUT_BYTES} bytes`);
      }
      ctx.output.push(this.bytes(ptr, len).slice());
      ctx.outputBytes += len;
    },
    log: (level: number, ptr: number, len: number): void => {
      const ctx = this.context();
      const budget = ctx.budget;
      const take = Math.min(len, MAX_LOG_BYTES, budget.logBytesLeft);
      this.charge(ctx, take);
      // One budget for the whole invocation: nested calls cannot each log their own share.
      if (budget.logsLeft <= 0 || take <= 0) return;
      budget.logsLeft--;
      budget.logBytesLeft -= take;
      const message = decoder.decode(this.bytes(ptr, take));
      ctx.logs.push({ level, faaslet: ctx.faaslet.name, message });
    },
    // The ABI passes three (ptr, len) pairs as plain wasm numbers; an object is not an option.
    // eslint-disable-next-line max-params
    call: (fp: number, fl: number, ep: number, el: number, ip: number, il: number): number => {
      const faaslet = decoder.decode(this.bytes(fp, fl));
      const exportName = decoder.decode(this.bytes(ep, el));
      const caller = this.context();
      this.charge(caller, fl + el + il);
      const input = this.bytes(ip, il).slice();
      const result = this.nestedCall(faaslet, exportName, input);
      this.current = caller;
      if (typeof result === 'number') return result;
      caller.lastCallResult = result;
      return result.length;
    },
    call_result: (ptr: number, cap: number): number => {
      const ctx = this.context();
      this.charge(ctx, Math.min(cap, ctx.lastCallResult.length));
      return this.copyOut(ctx.lastCallResult, ptr, cap);
    },
  };

  /** AssemblyScript's runtime imports: `abort` traps with the guest's own message. */
  readonly env = {
    abort: (msgPtr: number, filePtr: number, line: number, column: number): never => {
      const message = this.assemblyScriptString(msgPtr) ?? 'abort';
      const file = this.assemblyScriptString(filePtr);
      const where = file ? ` at ${file}:${line}:${column}` : '';
      throw new GuestFault(`abort: ${message}${where}`);
    },
    seed: (): number => Date.now() * Math.random(),
    // The prototype's ABI: numbers as the decimal text state_increment uses; absent reads 0.
    get_state: (kp: number, kl: number): bigint => {
      const key = this.key(kp, kl);
      const value = this.context().txn.get(key);
      if (value === null) return 0n;
      const text = bytesText(value);
      if (!/^-?[0-9]+$/.test(text)) throw new StateValueError(`value of ${key} is not an integer`);
      return BigInt.asIntN(64, BigInt(text));
    },
    set_state: (kp: number, kl: number, value: number): void => {
      this.context().txn.set(this.key(kp, kl), textBytes(String(value)));
    },
  };

  /** WASI preview 1 for `abi: glass` modules, deny by default (host/wasi-preview1.ts). */
  readonly wasi = wasiPreview1({
    context: () => this.context(),
    bytes: (ptr, len) => this.bytes(ptr, len),
    view: () => this.view(),
  });

  /** AssemblyScript strings are UTF-16 with their byte length 4 bytes before the pointer. */
  private assemblyScriptString(ptr: number): string | undefined {
    const memory = this.current?.memory;
    if (!memory || ptr < 4 || ptr > memory.buffer.byteLength) return undefined;
    const length = new DataView(memory.buffer).getUint32(ptr - 4, true);
    if (ptr + length > memory.buffer.byteLength) return undefined;
    return new TextDecoder('utf-16le').decode(new Uint8Array(memory.buffer, ptr, length));
  }

  importObject(): WebAssembly.Imports {
    return { glass: this.glass, env: this.env, wasi_snapshot_preview1: this.wasi };
  }
}
