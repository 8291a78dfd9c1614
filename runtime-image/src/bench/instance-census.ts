// Figure 4's child process (node --expose-gc instance-census.js COUNT): holds COUNT live
// instances of the counter module the way a worker pools them, each after serving one
// invocation, then prints its RSS as one JSON line. Its own process, so the RSS is its alone.
import { GuestImports, type InvocationContext } from '../host/guest-imports.js';
import { workerBudget } from '../host/invocation-budget.js';
import { InstancePool } from '../host/instance-pool.js';
import { Transaction } from '../host/transaction.js';
import { WorkerStateCache } from '../host/worker-cache.js';
import { compileFaaslet } from '../runtime/compile-faaslet.js';
import { faaslet, guestBytes } from './fixtures.js';

export interface Census {
  instances: number;
  rssBefore: number;
  rssAfter: number;
  seconds: number;
}

const count = Number(process.argv[2]);
const gc = (globalThis as { gc?: () => void }).gc;
if (!Number.isInteger(count) || count <= 0 || !gc) {
  throw new Error('usage: node --expose-gc instance-census.js COUNT');
}

const definition = await compileFaaslet(
  faaslet('counter', { maxInstances: count }),
  guestBytes('counter'),
);
const imports = new GuestImports(() => -1);
const pool = new InstancePool(definition.module, imports.importObject(), definition.maxInstances);
const cache = new WorkerStateCache('census', () => ({ ok: true, entries: [] }));
const add = (instance: WebAssembly.Instance): void => {
  const ctx: InvocationContext = {
    faaslet: definition,
    namespace: definition.namespace.text,
    memory: instance.exports.memory as WebAssembly.Memory,
    txn: new Transaction(cache),
    input: new Uint8Array(0),
    output: [],
    outputBytes: 0,
    logs: [],
    lastCallResult: new Uint8Array(0),
    depth: 0,
    budget: workerBudget(),
    fuel: undefined,
    stdioBytes: 0,
  };
  imports.current = ctx;
  (instance.exports.add as (n: number) => number)(1);
  imports.current = undefined;
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
