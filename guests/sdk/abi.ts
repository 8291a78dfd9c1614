// The `glass` host functions exactly as docs/adr/0002-guest-abi.md names them. Guests use
// the wrappers in ./index instead: these take raw (pointer, length) pairs into this
// module's own memory, which is what keeps the ABI free of AssemblyScript types.
//
// Prettier cannot parse `@external` on a function (it is not TypeScript syntax), so this
// one file is exempt from formatting in guests/prettier.config.mjs.

// @ts-ignore: decorator
@external("glass", "state_get")
export declare function state_get(keyPtr: usize, keyLen: i32, valuePtr: usize, valueCap: i32): i32;

// @ts-ignore: decorator
@external("glass", "state_set")
export declare function state_set(keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32): void;

// @ts-ignore: decorator
@external("glass", "state_delete")
export declare function state_delete(keyPtr: usize, keyLen: i32): i32;

// @ts-ignore: decorator
@external("glass", "state_increment")
export declare function state_increment(keyPtr: usize, keyLen: i32, delta: i64): i64;

// @ts-ignore: decorator
@external("glass", "state_append")
export declare function state_append(keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32): i32;

// @ts-ignore: decorator
@external("glass", "input_len")
export declare function input_len(): i32;

// @ts-ignore: decorator
@external("glass", "input_read")
export declare function input_read(ptr: usize, cap: i32): i32;

// @ts-ignore: decorator
@external("glass", "output_write")
export declare function output_write(ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("glass", "log")
export declare function log(level: i32, ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("glass", "call")
export declare function call(
  faasletPtr: usize, faasletLen: i32,
  exportPtr: usize, exportLen: i32,
  inputPtr: usize, inputLen: i32,
): i32;

// @ts-ignore: decorator
@external("glass", "call_result")
export declare function call_result(ptr: usize, cap: i32): i32;
