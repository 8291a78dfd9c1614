import { init, WASI } from '@wasmer/wasi';
import type { GuestImports, InvocationContext } from './guest-imports.js';
import type { FaasletDefinition } from './protocol.js';

/** A WASI command that exited with a non-zero status. */
export class WasiExit extends Error {}

const MAX_STDERR_LOG_BYTES = 4096;

/**
 * Runs `abi: wasi-command` Faaslets through @wasmer/wasi: the body on stdin, stdout as the
 * answer, args and env from the spec only, and no preopened directories, so the guest sees
 * an empty in-memory filesystem and no host files; WASI preview 1 has no way to open sockets.
 */
export class WasiRunner {
  private initialised: Promise<void> | undefined;

  /** @wasmer/wasi compiles its own wasm once per thread (~40 ms): only where a WASI guest exists. */
  ready(): Promise<void> {
    this.initialised ??= init();
    return this.initialised;
  }

  run(definition: FaasletDefinition, imports: GuestImports, ctx: InvocationContext): void {
    const wasi = new WASI({ args: [definition.name, ...definition.args], env: definition.env });
    try {
      // wasi.instantiate() chokes on extra function imports: link the glass ones ourselves.
      const wasiImports = wasi.getImports(definition.module) as WebAssembly.Imports;
      const instance = new WebAssembly.Instance(definition.module, {
        ...wasiImports,
        glass: imports.glass,
        env: imports.env,
      });
      const memory = instance.exports.memory;
      ctx.memory = memory instanceof WebAssembly.Memory ? memory : undefined;
      imports.current = ctx;
      wasi.setStdinBuffer(ctx.input);
      const status = wasi.start(instance);
      const stdout = wasi.getStdoutBuffer();
      const stderr = wasi.getStderrString();
      if (stderr.length > 0) {
        ctx.logs.push({
          level: 2,
          faaslet: definition.name,
          message: stderr.slice(0, MAX_STDERR_LOG_BYTES),
        });
      }
      if (status !== 0) throw new WasiExit(`exited with status ${status}`);
      ctx.output = [stdout];
      ctx.outputBytes = stdout.length;
    } finally {
      wasi.free();
    }
  }
}
