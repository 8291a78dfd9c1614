// Which Faaslets the router places by namespace: decided from the module's imports (ADR 0101).
import assert from 'node:assert/strict';
import { compileFaaslet } from '../../src/runtime/compile-faaslet.js';
import { faaslet, guestBytes } from '../../src/bench/fixtures.js';

describe('a Faaslet touches state when its module imports state or nested-call functions', () => {
  const cases = [
    { guest: 'counter', abi: 'glass', touches: true },
    { guest: 'kv', abi: 'glass', touches: true },
    { guest: 'cart', abi: 'glass', touches: true },
    { guest: 'echo-wasi', abi: 'wasi-command', touches: false },
    { guest: 'spin', abi: 'glass', touches: true },
    { guest: 'bomb', abi: 'glass', touches: false },
  ] as const;
  for (const tc of cases) {
    it(`${tc.guest}: ${tc.touches ? 'placed on its namespace’s owner' : 'placed by routing key'}`, async () => {
      const base = faaslet(tc.guest);
      const definition = await compileFaaslet(
        { ...base, spec: { ...base.spec, abi: tc.abi } },
        guestBytes(tc.guest),
      );
      assert.equal(definition.touchesState, tc.touches);
    });
  }
});
