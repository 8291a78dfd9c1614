// The router's view of which namespace a call touches: the runtime's resolution rules, from a
// request alone (ADR 0101).
import assert from 'node:assert/strict';
import { parseNamespaceTemplate } from '@glass/crds';
import { FaasletCatalog, type PlacedFaaslet } from '../../src/placement/faaslet-catalog.js';
import { placedFaasletFromObject } from '../../src/placement/placed-faaslet-from-status.js';

const placed = (
  name: string,
  exports: string[],
  namespace: string,
  touchesState = true,
): PlacedFaaslet => ({
  name,
  exports,
  namespace: parseNamespaceTemplate(namespace),
  touchesState,
});

describe('the router’s Faaslet catalog', () => {
  const catalog = new FaasletCatalog();
  catalog.replaceAll([
    placed('counter', ['add', 'get', 'multiply'], 'counter'),
    placed('kv', ['get', 'put'], 'kv'),
    placed('cart', ['add_item', 'list'], 'cart-{user}'),
    placed('lots', ['bid'], 'lot-{key}'),
    placed('echo', ['_start'], 'echo', false),
  ]);
  const cases: {
    name: string;
    method: string;
    path: string;
    user?: string;
    ns: string | undefined;
  }[] = [
    {
      name: 'the full path names the Faaslet',
      method: 'POST',
      path: '/invoke/counter/add',
      ns: 'counter',
    },
    {
      name: 'the classic GET names the one exporter',
      method: 'GET',
      path: '/invoke/multiply',
      ns: 'counter',
    },
    {
      name: 'an ambiguous export is left to the pod',
      method: 'GET',
      path: '/invoke/get',
      ns: undefined,
    },
    {
      name: 'the classic shape is GET only',
      method: 'POST',
      path: '/invoke/multiply',
      ns: undefined,
    },
    {
      name: 'a keyed namespace takes the user',
      method: 'POST',
      path: '/invoke/cart/list',
      user: 'bob',
      ns: 'cart-bob',
    },
    {
      name: 'a keyed namespace without its value is left to the pod (400)',
      method: 'POST',
      path: '/invoke/cart/list',
      ns: undefined,
    },
    { name: 'the path key fills {key}', method: 'POST', path: '/invoke/lots/bid/17', ns: 'lot-17' },
    {
      name: 'a percent-encoded key is decoded',
      method: 'POST',
      path: '/invoke/lots/bid/a%40b',
      ns: 'lot-a@b',
    },
    {
      name: 'a stateless Faaslet has no namespace',
      method: 'POST',
      path: '/invoke/echo/_start',
      ns: undefined,
    },
    {
      name: 'an unknown Faaslet is left to the pod (404)',
      method: 'POST',
      path: '/invoke/nope/x',
      ns: undefined,
    },
    {
      name: 'anything but /invoke has none',
      method: 'GET',
      path: '/state/counter/counter',
      ns: undefined,
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const headers = tc.user === undefined ? {} : { 'x-user-id': tc.user };
      assert.equal(catalog.namespaceOf(tc.method, tc.path, headers), tc.ns);
    });
  }

  it('reads a Faaslet from the object the operator keeps: only Ready ones of its cluster', () => {
    const object = (cluster: string, ready: 'True' | 'False', touchesState?: boolean) => ({
      apiVersion: 'glass.dev/v1alpha1',
      kind: 'Faaslet',
      metadata: { name: 'cart' },
      spec: { cluster, module: { inline: 'AGFzbQEAAAA=' }, state: { namespace: 'cart-{user}' } },
      status: {
        exports: ['add_item'],
        ...(touchesState === undefined ? {} : { touchesState }),
        conditions: [
          {
            type: 'Ready',
            status: ready,
            reason: 'R',
            message: '',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    });
    assert.deepEqual(placedFaasletFromObject(object('glass', 'True', false), 'glass'), {
      name: 'cart',
      exports: ['add_item'],
      namespace: parseNamespaceTemplate('cart-{user}'),
      touchesState: false,
    });
    assert.equal(placedFaasletFromObject(object('glass', 'True'), 'glass')?.touchesState, true);
    assert.equal(placedFaasletFromObject(object('other', 'True'), 'glass'), undefined);
    assert.equal(placedFaasletFromObject(object('glass', 'False'), 'glass'), undefined);
    assert.equal(placedFaasletFromObject({ kind: 'junk' }, 'glass'), undefined);
  });
});
