// Figure 1: a new instance of a cached module through the host's InstancePool, beside a raw
// `new WebAssembly.Instance` of the same compiled module with no-op imports.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GuestImports } from '../host/guest-imports.js';
import { InstancePool } from '../host/instance-pool.js';
import { compileFaaslet } from '../runtime/compile-faaslet.js';
import { faaslet, guestBytes } from './fixtures.js';
import { median, row, type BenchRow } from './report.js';

const ROUNDS = 31;
const PER_BATCH = 100;
const REUSE_PER_ROUND = 100_000;

/**
 * A full GC before each timed batch: dead instances from the batch before (each holding a
 * wasm memory reservation) are collected outside the timing, for both sides alike.
 */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A plain object with a no-op function for every import the module names. */
function noOpImports(module: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const entry of WebAssembly.Module.imports(module)) {
    imports[entry.module] ??= {};
    (imports[entry.module] as Record<string, () => number>)[entry.name] = () => 0;
  }
  return imports;
}

/** ns per call of `make`, over `count` calls; the instances stay alive until the batch ends. */
function timeBatch(make: () => WebAssembly.Instance, count: number, gc: () => void): number {
  gc();
  const held: WebAssembly.Instance[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) held.push(make());
  const elapsed = Number(process.hrtime.bigint() - started);
  if (held.length !== count) throw new Error('lost an instance');
  return elapsed / count;
}

function timeReuse(pool: InstancePool, count: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) pool.release(pool.acquire());
  return Number(process.hrtime.bigint() - started) / count;
}

export async function instanceAcquire(): Promise<BenchRow[]> {
  const definition = await compileFaaslet(faaslet('counter'), guestBytes('counter'));
  const imports = new GuestImports(() => -1);
  // maxIdle 0: nothing is ever idle, so every acquire() takes the new-instance path.
  const fresh = new InstancePool(definition.module, imports.importObject(), 0);
  const reused = new InstancePool(definition.module, imports.importObject(), 1);
  const raw = noOpImports(definition.module);
  const makeRaw = (): WebAssembly.Instance => new WebAssembly.Instance(definition.module, raw);
  const makeHost = (): WebAssembly.Instance => fresh.acquire();
  const gc = collector();
  timeBatch(makeRaw, PER_BATCH, gc);
  timeBatch(makeHost, PER_BATCH, gc);
  const host: number[] = [];
  const baseline: number[] = [];
  const reuse: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so neither always gets the warmer or the noisier slot.
    if (round % 2 === 0) {
      host.push(timeBatch(makeHost, PER_BATCH, gc));
      baseline.push(timeBatch(makeRaw, PER_BATCH, gc));
    } else {
      baseline.push(timeBatch(makeRaw, PER_BATCH, gc));
      host.push(timeBatch(makeHost, PER_BATCH, gc));
    }
    reuse.push(timeReuse(reused, REUSE_PER_ROUND));
  }
  const value = median(host);
  const base = median(baseline);
  return [
    row({
      name: 'new instance of a cached module (InstancePool.acquire, counter)',
      value,
      baseline: base,
      unit: 'ns',
      goal: '<= 1.5x',
      met: value / base <= 1.5,
    }),
    row({
      name: 'acquire+release of an idle pooled instance (no new instance)',
      value: median(reuse),
      baseline: undefined,
      unit: 'ns',
      goal: undefined,
    }),
  ];
}
