import { setFlagsFromString } from 'node:v8';

let eager = false;

/**
 * Makes V8 compile every function of a module when the module is compiled, not on each
 * function's first call (V8's default, lazy compilation). Glass compiles a module when a
 * Faaslet is loaded, off the request path and on V8's background threads; compiled lazily,
 * the first call of a ~100 KB module paid ~3.5 ms of one-function-at-a-time compiles, and
 * eagerly the whole compile plus that call takes ~2.7 ms (ADR 9). The flag is process-wide
 * and only read when a module is compiled, so setting it before Glass's first compile is
 * enough.
 */
export function compileWasmEagerly(): void {
  if (eager) return;
  setFlagsFromString('--no-wasm-lazy-compilation');
  eager = true;
}
