// Faaslets and ConfigMaps as a user applies them, built in the test, applied with kubectl.
import type { SharedControlPlane } from '../support/control-plane.js';

export type Manifest = Record<string, unknown>;

export function moduleConfigMap(name: string, bytes: Uint8Array): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    binaryData: { 'module.wasm': Buffer.from(bytes).toString('base64') },
  };
}

export type ModuleSource =
  | { configMapRef: { name: string; key: string } }
  | { url: string; sha256: string }
  | { inline: string };

export function fromConfigMap(name: string): ModuleSource {
  return { configMapRef: { name, key: 'module.wasm' } };
}

export function inline(bytes: Uint8Array): ModuleSource {
  return { inline: Buffer.from(bytes).toString('base64') };
}

export function faaslet(
  name: string,
  module: ModuleSource,
  options: { cluster?: string; namespace?: string } = {},
): Manifest {
  return {
    apiVersion: 'glass.dev/v1alpha1',
    kind: 'Faaslet',
    metadata: { name },
    spec: {
      cluster: options.cluster ?? 'glass',
      module,
      ...(options.namespace !== undefined && { state: { namespace: options.namespace } }),
    },
  };
}

/** `kubectl apply` of the objects into the namespace (JSON on stdin, as a List). */
export async function apply(
  plane: SharedControlPlane,
  namespace: string,
  objects: Manifest[],
): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  await plane.kubectlOk(['apply', '-n', namespace, '-f', '-'], JSON.stringify(list));
}
