import { z } from 'zod';
import { FAASLET_KIND, FaasletSpec, FaasletStatus } from './faaslet.js';
import {
  GLASS_CLUSTER_KIND,
  GLASS_CLUSTER_SCALE,
  GlassClusterSpec,
  GlassClusterStatus,
} from './glasscluster.js';
import { GROUP, VERSION } from './common.js';

type Schema = Record<string, unknown>;

/** Formats the API server knows; zod's others are dropped (their pattern stays). */
const KUBERNETES_FORMATS = new Set(['uri', 'byte', 'date-time', 'int32', 'int64']);

function isIntOrString(options: Schema[]): boolean {
  const types = options.map((o) => o.type).sort();
  return types.length === 2 && types[0] === 'number' && types[1] === 'string';
}

/**
 * Makes zod's OpenAPI 3.0 output a structural schema the API server accepts: base64 stays a
 * string checked by zod's pattern (not `format: byte`: CEL rules read such a field with
 * URL-safe base64 and refuse any standard base64 holding `+` or `/`, docs/adr/0050),
 * string-or-number becomes int-or-string, and any
 * other union is refused here rather than by the server.
 */
export function structural(node: unknown, path = '$'): unknown {
  if (Array.isArray(node)) return node.map((item, i) => structural(item, `${path}[${i}]`));
  if (typeof node !== 'object' || node === null) return node;
  const schema = { ...(node as Schema) };
  delete schema.$schema;
  delete schema.contentEncoding;
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options) {
    if (!isIntOrString(options))
      throw new Error(`${path}: unions other than int-or-string are not structural`);
    delete schema.anyOf;
    delete schema.oneOf;
    schema['x-kubernetes-int-or-string'] = true;
  }
  if (schema.format === 'base64') {
    delete schema.format;
  } else if (typeof schema.format === 'string' && !KUBERNETES_FORMATS.has(schema.format)) {
    delete schema.format;
  }
  for (const [key, value] of Object.entries(schema)) {
    if (typeof value === 'object' && value !== null)
      schema[key] = structural(value, `${path}.${key}`);
  }
  return schema;
}

function openApi(schema: z.ZodType): unknown {
  return structural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }));
}

interface CrdInput {
  kind: string;
  plural: string;
  shortNames: string[];
  spec: z.ZodType;
  status: z.ZodType;
  /** The scale subresource's paths, for a kind whose pods `kubectl scale` and an HPA size. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
  columns: { name: string; type: string; jsonPath: string; description: string }[];
}

const READY_COLUMN = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether the object is ready',
};
const AGE_COLUMN = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Age',
};

function customResourceDefinition(input: CrdInput): Schema {
  const { kind, plural } = input;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        shortNames: input.shortNames,
        categories: ['glass'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {}, ...(input.scale && { scale: input.scale }) },
          additionalPrinterColumns: input.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApi(input.spec),
                status: openApi(input.status),
              },
            },
          },
        },
      ],
    },
  };
}

/** Both CRDs, generated from the zod schemas that the runtime and operator parse with. */
export function glassCustomResourceDefinitions(): { file: string; crd: Schema }[] {
  return [
    {
      file: 'faaslets.glass.dev.yaml',
      crd: customResourceDefinition({
        kind: FAASLET_KIND,
        plural: 'faaslets',
        shortNames: ['fl'],
        spec: FaasletSpec,
        status: FaasletStatus,
        columns: [
          READY_COLUMN,
          {
            name: 'Cluster',
            type: 'string',
            jsonPath: '.spec.cluster',
            description: 'The GlassCluster serving it',
          },
          {
            name: 'Digest',
            type: 'string',
            jsonPath: '.status.moduleDigest',
            description: 'sha256 of the module',
          },
          AGE_COLUMN,
        ],
      }),
    },
    {
      file: 'glassclusters.glass.dev.yaml',
      crd: customResourceDefinition({
        kind: GLASS_CLUSTER_KIND,
        plural: 'glassclusters',
        shortNames: ['gc'],
        spec: GlassClusterSpec,
        status: GlassClusterStatus,
        scale: GLASS_CLUSTER_SCALE,
        // As `kubectl get clusteroperators` shows them: whether it serves, moves, or needs a human.
        columns: [
          READY_COLUMN,
          {
            name: 'Progressing',
            type: 'string',
            jsonPath: '.status.conditions[?(@.type=="Progressing")].status',
            description: 'Whether a runtime or router rollout is under way',
          },
          {
            name: 'Degraded',
            type: 'string',
            jsonPath: '.status.conditions[?(@.type=="Degraded")].status',
            description:
              'Whether pods are missing after a rollout, or a child could not be applied',
          },
          {
            name: 'Replicas',
            type: 'integer',
            jsonPath: '.spec.replicas',
            description: 'Runtime pods wanted',
          },
          // Wanted, existing, ready: what `kubectl scale` and an HPA move, side by side.
          {
            name: 'Current',
            type: 'integer',
            jsonPath: '.status.replicas',
            description: 'Runtime pods that exist',
          },
          {
            name: 'Ready-Pods',
            type: 'integer',
            jsonPath: '.status.readyReplicas',
            description: 'Runtime pods ready',
          },
          AGE_COLUMN,
        ],
      }),
    },
  ];
}
