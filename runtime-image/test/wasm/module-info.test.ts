import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { capModuleMemory, WASM_PAGE_BYTES } from '../../src/wasm/memory-cap.js';
import { readModuleInfo } from '../../src/wasm/module-info.js';
import { REPO_ROOT } from '../support/runtime-server.js';
import { watToWasm } from '../support/wat.js';

const guest = (name: string): Promise<Buffer> => readFile(`${REPO_ROOT}guests/build/${name}.wasm`);

describe('reading module binaries', function () {
  it('finds export signatures V8 does not reflect', async function () {
    const info = readModuleInfo(await guest('counter'));
    assert.deepEqual(info.functions.get('add'), { params: ['i32'], results: ['i32'] });
    assert.deepEqual(info.functions.get('get'), { params: [], results: ['i32'] });
    assert.equal(info.exportsMemory, true);
    assert.ok(info.imports.some((i) => i.module === 'glass' && i.name === 'state_increment'));
    assert.deepEqual(info.imports.find((i) => i.name === 'state_increment')?.type, {
      params: ['i32', 'i32', 'i64'],
      results: ['i64'],
    });
  });

  it('lists an unknown import by module and name', async function () {
    const info = readModuleInfo(await guest('bad-import'));
    assert.deepEqual(
      info.imports.map((i) => `${i.module}.${i.name}`),
      ['glass.launch_missiles'],
    );
  });

  it('refuses bytes that are not wasm', function () {
    assert.throws(
      () => readModuleInfo(new TextEncoder().encode('#!/bin/sh\necho hi')),
      /bad magic number/,
    );
  });
});

/** The table cap: 100,000 elements of 8 bytes, under 1 MiB of V8 heap. */
const MAX_TABLE_ELEMENTS = 100_000;

describe('capping memory in the binary', function () {
  const cases = [
    { name: 'a memory with no maximum gets the cap', module: 'bomb', cap: 4, expectedMax: 4 },
  ];
  for (const tc of cases) {
    it(tc.name, async function () {
      const bytes = await guest(tc.module);
      const capped = capModuleMemory(bytes, readModuleInfo(bytes), tc.cap);
      assert.equal(readModuleInfo(capped).memory?.maxPages, tc.expectedMax);
      const instance = new WebAssembly.Instance(await WebAssembly.compile(capped));
      const memory = instance.exports.memory as WebAssembly.Memory;
      assert.equal(memory.grow(tc.expectedMax - 1), 1);
      assert.throws(() => memory.grow(1), RangeError);
      assert.equal(memory.buffer.byteLength, tc.expectedMax * WASM_PAGE_BYTES);
    });
  }

  it('stops the bomb fixture at the cap: its grow loop meets -1 and it traps', async function () {
    const bytes = await guest('bomb');
    const capped = capModuleMemory(bytes, readModuleInfo(bytes), 8);
    const instance = new WebAssembly.Instance(await WebAssembly.compile(capped));
    const run = instance.exports.run as () => void;
    assert.throws(() => {
      run();
    }, WebAssembly.RuntimeError);
    assert.equal(
      (instance.exports.memory as WebAssembly.Memory).buffer.byteLength,
      8 * WASM_PAGE_BYTES,
    );
  });

  it('refuses a module whose initial memory is over the cap', async function () {
    const bytes = await guest('counter');
    assert.throws(
      () => capModuleMemory(bytes, readModuleInfo(bytes), 0),
      /over the limit of 0 pages/,
    );
  });

  it('caps a table in the same rewrite: the tables fixture’s 10-million-element grow meets -1', async function () {
    const bytes = await guest('tables');
    const capped = capModuleMemory(bytes, readModuleInfo(bytes), 1);
    assert.equal(
      (readModuleInfo(capped) as { tables?: { maxPages?: number }[] }).tables?.[0]?.maxPages,
      MAX_TABLE_ELEMENTS,
    );
    const instance = new WebAssembly.Instance(await WebAssembly.compile(capped));
    assert.equal((instance.exports.grow as () => number)(), -1);
  });

  const refused = [
    {
      name: 'refuses a module with two memories (multi-memory could reach an uncapped one)',
      wat: '(module (memory 1) (memory 1))',
      error: /module has 2 memories; Glass runs modules with one/,
    },
    {
      name: 'refuses a module with more tables than the limit',
      wat: '(module (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 1 funcref))',
      error: /module has 5 tables, over the limit of 4/,
    },
    {
      name: 'refuses a module whose initial table is over the cap',
      wat: `(module (table ${MAX_TABLE_ELEMENTS + 1} funcref))`,
      error: /table of 100001 elements at start, over the limit of 100000/,
    },
  ];
  for (const tc of refused) {
    it(tc.name, async function () {
      const bytes = await watToWasm('refused.wat', tc.wat, { multi_memory: true });
      assert.throws(() => capModuleMemory(bytes, readModuleInfo(bytes), 16), tc.error);
    });
  }
});
