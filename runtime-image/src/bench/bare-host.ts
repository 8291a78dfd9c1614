// The host's guest imports with no runtime around them: what the census and the raw first-call
// baseline instantiate against, so a module that imports `glass` and WASI (a Go reactor) runs
// on the very host functions a worker gives it, minus pools, workers and HTTP.
import { GuestImports, type InvocationContext } from '../host/guest-imports.js';
import { workerBudget } from '../host/invocation-budget.js';
import { Transaction } from '../host/transaction.js';
import { WorkerStateCache } from '../host/worker-cache.js';
import type { FaasletDefinition } from '../host/protocol.js';

export class BareHost {
  readonly imports = new GuestImports(() => -1);
  private readonly cache = new WorkerStateCache('bench', () => ({ ok: true, entries: [] }));

  constructor(private readonly definition: FaasletDefinition) {}

  /** Runs `body` as one invocation on `instance`: state calls go to a fresh transaction. */
  invoke<T>(instance: WebAssembly.Instance, body: () => T): T {
    this.imports.current = this.context(instance);
    try {
      return body();
    } finally {
      this.imports.current = undefined;
    }
  }

  /** As the executor starts an instance: `_initialize` once, inside an invocation. */
  start(instance: WebAssembly.Instance): void {
    const initialize = instance.exports._initialize;
    if (typeof initialize === 'function') this.invoke(instance, initialize as () => void);
  }

  private context(instance: WebAssembly.Instance): InvocationContext {
    return {
      faaslet: this.definition,
      namespace: this.definition.namespace.text,
      memory: instance.exports.memory as WebAssembly.Memory,
      txn: new Transaction(this.cache),
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
  }
}
