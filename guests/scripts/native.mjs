// Compilers for guests in Go, C and Rust: each runs the machine's toolchain (what
// hack/setup.sh installs from the package sources) as a child process and answers the module
// bytes. Committed samples hold these bytes, so each toolchain is pinned by what it is, not
// by whatever PATH finds first, and every path that could leak into a binary is made relative.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export class ToolchainError extends Error {}

/** Runs a tool; a missing one fails with how to get it, a failing one with its stderr. */
async function run(tool, args, options, { what, install }) {
  try {
    await execFileAsync(tool, args, options);
  } catch (error) {
    if (error.code === 'ENOENT')
      throw new ToolchainError(`${what}: ${tool} is missing: ${install}`);
    throw new ToolchainError(`${what} failed:\n${error.stderr || error.message}`);
  }
}

/**
 * A Go reactor with the machine's Go (1.24 or newer has //go:wasmexport): c-shared gives
 * `_initialize` instead of `_start`, so the runtime starts once per instance (ADR 0090).
 */
export async function compileGo(guest, { guestsDir, buildDir }) {
  const outFile = path.join(buildDir, `${guest.name}.wasm`);
  await run(
    'go',
    [
      'build',
      '-buildmode=c-shared',
      '-trimpath',
      '-buildvcs=false',
      '-o',
      outFile,
      `./${guest.source}`,
    ],
    {
      cwd: path.join(guestsDir, 'go'),
      env: { ...process.env, GOOS: 'wasip1', GOARCH: 'wasm', GOFLAGS: '-mod=mod' },
    },
    {
      what: `go build of guests/go/${guest.source}`,
      install: 'install Go 1.24 or newer (https://go.dev/dl/, or hack/setup.sh) and put it on PATH',
    },
  );
  return readFile(outFile);
}

/**
 * A C reactor with Debian's clang 14, lld and wasi-libc (sysroot /usr: headers in
 * /usr/include/wasm32-wasi, libc in /usr/lib/wasm32-wasi) plus libclang-rt-14-dev-wasm32,
 * whose builtins wasm-ld links into every wasm32 module. `-mexec-model=reactor` exports
 * `_initialize` (libc's start-up, once per instance); the header SDK is in c/include.
 */
export async function compileC(guest, { guestsDir, buildDir }) {
  const outFile = path.join(buildDir, `${guest.name}.wasm`);
  await run(
    'clang',
    [
      '--target=wasm32-wasi',
      '--sysroot=/usr',
      '-std=c11',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-mexec-model=reactor',
      '-Iinclude',
      // No names section: smaller, and nothing in the binary depends on the checkout.
      '-Wl,--strip-all',
      '-o',
      outFile,
      guest.source,
    ],
    { cwd: path.join(guestsDir, 'c') },
    {
      what: `clang on guests/c/${guest.source}`,
      install:
        'apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 (or run hack/setup.sh)',
    },
  );
  return readFile(outFile);
}

/**
 * Debian's rustc (1.63, package rustc) with its wasm32-wasi standard library (package
 * libstd-rust-dev-wasm32), called directly: no cargo, no registry, no network. rustup's
 * rustc usually comes first on PATH but seldom has a wasm target, and another version would
 * give other bytes than the committed sample, so the build takes $RUSTC or /usr/bin/rustc
 * (ADR 0120). The SDK crate is compiled to an rlib, then the guest as a cdylib linked to it.
 */
export async function compileRust(guest, { guestsDir, buildDir }) {
  const rustc = process.env.RUSTC || '/usr/bin/rustc';
  const rustDir = path.join(guestsDir, 'rust');
  const outDir = path.join(buildDir, 'rust');
  await mkdir(outDir, { recursive: true });
  const common = [
    '--edition=2021',
    '--target=wasm32-wasi',
    '-Copt-level=s',
    '-Cpanic=abort',
    // Source paths end up in panic messages; keep them free of where the repo is checked out.
    `--remap-path-prefix=${rustDir}=guests/rust`,
  ];
  const tool = {
    what: `rustc on guests/rust/${guest.source}`,
    install:
      'apt-get install rustc libstd-rust-dev-wasm32 (or run hack/setup.sh), or set RUSTC to a rustc with the wasm32-wasi target',
  };
  const sdk = path.join(outDir, 'libglass.rlib');
  const options = { cwd: rustDir };
  await run(
    rustc,
    [
      ...common,
      '--crate-type=rlib',
      '--crate-name=glass',
      '-o',
      sdk,
      path.join(rustDir, 'glass/src/lib.rs'),
    ],
    options,
    tool,
  );
  const outFile = path.join(buildDir, `${guest.name}.wasm`);
  await run(
    rustc,
    [
      ...common,
      '--crate-type=cdylib',
      `--crate-name=${guest.source.replaceAll('-', '_')}`,
      '-Cstrip=symbols',
      '--extern',
      `glass=${sdk}`,
      '-o',
      outFile,
      path.join(rustDir, guest.source, 'src/lib.rs'),
    ],
    options,
    tool,
  );
  return readFile(outFile);
}
