// Builds every guest and fixture into guests/build/<name>.wasm (AssemblyScript and WAT through
// the asc and wabt JS APIs, Go, C and Rust through the machine's toolchains in native.mjs), and
// checks each result has the imports and exports its consumers rely on. The same sources
// always give the same bytes.
import asc from 'assemblyscript/asc';
import initWabt from 'wabt';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIG_MODULE_BYTES, bigModuleWat } from './big-module.mjs';
import { MODULES } from './modules.mjs';
import { compileC, compileGo, compileRust, ToolchainError } from './native.mjs';

const GUESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_DIR = path.join(GUESTS_DIR, 'build');
const WASI_SHIM_CONFIG = createRequire(import.meta.url).resolve(
  '@assemblyscript/wasi-shim/asconfig.json',
);

/**
 * The ADR 0002 imports, the two AssemblyScript needs from `env`, and the original prototype's
 * env.get_state/env.set_state (ADR 0090). WASI preview 1 is allowed in every ABI.
 */
const GLASS_IMPORTS = new Set([
  'glass.state_get',
  'glass.state_set',
  'glass.state_delete',
  'glass.state_increment',
  'glass.state_append',
  'glass.input_len',
  'glass.input_read',
  'glass.output_write',
  'glass.log',
  'glass.call',
  'glass.call_result',
  'env.abort',
  'env.seed',
  'env.get_state',
  'env.set_state',
]);

// A valid header followed by a byte that is no section id: engines reject it while
// reading the first section, so it tests "does not compile", not "is not wasm".
const INVALID_MODULE = Buffer.concat([
  Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
  Buffer.from('glass: this is not a WebAssembly module\n'),
]);

class BuildError extends Error {}

/**
 * The wasi-shim's asconfig.json as flags. asc joins library directories onto its base
 * directory even when they are absolute, which breaks `--config` with the shim's lib; so
 * the lib is passed relative to GUESTS_DIR, where main() runs.
 */
async function wasiShimArgs() {
  const { options } = JSON.parse(await readFile(WASI_SHIM_CONFIG, 'utf8'));
  return [
    '--lib',
    path.relative(GUESTS_DIR, path.resolve(path.dirname(WASI_SHIM_CONFIG), options.lib)),
    ...options.use.flatMap((alias) => ['--use', alias]),
    '--exportStart',
    options.exportStart,
  ];
}

async function compileAssemblyScript(guest) {
  const outFile = `build/${guest.name}.wasm`;
  const args = [guest.source, '--outFile', outFile, '--optimize', '--runtime', 'incremental'];
  if (guest.abi === 'wasi-command') args.push(...(await wasiShimArgs()));
  args.push('--noColors');
  let binary;
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(args, {
    stdout: asc.createMemoryStream(),
    stderr,
    writeFile: (name, contents) => {
      if (name === outFile) binary = contents;
    },
  });
  if (error || !binary) {
    throw new BuildError(`asc failed on ${guest.source}:\n${stderr.toString() || error}`);
  }
  return binary;
}

function compileWat(wabt, fileName, text) {
  let module;
  try {
    module = wabt.parseWat(fileName, text);
    module.validate();
    return module.toBinary({ write_debug_names: false }).buffer;
  } catch (error) {
    throw new BuildError(`wabt failed on ${fileName}:\n${error.message}`);
  } finally {
    module?.destroy();
  }
}

async function compile(wabt, guest) {
  switch (guest.from) {
    case 'assemblyscript':
      return compileAssemblyScript(guest);
    case 'wat':
      return compileWat(
        wabt,
        guest.source,
        await readFile(path.join(GUESTS_DIR, guest.source), 'utf8'),
      );
    case 'generated': {
      const text = bigModuleWat();
      // Kept next to the binary so a reader can see what the benchmark compiles.
      await writeFile(path.join(BUILD_DIR, `${guest.name}.wat`), text);
      return compileWat(wabt, `build/${guest.name}.wat`, text);
    }
    case 'go':
      return compileGo(guest, { guestsDir: GUESTS_DIR, buildDir: BUILD_DIR });
    case 'c':
      return compileC(guest, { guestsDir: GUESTS_DIR, buildDir: BUILD_DIR });
    case 'rust':
      return compileRust(guest, { guestsDir: GUESTS_DIR, buildDir: BUILD_DIR });
    case 'bytes':
      return INVALID_MODULE;
    default:
      throw new BuildError(`${guest.name}: unknown source kind ${guest.from}`);
  }
}

function importNames(module) {
  return WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
}

/** Throws unless the bytes are what the runtime, samples and tests expect of this guest. */
function check(guest, bytes) {
  const fail = (problem) => {
    throw new BuildError(`build/${guest.name}.wasm ${problem}`);
  };
  if (guest.from === 'bytes') {
    if (WebAssembly.validate(bytes)) fail('is a valid module but must not be');
    return;
  }
  const module = new WebAssembly.Module(bytes);
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  for (const name of ['memory', ...guest.exports]) {
    if (!exports.includes(name)) fail(`does not export ${name} (it exports ${exports.join(', ')})`);
  }
  const imports = importNames(module);
  const allowed = (name) =>
    name.startsWith('wasi_snapshot_preview1.') ||
    (guest.abi !== 'wasi-command' && GLASS_IMPORTS.has(name));
  const foreign = imports.filter((name) => !allowed(name) && !guest.badImports?.includes(name));
  if (foreign.length > 0) fail(`imports ${foreign.join(', ')}, outside its ABI`);
  if (guest.from === 'generated') {
    const { min, max } = BIG_MODULE_BYTES;
    if (bytes.length < min || bytes.length > max) {
      fail(`is ${bytes.length} bytes, outside ${min}..${max}: adjust FUNCTIONS in big-module.mjs`);
    }
  }
}

async function main() {
  const started = performance.now();
  // Relative paths keep file names in abort messages free of where the repo is checked out.
  process.chdir(GUESTS_DIR);
  await mkdir(BUILD_DIR, { recursive: true });
  const wabt = await initWabt();
  for (const guest of MODULES) {
    const bytes = await compile(wabt, guest);
    check(guest, bytes);
    await writeFile(path.join(BUILD_DIR, `${guest.name}.wasm`), bytes);
    console.log(`  ${`build/${guest.name}.wasm`.padEnd(24)} ${String(bytes.length).padStart(7)} B`);
  }
  console.log(`guests built in ${Math.round(performance.now() - started)} ms`);
}

main().catch((error) => {
  console.error(
    error instanceof BuildError || error instanceof ToolchainError ? error.message : error,
  );
  process.exitCode = 1;
});
