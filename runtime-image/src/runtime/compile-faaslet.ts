import { createHash } from 'node:crypto';
import { durationToMs, parseNamespaceTemplate, quantityToBytes, type Faaslet } from '@glass/crds';
import { compileWasmEagerly } from '../host/eager-wasm-compilation.js';
import { HOST_IMPORTS } from '../host/guest-imports.js';
import { isCallableSignature } from '../host/numeric-args.js';
import type { ExportSignature, FaasletDefinition } from '../host/protocol.js';
import { capModuleMemory, WASM_PAGE_BYTES } from '../wasm/memory-cap.js';
import { readModuleInfo, type ImportInfo, type ModuleInfo } from '../wasm/module-info.js';

/** A module Glass will not run, with a message a person can act on. */
export class InvalidModuleError extends Error {}

function asInvalid(error: unknown): InvalidModuleError {
  return error instanceof InvalidModuleError
    ? error
    : new InvalidModuleError((error as Error).message);
}

/** "not a valid WebAssembly module: <V8's reason>" when V8 refuses the bytes, else undefined. */
async function invalidBytesReason(bytes: Uint8Array): Promise<InvalidModuleError | undefined> {
  if (WebAssembly.validate(bytes)) return undefined;
  const reason = await WebAssembly.compile(bytes).then(
    () => 'unknown reason',
    (error: unknown) => (error as Error).message,
  );
  return new InvalidModuleError(`not a valid WebAssembly module: ${reason}`);
}

const WASI_MODULE = 'wasi_snapshot_preview1';

/** Every compile is a new revision: unique in the process, and later compiles number higher. */
let lastRevision = 0;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Whether a module can touch state: it imports a state function, or `call` (a callee acts on
 * its namespace inside the caller's transaction). Such calls run on their namespace's owner.
 */
export function touchesState(imports: ImportInfo[]): boolean {
  return imports.some(
    (i) =>
      i.kind === 'function' &&
      ((i.module === 'glass' && (i.name.startsWith('state_') || i.name === 'call')) ||
        (i.module === 'env' && i.name.endsWith('_state'))),
  );
}

function unsupportedImports(imports: ImportInfo[], abi: Faaslet['spec']['abi']): string[] {
  return imports
    .filter((i) => {
      if (i.kind !== 'function') return true;
      if (abi === 'wasi-command' && i.module === WASI_MODULE) return false;
      return !(HOST_IMPORTS[i.module]?.has(i.name) ?? false);
    })
    .map((i) => `${i.module}.${i.name} (${i.kind})`);
}

function selectExports(info: ModuleInfo, faaslet: Faaslet): ExportSignature[] {
  if (faaslet.spec.abi === 'wasi-command') {
    if (!info.functions.has('_start'))
      throw new InvalidModuleError('a wasi-command module must export _start');
    return [{ name: '_start', params: [], results: [] }];
  }
  const wanted = faaslet.spec.exports;
  const missing = (wanted ?? []).filter((name) => !info.functions.has(name));
  if (missing.length > 0) {
    throw new InvalidModuleError(
      `spec.exports names what the module does not export: ${missing.join(', ')}`,
    );
  }
  const selected: ExportSignature[] = [];
  for (const [name, type] of info.functions) {
    if (wanted && !wanted.includes(name)) continue;
    if (!wanted && (name.startsWith('_') || !isCallableSignature(type.params, type.results)))
      continue;
    if (!isCallableSignature(type.params, type.results)) {
      throw new InvalidModuleError(`export ${name} has a signature Glass cannot call`);
    }
    selected.push({ name, params: type.params, results: type.results });
  }
  return selected;
}

/**
 * Checks and compiles a Faaslet's module: it must be wasm, import only what the host
 * provides, export memory, and fit its memory limit, whose maximum is written into the
 * binary. Compilation is async so the HTTP thread keeps serving while a module compiles.
 */
export async function compileFaaslet(
  faaslet: Faaslet,
  bytes: Uint8Array,
): Promise<FaasletDefinition> {
  return (await compileFaasletKeepingBytes(faaslet, bytes)).definition;
}

/** As compileFaaslet, also returning the memory-capped bytes (the fast lane meters them). */
export async function compileFaasletKeepingBytes(
  faaslet: Faaslet,
  bytes: Uint8Array,
): Promise<{ definition: FaasletDefinition; capped: Uint8Array }> {
  const spec = faaslet.spec;
  const memoryBytes = quantityToBytes(spec.limits.memory);
  let info: ModuleInfo;
  let capped: Uint8Array;
  try {
    info = readModuleInfo(bytes);
    const unsupported = unsupportedImports(info.imports, spec.abi);
    if (unsupported.length > 0) {
      throw new InvalidModuleError(
        `imports what the host does not provide: ${unsupported.join(', ')}`,
      );
    }
    if (!info.exportsMemory) {
      throw new InvalidModuleError('module must export its memory as "memory"');
    }
    const maxPages = Math.floor(memoryBytes / WASM_PAGE_BYTES);
    capped = capModuleMemory(bytes, info, maxPages);
  } catch (error) {
    // Our reader is lenient: for bytes V8 refuses, V8's reason says more than ours.
    throw (await invalidBytesReason(bytes)) ?? asInvalid(error);
  }
  let module: WebAssembly.Module;
  compileWasmEagerly();
  // One compile, which is also V8's validation: no separate validate pass on the hot path. It
  // runs on V8's background threads, so the digest is hashed meanwhile.
  const compiling = WebAssembly.compile(capped);
  const digest = `sha256:${sha256Hex(bytes)}`;
  try {
    module = await compiling;
  } catch (error) {
    throw (
      (await invalidBytesReason(bytes)) ??
      new InvalidModuleError(`does not compile: ${(error as Error).message}`)
    );
  }
  const definition: FaasletDefinition = {
    name: faaslet.metadata.name,
    revision: ++lastRevision,
    namespace: parseNamespaceTemplate(spec.state.namespace ?? faaslet.metadata.name),
    durability: spec.state.durability,
    touchesState: touchesState(info.imports),
    abi: spec.abi,
    digest,
    module,
    exports: selectExports(info, faaslet),
    timeoutMs: durationToMs(spec.limits.timeout),
    memoryBytes,
    quota: {
      valueBytes: quantityToBytes(spec.state.quota.maxValueSize),
      transactionBytes: quantityToBytes(spec.state.quota.maxTransactionBytes),
      keys: spec.state.quota.maxKeys,
      namespaceBytes: quantityToBytes(spec.state.quota.maxNamespaceBytes),
    },
    maxInstances: spec.limits.maxInstances,
    maxConcurrency: spec.limits.maxConcurrency,
    env: Object.fromEntries(spec.env.map((e) => [e.name, e.value])),
    args: spec.args,
  };
  return { definition, capped };
}
