import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { ConfigMap } from './configmap.js';
import { Faaslet } from './faaslet.js';
import { GlassCluster } from './glasscluster.js';

export type Manifest =
  | { kind: 'Faaslet'; object: Faaslet }
  | { kind: 'GlassCluster'; object: GlassCluster }
  | { kind: 'ConfigMap'; object: ConfigMap };

/** One document that could not be accepted, located so a person can find and fix it. */
export interface ManifestProblem {
  source: string;
  document: number;
  name: string | undefined;
  message: string;
}

export interface ParsedManifests {
  manifests: Manifest[];
  problems: ManifestProblem[];
  /** Documents of kinds Glass does not read (Services, Secrets, ...), counted, not errors. */
  ignored: number;
}

const SCHEMAS = { Faaslet, GlassCluster, ConfigMap } as const;

/** "spec.limits.timeout: must be a duration ..." for each zod issue. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function nameOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const metadata = (value as { metadata?: { name?: unknown } }).metadata;
  return typeof metadata?.name === 'string' ? metadata.name : undefined;
}

function kindOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null
    ? (value as { kind?: unknown }).kind
    : undefined;
}

/**
 * Parses every YAML document in `text` (as `kubectl apply -f` would see the file) against
 * the Glass schemas. A bad document becomes a problem naming the file, document and field;
 * the good ones are still returned.
 */
export function parseManifests(text: string, source: string): ParsedManifests {
  const result: ParsedManifests = { manifests: [], problems: [], ignored: 0 };
  parseAllDocuments(text).forEach((doc, index) => {
    const document = index + 1;
    if (doc.errors.length > 0) {
      const message = `invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`;
      result.problems.push({ source, document, name: undefined, message });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const kind = kindOf(value);
    if (kind !== 'Faaslet' && kind !== 'GlassCluster' && kind !== 'ConfigMap') {
      result.ignored++;
      return;
    }
    const parsed = SCHEMAS[kind].safeParse(value);
    if (!parsed.success) {
      const message = describeZodError(parsed.error);
      result.problems.push({ source, document, name: nameOf(value), message });
      return;
    }
    result.manifests.push({ kind, object: parsed.data } as Manifest);
  });
  return result;
}
