import { strict as assert } from 'node:assert';
import {
  Faaslet,
  matchesTemplate,
  NamespaceValueError,
  parseNamespaceTemplate,
  resolveNamespace,
  templatesOverlap,
} from '../src/index.js';

const withNamespace = (namespace: string): unknown => ({
  apiVersion: 'glass.dev/v1alpha1',
  kind: 'Faaslet',
  metadata: { name: 'f' },
  spec: { module: { inline: 'AGFzbQEAAAA=' }, state: { namespace } },
});

describe('state namespace templates (ADR 0100)', function () {
  const accepted = ['counter', 'cart-{user}', '{session}', '{key}-lot', 'a-{user}-b', 'x1'];
  for (const text of accepted) {
    it(`accepts "${text}"`, function () {
      assert.equal(Faaslet.safeParse(withNamespace(text)).success, true);
    });
  }
  const refused = [
    'Cart-{user}',
    'cart-{tenant}',
    'cart-{user}-{session}',
    'cart_{user}',
    '-cart',
    'cart-',
    '{user',
    'cart/{user}',
    'a'.repeat(64),
  ];
  for (const text of refused) {
    it(`refuses "${text}" with a message naming the placeholders`, function () {
      const result = Faaslet.safeParse(withNamespace(text));
      assert.ok(!result.success);
      assert.match(
        JSON.stringify(result.error.issues),
        /\{user\}, \{session\} or \{key\}|too_big|63/,
      );
    });
  }

  const resolved = [
    { template: 'counter', values: {}, namespace: 'counter' },
    { template: 'cart-{user}', values: { user: 'alice' }, namespace: 'cart-alice' },
    { template: '{session}-basket', values: { session: 'S.1_a@b' }, namespace: 'S.1_a@b-basket' },
    { template: 'lot-{key}', values: { key: '17' }, namespace: 'lot-17' },
  ] as const;
  for (const tc of resolved) {
    it(`resolves ${tc.template} to ${tc.namespace}`, function () {
      const template = parseNamespaceTemplate(tc.template);
      const values: Record<string, string> = tc.values;
      assert.equal(
        resolveNamespace(template, (p) => values[p]),
        tc.namespace,
      );
      assert.equal(matchesTemplate(template, tc.namespace), true);
    });
  }

  const missing = [
    { value: undefined, message: /cart-\{user\} needs \{user\}: send the X-User-ID header/ },
    { value: '', message: /needs \{user\}/ },
    { value: 'a/b', message: /must be 1-128 letters/ },
    { value: '{x}', message: /must be 1-128 letters/ },
    { value: '-lead', message: /starting with a letter or digit/ },
    { value: 'x'.repeat(129), message: /1-128/ },
  ];
  for (const tc of missing) {
    it(`refuses a call whose {user} is ${tc.value === undefined ? 'absent' : JSON.stringify(tc.value.slice(0, 20))}`, function () {
      const template = parseNamespaceTemplate('cart-{user}');
      assert.throws(
        () => resolveNamespace(template, () => tc.value),
        (error: unknown) => {
          assert.ok(error instanceof NamespaceValueError);
          assert.match(error.message, tc.message);
          return true;
        },
      );
    });
  }

  const overlaps = [
    { a: 'counter', b: 'counter', overlap: true },
    { a: 'counter', b: 'kv', overlap: false },
    { a: 'counter', b: 'c{user}', overlap: true },
    { a: 'cart-{user}', b: 'cart-{session}', overlap: true },
    { a: 'cart-{user}', b: 'wish-{user}', overlap: false },
    { a: 'cart-{user}', b: '{key}', overlap: true },
    { a: 'cart-{user}', b: 'cart', overlap: false },
  ];
  for (const tc of overlaps) {
    it(`${tc.a} and ${tc.b} ${tc.overlap ? 'can' : 'cannot'} name the same namespace`, function () {
      const a = parseNamespaceTemplate(tc.a);
      const b = parseNamespaceTemplate(tc.b);
      assert.equal(templatesOverlap(a, b), tc.overlap);
      assert.equal(templatesOverlap(b, a), tc.overlap);
    });
  }
});
