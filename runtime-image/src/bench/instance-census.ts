// Figure 4's child process (node --expose-gc instance-census.js COUNT [GUEST]): holds COUNT
// live instances of a counter module (default `counter`; `counter-go` for the Go figure) the
// way a worker pools them, each started (a reactor's `_initialize`) and after serving one
// invocation, then prints its RSS as one JSON line. Its own process, so the RSS is its alone.
import { InstancePool } from '../host/instance-pool.js';
import { compileFaaslet } from '../runtime/compile-faaslet.js';
import { BareHost } from './bare-host.js';
import { faaslet, guestBytes } from './fixtures.js';

export interface Census {
  instances: number;
  rssBefore: number;
  rssAfter: number;
  seconds: number;
}

const count = Number(process.argv[2]);
const guest = process.argv[3] ?? 'counter';
const gc = (globalThis as { gc?: () => void }).gc;
if (!Number.isInteger(count) || count <= 0 || !gc) {
  throw new Error('usage: node --expose-gc instance-census.js COUNT [GUEST]');
}

const definition = await compileFaaslet(faaslet(guest, { maxInstances: count }), guestBytes(guest));
const host = new BareHost(definition);
const pool = new InstancePool(
  definition.module,
  host.imports.importObject(),
  definition.maxInstances,
  (instance) => {
    host.start(instance);
  },
);
const add = (instance: WebAssembly.Instance): void => {
  host.invoke(instance, () => (instance.exports.add as (n: number) => number)(1));
};

gc();
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
// All in use at once (so each acquire makes a new instance), then all back in the pool.
const inUse = Array.from({ length: count }, () => pool.acquire());
for (const instance of inUse) add(instance);
for (const instance of inUse.splice(0)) pool.release(instance);
const seconds = (performance.now() - started) / 1000;
gc();
const census: Census = {
  instances: pool.size,
  rssBefore,
  rssAfter: process.memoryUsage().rss,
  seconds,
};
console.log(JSON.stringify(census));
