import { strict as assert } from 'node:assert';
import { stateNamespaceAllowed, StateNamespacePattern } from '../src/index.js';

describe('which state namespaces a GlassCluster allows (ADR 129)', function () {
  const cases: { template: string; patterns: string[] | undefined; allowed: boolean }[] = [
    { template: 'counter', patterns: undefined, allowed: true },
    { template: 'counter', patterns: [], allowed: false },
    { template: 'counter', patterns: ['counter'], allowed: true },
    { template: 'counter', patterns: ['count'], allowed: false },
    { template: 'team-a-cart', patterns: ['team-a-*'], allowed: true },
    { template: 'team-a-cart-{user}', patterns: ['team-a-*'], allowed: true },
    { template: 'team-b-cart', patterns: ['team-a-*'], allowed: false },
    // A placeholder can resolve to anything: only a * may stand for it.
    { template: '{user}', patterns: ['team-a-*'], allowed: false },
    { template: '{user}-cart', patterns: ['team-a-*', '*-cart'], allowed: true },
    { template: 'cart-{user}', patterns: ['cart-user'], allowed: false },
    { template: 'anything-{key}', patterns: ['*'], allowed: true },
  ];
  for (const tc of cases) {
    it(`${tc.template} with ${JSON.stringify(tc.patterns)}: ${tc.allowed ? 'allowed' : 'refused'}`, function () {
      assert.equal(stateNamespaceAllowed(tc.template, tc.patterns), tc.allowed);
    });
  }

  it('accepts DNS-label characters and * in a pattern, nothing else', function () {
    for (const good of ['team-a-*', '*', 'counter', '*-cart']) {
      assert.ok(StateNamespacePattern.safeParse(good).success, good);
    }
    for (const bad of ['Team', 'cart-{user}', 'a.b', '', 'x'.repeat(64), '-a']) {
      assert.ok(!StateNamespacePattern.safeParse(bad).success, bad);
    }
  });
});
