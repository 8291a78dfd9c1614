import { createHash } from 'node:crypto';
import { ConfigMap, Faaslet, describeZodError } from '@glass/crds';

/** What the caches say this pod should do with one Faaslet name. */
export type Wanted =
  /** No such Faaslet in the namespace, or it belongs to another GlassCluster: not served here. */
  | { kind: 'absent' }
  /** The object does not parse against the Faaslet schema. */
  | { kind: 'invalid'; fingerprint: string; message: string }
  | { kind: 'wanted'; faaslet: Faaslet; fingerprint: string };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The version of the module a Faaslet's spec points at, without fetching anything: a URL or
 * inline module is pinned by the spec itself; a ConfigMap's is its bytes (or their absence,
 * so that the ConfigMap appearing later counts as a change).
 */
function moduleVersion(
  faaslet: Faaslet,
  configMap: (name: string) => ConfigMap | undefined,
): string {
  const ref = faaslet.spec.module.configMapRef;
  if (!ref) return '';
  const data = configMap(ref.name)?.binaryData?.[ref.key];
  return data === undefined ? 'missing' : sha256(data);
}

/**
 * Decides from the cached Faaslet object (as the API server sent it) and the cached
 * ConfigMaps. The fingerprint changes exactly when what would be loaded changes: the spec or
 * the module bytes; status and metadata-only updates leave it alone.
 */
export function wantedFaaslet(
  object: unknown,
  cluster: string,
  configMap: (name: string) => ConfigMap | undefined,
): Wanted {
  if (object === undefined) return { kind: 'absent' };
  const spec = (object as { spec?: { cluster?: unknown } }).spec;
  // The schema's default cluster is `glass`: an object without one belongs to that cluster.
  if ((spec?.cluster ?? 'glass') !== cluster) return { kind: 'absent' };
  const parsed = Faaslet.safeParse(object);
  if (!parsed.success) {
    return {
      kind: 'invalid',
      fingerprint: sha256(JSON.stringify(spec ?? null)),
      message: `invalid Faaslet: ${describeZodError(parsed.error)}`,
    };
  }
  const faaslet = parsed.data;
  const fingerprint = sha256(
    `${JSON.stringify(faaslet.spec)}\n${moduleVersion(faaslet, configMap)}`,
  );
  return { kind: 'wanted', faaslet, fingerprint };
}

/** A ConfigMap from the cache in the shape Glass reads (list items carry no kind). */
export function asConfigMap(object: unknown): ConfigMap | undefined {
  const parsed = ConfigMap.safeParse({
    ...(object as Record<string, unknown>),
    apiVersion: 'v1',
    kind: 'ConfigMap',
  });
  return parsed.success ? parsed.data : undefined;
}
