import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { FUEL_EXPORT, instrumentFuel } from '../../src/wasm/fuel.js';
import { UnsupportedInstruction } from '../../src/wasm/instructions.js';
import { REPO_ROOT } from '../support/runtime-server.js';
import { watToWasm } from '../support/wat.js';

const guest = (name: string): Promise<Buffer> => readFile(`${REPO_ROOT}guests/build/${name}.wasm`);
const noop = (): number => 0;
const fuelOf = (instance: WebAssembly.Instance): WebAssembly.Global =>
  instance.exports[FUEL_EXPORT] as WebAssembly.Global;

async function metered(
  name: string,
  fuel: number,
  imports: WebAssembly.Imports = {},
): Promise<WebAssembly.Instance> {
  const module = await WebAssembly.compile(instrumentFuel(await guest(name), fuel));
  return new WebAssembly.Instance(module, imports);
}

/** `(module (func (export "f") (result i32) (i32.const 1) (i32.const 2) v128...))`: one SIMD instruction. */
const SIMD_MODULE = Uint8Array.from([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b,
  0x03,
  0x02,
  0x01,
  0x00,
  0x0a,
  0x16,
  0x01,
  0x14,
  0x00,
  0xfd,
  0x0c,
  ...new Array<number>(16).fill(0),
  0x0b,
]);

describe('fuel metering', function () {
  it('leaves results unchanged: the ~100 KB module computes the same with and without it', async function () {
    const bytes = await guest('big');
    const plain = new WebAssembly.Instance(await WebAssembly.compile(bytes));
    const withFuel = await metered('big', 50_000_000);
    for (const n of [0, 7, 12345]) {
      assert.equal(
        (withFuel.exports.run as (n: number) => number)(n),
        (plain.exports.run as (n: number) => number)(n),
      );
    }
    assert.ok((fuelOf(withFuel).value as number) < 50_000_000, 'no fuel was charged');
  });

  it('stops a loop that never ends: the fuel goes below zero and the guest traps', async function () {
    const spin = await metered('spin', 100_000, { glass: { state_set: noop } });
    const run = spin.exports.run as () => void;
    assert.throws(() => {
      run();
    }, WebAssembly.RuntimeError);
    assert.ok((fuelOf(spin).value as number) < 0);
  });

  it('charges a loop per iteration, so more fuel runs longer', async function () {
    const spin = await metered('spin', 1, { glass: { state_set: noop } });
    const used = (budget: number): number => {
      fuelOf(spin).value = budget;
      try {
        (spin.exports.run as () => void)();
      } catch {
        // out of fuel, as expected
      }
      return budget - (fuelOf(spin).value as number);
    };
    assert.ok(used(1000) >= 1000 && used(1000) < 1010);
    assert.ok(used(100_000) >= 100_000 && used(100_000) < 100_010);
  });

  it('keeps every export and adds the fuel global', async function () {
    const bytes = await guest('counter');
    const names = WebAssembly.Module.exports(
      await WebAssembly.compile(instrumentFuel(bytes, 1000)),
    ).map((e) => e.name);
    assert.deepEqual(names.sort(), ['__glass_fuel', 'add', 'get', 'memory', 'multiply']);
  });

  it('gives a start function the initial fuel, and bounds it', async function () {
    // counter (AssemblyScript) has a start function; one unit of fuel is not enough for it.
    await assert.rejects(
      metered('counter', 1, {
        glass: { state_get: noop, state_set: noop, state_increment: () => 0n },
        env: { abort: noop },
      }),
    );
    await metered('counter', 100_000, {
      glass: { state_get: noop, state_set: noop, state_increment: () => 0n },
      env: { abort: noop },
    });
  });

  it('charges bulk instructions by their length and leaves their operands as they were', async function () {
    const bytes = await watToWasm(
      'bulk.wat',
      `(module
        (memory (export "memory") 16)
        (table 1000 funcref)
        (func (export "fill") (param $n i32) (memory.fill (i32.const 0) (i32.const 7) (local.get $n)))
        (func (export "copy") (param $n i32) (memory.copy (i32.const 8) (i32.const 0) (local.get $n)))
        (func (export "tfill") (param $n i32) (table.fill (i32.const 0) (ref.null func) (local.get $n))))`,
    );
    const instance = new WebAssembly.Instance(
      await WebAssembly.compile(instrumentFuel(bytes, 1000)),
    );
    const fuel = fuelOf(instance);
    const used = (name: string, n: number): number => {
      fuel.value = 10_000_000;
      (instance.exports[name] as (n: number) => void)(n);
      return 10_000_000 - (fuel.value as number);
    };
    // A flat charge would be the body's few instructions whatever n is.
    assert.ok(used('fill', 16 * 65536) >= 65536, `fill of 1 MiB cost ${used('fill', 16 * 65536)}`);
    assert.ok(used('fill', 16) < 10);
    assert.ok(used('copy', 16 * 65536 - 8) >= 65535);
    assert.ok(used('tfill', 1000) >= 500);
    const memory = new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer);
    assert.deepEqual([memory[0], memory[16 * 65536 - 1]], [7, 7], 'memory.fill got its operands');

    fuel.value = 1000;
    assert.throws(() => {
      (instance.exports.fill as (n: number) => void)(16 * 65536);
    }, WebAssembly.RuntimeError);
  });

  it('refuses instructions it cannot decode (SIMD), so such modules stay on workers', function () {
    assert.ok(WebAssembly.validate(SIMD_MODULE), 'the SIMD fixture itself is valid wasm');
    assert.throws(() => instrumentFuel(SIMD_MODULE, 1000), UnsupportedInstruction);
  });
});
