import { init, WASI } from '@wasmer/wasi';
import {
  GuestFault,
  MAX_OUTPUT_BYTES,
  type GuestImports,
  type InvocationContext,
} from './guest-imports.js';
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
      capOutput(wasiImports, ctx);
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

type FdWrite = (fd: number, iovs: number, iovsLength: number, written: number) => number;

/**
 * Counts what the guest writes to stdout and stderr, both together under the cap of
 * `output_write`, and traps it past the cap before @wasmer/wasi buffers any more: otherwise a
 * command could fill the worker's memory with output nobody will read.
 */
function capOutput(imports: WebAssembly.Imports, ctx: InvocationContext): void {
  const wasi = imports.wasi_snapshot_preview1;
  const inner = wasi?.fd_write as FdWrite | undefined;
  if (!wasi || !inner) return;
  let total = 0;
  const capped: FdWrite = (fd, iovs, iovsLength, written) => {
    if ((fd === 1 || fd === 2) && ctx.memory) {
      const view = new DataView(ctx.memory.buffer);
      for (let i = 0; i < iovsLength; i++) total += view.getUint32(iovs + i * 8 + 4, true);
      if (total > MAX_OUTPUT_BYTES) {
        throw new GuestFault(`output over ${MAX_OUTPUT_BYTES} bytes (stdout and stderr)`);
      }
    }
    return inner(fd, iovs, iovsLength, written);
  };
  wasi.fd_write = capped;
}
