import { strict as assert } from 'node:assert';
import { glassCustomResourceDefinitions, structural } from '../src/crd.js';
import { MODULE_FILE_LOCAL_ONLY } from '../src/faaslet.js';

type Node = Record<string, unknown>;

/** Every place in a schema, with its JSON path. */
function* walk(node: unknown, path = '$'): Generator<[string, Node]> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  const schema = node as Node;
  yield [path, schema];
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Node))
    yield* walk(child, `${path}.${key}`);
  if (schema.items) yield* walk(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object')
    yield* walk(schema.additionalProperties, `${path}{}`);
}

function openApiOf(kind: string): Node {
  const entry = glassCustomResourceDefinitions().find(
    (c) => (c.crd.spec as Node & { names: Node }).names.kind === kind,
  );
  assert.ok(entry, kind);
  const version = ((entry.crd.spec as Node).versions as Node[])[0] as Node;
  return (version.schema as Node).openAPIV3Schema as Node;
}

const at = (root: Node, path: string[]): Node =>
  path.reduce<Node>((node, key) => (node.properties as Node)[key] as Node, root);

describe('the generated CRDs', function () {
  for (const kind of ['Faaslet', 'GlassCluster']) {
    it(`${kind}: every schema node says its type (structural), with no unions`, function () {
      for (const [path, node] of walk(openApiOf(kind))) {
        const typed = typeof node.type === 'string' || node['x-kubernetes-int-or-string'] === true;
        assert.ok(typed, `${path} has no type`);
        assert.equal(node.anyOf ?? node.oneOf, undefined, `${path} is a union`);
      }
    });
  }

  it('carries the cross-field rules as CEL, with the messages the zod refinements give', function () {
    const module = at(openApiOf('Faaslet'), ['spec', 'module']);
    const rules = (module['x-kubernetes-validations'] as { message: string }[]).map(
      (r) => r.message,
    );
    assert.deepEqual(rules, [
      'exactly one of configMapRef, url, inline or file must be set',
      'url requires sha256',
      MODULE_FILE_LOCAL_ONLY,
    ]);
    const redis = at(openApiOf('GlassCluster'), ['spec', 'state', 'redis']);
    assert.equal(
      (redis['x-kubernetes-validations'] as { message: string }[])[0]?.message,
      'exactly one of url or secretRef must be set',
    );
  });

  it('lets the API server check base64 (a pattern, not format: byte) and defaults', function () {
    const spec = at(openApiOf('Faaslet'), ['spec']);
    const inline = at(spec, ['module', 'inline']);
    assert.equal(inline.format, undefined);
    const pattern = new RegExp(String(inline.pattern));
    assert.ok(pattern.test('AGFz+/8='), 'standard base64 with + and /');
    assert.ok(!pattern.test('not base64!'));
    assert.equal(at(spec, ['limits', 'timeout']).default, '5s');
    assert.equal(at(spec, ['abi']).default, 'glass');
  });

  it('has the printer columns kubectl shows', function () {
    const columns = glassCustomResourceDefinitions().map(({ crd }) =>
      (
        ((crd.spec as Node).versions as Node[])[0]?.additionalPrinterColumns as { name: string }[]
      ).map((c) => c.name),
    );
    assert.deepEqual(columns, [
      ['Ready', 'Cluster', 'Digest', 'Age'],
      ['Ready', 'Progressing', 'Degraded', 'Replicas', 'Current', 'Ready-Pods', 'Age'],
    ]);
  });

  it('gives GlassCluster a scale subresource on its runtime pods, and Faaslet none', function () {
    const subresources = Object.fromEntries(
      glassCustomResourceDefinitions().map(({ crd }): [string, unknown] => [
        String((crd.spec as Node & { names: Node }).names.kind),
        ((crd.spec as Node).versions as Node[])[0]?.subresources,
      ]),
    );
    assert.deepEqual(subresources, {
      Faaslet: { status: {} },
      GlassCluster: {
        status: {},
        scale: {
          specReplicasPath: '.spec.replicas',
          statusReplicasPath: '.status.replicas',
          labelSelectorPath: '.status.selector',
        },
      },
    });
    // Each path names a field the schema has, of the type the API server reads there.
    const cluster = openApiOf('GlassCluster');
    assert.equal(at(cluster, ['spec', 'replicas']).type, 'integer');
    assert.equal(at(cluster, ['status', 'replicas']).type, 'integer');
    assert.equal(at(cluster, ['status', 'selector']).type, 'string');
  });

  it('turns string-or-number into int-or-string and refuses other unions', function () {
    assert.deepEqual(structural({ anyOf: [{ type: 'string' }, { type: 'number' }] }), {
      'x-kubernetes-int-or-string': true,
    });
    assert.throws(
      () => structural({ anyOf: [{ type: 'string' }, { type: 'boolean' }] }),
      /not structural/,
    );
  });
});
