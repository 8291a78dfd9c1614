// The Glass guest SDK: AssemblyScript wrappers over the `glass` imports (./abi.ts,
// docs/adr/0002-guest-abi.md). Only a guest's entry file becomes wasm exports, so nothing
// here leaks into a module's export list.
import * as abi from './abi';

// Keys are short and every state call needs one, so they are encoded into one static
// buffer instead of a fresh allocation per call; longer keys fall back to the heap.
const KEY_SCRATCH_CAP: i32 = 256;
const keyScratch: usize = memory.data(KEY_SCRATCH_CAP);
let keyPtr: usize = 0;
let keyLen: i32 = 0;
// Holds a heap-encoded key so the collector cannot free it before the host has read it.
let keyHeap: ArrayBuffer | null = null;

function encodeKey(key: string): void {
  const len = String.UTF8.byteLength(key);
  if (len <= KEY_SCRATCH_CAP) {
    String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, keyScratch);
    keyPtr = keyScratch;
    keyHeap = null;
  } else {
    const heap = String.UTF8.encode(key);
    keyHeap = heap;
    keyPtr = changetype<usize>(heap);
  }
  keyLen = len;
}

// state_get copies at most `cap` bytes and reports the full length, so most values are read
// in one host call into this buffer; a larger value costs a second call with an exact fit.
const VALUE_SCRATCH_CAP: i32 = 1024;
const valueScratch: usize = memory.data(VALUE_SCRATCH_CAP);

/** The value's full length (-1 when absent); its bytes are in valueScratch when it fits. */
function fetchIntoScratch(key: string): i32 {
  encodeKey(key);
  return abi.state_get(keyPtr, keyLen, valueScratch, VALUE_SCRATCH_CAP);
}

function fetchLarge(len: i32): Uint8Array {
  const out = new Uint8Array(len);
  // The snapshot is fixed for the whole invocation, so the second answer has the same length.
  abi.state_get(keyPtr, keyLen, out.dataStart, len);
  return out;
}

function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

/** Parses decimal ASCII as the host's state_increment does; aborts on anything else. */
function parseInteger(key: string, ptr: usize, len: i32): i64 {
  const negative = len > 0 && load<u8>(ptr) == 0x2d;
  let i = negative ? 1 : 0;
  if (i == len) abort('glass: state key "' + key + '" does not hold an integer');
  let value: i64 = 0;
  for (; i < len; i++) {
    const c = load<u8>(ptr + <usize>i);
    if (!isDigit(c)) abort('glass: state key "' + key + '" does not hold an integer');
    value = value * 10 + <i64>(c - 0x30);
  }
  return negative ? -value : value;
}

/**
 * State of the invocation's namespace. Reads see one snapshot; writes become visible to
 * others only when the export returns normally (a trap discards them all).
 */
export abstract class state {
  /** The value's bytes, or null when the key is absent. */
  static get(key: string): Uint8Array | null {
    const len = fetchIntoScratch(key);
    if (len < 0) return null;
    if (len > VALUE_SCRATCH_CAP) return fetchLarge(len);
    const out = new Uint8Array(len);
    memory.copy(out.dataStart, valueScratch, <usize>len);
    return out;
  }

  /** The value decoded as UTF-8, or null when the key is absent. */
  static getString(key: string): string | null {
    const len = fetchIntoScratch(key);
    if (len < 0) return null;
    if (len > VALUE_SCRATCH_CAP) {
      const large = fetchLarge(len);
      return String.UTF8.decodeUnsafe(large.dataStart, <usize>len);
    }
    return String.UTF8.decodeUnsafe(valueScratch, <usize>len);
  }

  /** The value as a decimal integer, 0 when absent, like `increment`; aborts if not an integer. */
  static getInteger(key: string): i64 {
    const len = fetchIntoScratch(key);
    if (len < 0) return 0;
    if (len > VALUE_SCRATCH_CAP) abort('glass: state key "' + key + '" does not hold an integer');
    return parseInteger(key, valueScratch, len);
  }

  static set(key: string, value: Uint8Array): void {
    encodeKey(key);
    abi.state_set(keyPtr, keyLen, value.dataStart, value.length);
  }

