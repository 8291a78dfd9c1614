// The module bytes the Kubernetes-mode tests load: the counter guest, a second counter with
// other code on the same key, the counter with other bytes, and bytes that are no module.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { withNonce } from '../../src/bench/fixtures.js';
import { REPO_ROOT } from '../support/runtime-server.js';
import { watToWasm } from '../support/wat.js';

export function guest(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${REPO_ROOT}guests/build/${name}.wasm`));
}

export const COUNTER = guest('counter');
/** The guest build's "does not compile" fixture: a wasm header, then garbage. */
export const INVALID = guest('invalid');

/** The counter guest with a custom section added: the same code, another digest. */
export function counterWithNonce(nonce: string): Uint8Array {
  return withNonce(COUNTER, nonce);
}

/**
 * Another build of the counter: `add` and `get` on the same `counter` key through the same
 * host import, plus `version() -> 2`, so a test can tell which module answered.
 */
const COUNTER_V2_WAT = `
(module
  (import "glass" "state_increment" (func $increment (param i32 i32 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "counter")
  (func (export "add") (param $value i32) (result i32)
    (i32.wrap_i64
      (call $increment (i32.const 0) (i32.const 7) (i64.extend_i32_s (local.get $value)))))
  (func (export "get") (result i32)
    (i32.wrap_i64 (call $increment (i32.const 0) (i32.const 7) (i64.const 0))))
  (func (export "version") (result i32) (i32.const 2)))
`;

export function counterV2(): Promise<Uint8Array> {
  return watToWasm('counter-v2.wat', COUNTER_V2_WAT);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
