import { stateKey, type FaasletDefinition, type GuestLog } from './protocol.js';
import { bytesText, textBytes } from './ascii.js';
import { StateValueError, type Transaction } from './transaction.js';
import { WASI_IMPORT_NAMES, wasiPreview1 } from './wasi-preview1.js';

/** A guest-caused failure the host detected (bad pointer, oversized output): traps the guest. */
export class GuestFault extends Error {}

/** What the imports of the instance that is running right now act on. */
export interface InvocationContext {
  faaslet: FaasletDefinition;
  memory: WebAssembly.Memory | undefined;
  txn: Transaction;
  input: Uint8Array;
  output: Uint8Array[];
  outputBytes: number;
  logs: GuestLog[];
  lastCallResult: Uint8Array;
  depth: number;
  /** Bytes of WASI stdout/stderr logged so far (capped per invocation). */
  stdioBytes: number;
}

/**
 * The state namespace an invocation's imports act on. One helper, so where the namespace
 * comes from (the Faaslet today, the invocation once namespaces are keyed) changes here only.
 */
export function invocationNamespace(ctx: InvocationContext): string {
  return ctx.faaslet.namespace;
}

/** Runs export `exportName` of another Faaslet inside the same transaction. */
export type NestedCall = (
  faaslet: string,
  exportName: string,
  input: Uint8Array,
) => Uint8Array | number;

export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const MAX_LOGS = 100;
const MAX_LOG_BYTES = 4096;

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
      const value = this.context().txn.get(this.key(kp, kl));
      if (value === null) return -1;
      if (value.length <= vcap) this.copyOut(value, vp, vcap);
      return value.length;
    },
    state_set: (kp: number, kl: number, vp: number, vl: number): void => {
      this.context().txn.set(this.key(kp, kl), this.bytes(vp, vl).slice());
    },
    state_delete: (kp: number, kl: number): number =>
      this.context().txn.delete(this.key(kp, kl)) ? 1 : 0,
    state_increment: (kp: number, kl: number, delta: bigint): bigint =>
      BigInt.asIntN(64, this.context().txn.increment(this.key(kp, kl), delta)),
    state_append: (kp: number, kl: number, vp: number, vl: number): number =>
      this.context().txn.append(this.key(kp, kl), this.bytes(vp, vl).slice()),
    input_len: (): number => this.context().input.length,
    input_read: (ptr: number, cap: number): number => this.copyOut(this.context().input, ptr, cap),
    output_write: (ptr: number, len: number): void => {
      const ctx = this.context();
      if (ctx.outputBytes + len > MAX_OUTPUT_BYTES) {
        throw new GuestFault(`output over ${MAX_OUTPUT_BYTES} bytes`);
      }
      ctx.output.push(this.bytes(ptr, len).slice());
      ctx.outputBytes += len;
    },
    log: (level: number, ptr: number, len: number): void => {
      const ctx = this.context();
      if (ctx.logs.length >= MAX_LOGS) return;
      const message = decoder.decode(this.bytes(ptr, Math.min(len, MAX_LOG_BYTES)));
      ctx.logs.push({ level, faaslet: ctx.faaslet.name, message });
    },
    // The ABI passes three (ptr, len) pairs as plain wasm numbers; an object is not an option.
    // eslint-disable-next-line max-params
    call: (fp: number, fl: number, ep: number, el: number, ip: number, il: number): number => {
      const faaslet = decoder.decode(this.bytes(fp, fl));
      const exportName = decoder.decode(this.bytes(ep, el));
      const input = this.bytes(ip, il).slice();
      const caller = this.context();
      const result = this.nestedCall(faaslet, exportName, input);
      this.current = caller;
      if (typeof result === 'number') return result;
      caller.lastCallResult = result;
      return result.length;
    },
    call_result: (ptr: number, cap: number): number =>
      this.copyOut(this.context().lastCallResult, ptr, cap),
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