  static setString(key: string, value: string): void {
    const bytes = String.UTF8.encode(value);
    encodeKey(key);
    abi.state_set(keyPtr, keyLen, changetype<usize>(bytes), bytes.byteLength);
  }

  /** Stores the decimal text that `increment` and `getInteger` read. */
  static setInteger(key: string, value: i64): void {
    state.setString(key, value.toString());
  }

  /** True if the key existed. */
  static delete(key: string): bool {
    encodeKey(key);
    return abi.state_delete(keyPtr, keyLen) != 0;
  }

  /**
   * Adds `delta` on the host, inside the transaction: cheaper than get + set and it reads
   * the same way (absent = 0). Returns the new value; traps if the value is not an integer.
   */
  static increment(key: string, delta: i64): i64 {
    encodeKey(key);
    return abi.state_increment(keyPtr, keyLen, delta);
  }

  /** Appends bytes; returns the value's new length. */
  static append(key: string, value: Uint8Array): i32 {
    encodeKey(key);
    return abi.state_append(keyPtr, keyLen, value.dataStart, value.length);
  }

  static appendString(key: string, value: string): i32 {
    const bytes = String.UTF8.encode(value);
    encodeKey(key);
    return abi.state_append(keyPtr, keyLen, changetype<usize>(bytes), bytes.byteLength);
  }
}

/** The request body. */
export function input(): Uint8Array {
  const len = abi.input_len();
  const out = new Uint8Array(len);
  abi.input_read(out.dataStart, len);
  return out;
}

/** The request body decoded as UTF-8. */
export function inputString(): string {
  const bytes = input();
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.length);
}

/** Appends bytes to the response body; call it as often as needed. */
export function output(bytes: Uint8Array): void {
  abi.output_write(bytes.dataStart, bytes.length);
}

export function outputString(text: string): void {
  const bytes = String.UTF8.encode(text);
  abi.output_write(changetype<usize>(bytes), bytes.byteLength);
}

function writeLog(level: i32, message: string): void {
  const bytes = String.UTF8.encode(message);
  abi.log(level, changetype<usize>(bytes), bytes.byteLength);
}

/** Lines for the runtime's log; the host caps how many one invocation may write. */
export abstract class log {
  static debug(message: string): void {
    writeLog(0, message);
  }

  static info(message: string): void {
    writeLog(1, message);
  }

  static warn(message: string): void {
    writeLog(2, message);
  }

  static error(message: string): void {
    writeLog(3, message);
  }
}

/** Negative results of `call`, as the ADR numbers them. */
export const CALL_UNKNOWN: i32 = -1;
export const CALL_TRAPPED: i32 = -2;
export const CALL_TOO_DEEP: i32 = -3;

let lastCallStatus: i32 = 0;

/** Why the last `call` returned null: CALL_UNKNOWN, CALL_TRAPPED or CALL_TOO_DEEP (0 if it did not). */
export function lastCallError(): i32 {
  return lastCallStatus < 0 ? lastCallStatus : 0;
}

/**
 * Calls a bytes export of another Faaslet in the same pod, without a network hop. It joins
 * this invocation's transaction and acts on the callee's namespace. Null when the host
 * answers with a negative error; `lastCallError()` says which.
 */
export function call(faaslet: string, exportName: string, input: Uint8Array): Uint8Array | null {
  const f = String.UTF8.encode(faaslet);
  const e = String.UTF8.encode(exportName);
  const len = abi.call(
    changetype<usize>(f),
    f.byteLength,
    changetype<usize>(e),
    e.byteLength,
    input.dataStart,
    input.length,
  );
  lastCallStatus = len;
  if (len < 0) return null;
  const out = new Uint8Array(len);
  abi.call_result(out.dataStart, len);
  return out;
}

/** `call` with UTF-8 text in and out. */
export function callString(faaslet: string, exportName: string, input: string): string | null {
  const bytes = Uint8Array.wrap(String.UTF8.encode(input));
  const out = call(faaslet, exportName, bytes);
  if (out === null) return null;
  return String.UTF8.decodeUnsafe(out.dataStart, <usize>out.length);
}
