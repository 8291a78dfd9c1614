// Issue 15 item 4 (ADR 129): a runtime pod loads only Faaslets whose state namespace its
// GlassCluster allows, whatever the operator's status says: a Faaslet that names another
// team's namespace is refused at load, its calls answer 404, and the allowed ones serve.
import { strict as assert } from 'node:assert';
import { call, errorOf, startRuntime, type TestRuntime } from '../support/runtime-server.js';

describe('hostile Faaslets: a runtime pod refuses a state namespace its cluster does not allow', function () {
  let rt: TestRuntime;

  before(async function () {
    // The samples name, among others, `counter` and `kv`; only `counter` and `cart-*` are allowed.
    rt = await startRuntime(undefined, { allowedStateNamespaces: ['counter', 'cart-*'] });
  });
  after(async function () {
    await rt.close();
  });

  it('refuses to load the kv Faaslet (namespace kv), saying why', function () {
    const refused = rt.problems.find((p) => p.name === 'kv');
    assert.ok(refused, `kv refused: ${JSON.stringify(rt.problems)}`);
    assert.match(refused.message, /state namespace kv is not among the allowed: counter, cart-\*/);
  });

  it('answers 404 to a call of the refused Faaslet, and serves the allowed ones meanwhile', async function () {
    const attack = await call(rt.base, 'POST', '/invoke/kv/put', '{"key":"k","value":"v"}');
    assert.equal(attack.status, 404);
    assert.equal(errorOf(attack).code, 'not_found');
    assert.equal((await call(rt.base, 'POST', '/invoke/counter/add', '1')).status, 200);
    const cart = await call(rt.base, 'POST', '/invoke/cart/add_item', 'apple', {
      'x-user-id': 'alice',
    });
    assert.equal(cart.status, 200, cart.text);
  });
});
