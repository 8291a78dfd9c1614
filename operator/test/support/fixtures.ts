// Fixture builders with functional options: faaslet('a', inline(bytes), inCluster('b')).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_VERSION } from '@glass/crds';
import { REPO_ROOT } from './control-plane.js';
import type { Obj } from './kube.js';

export type Option = (object: Obj) => void;

/** A guest module built by `npm run build` (guests/build/<name>.wasm). */
export function guest(name: string): Buffer {
  return readFileSync(join(REPO_ROOT, 'guests', 'build', `${name}.wasm`));
}

export const sha256Hex = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

export function faaslet(name: string, ...options: Option[]): Obj {
  const object: Obj = {
    apiVersion: API_VERSION,
    kind: 'Faaslet',
    metadata: { name },
    spec: { cluster: 'glass', module: {} },
  };
  for (const option of options) option(object);
  return object;
}

export function glassCluster(name: string, ...options: Option[]): Obj {
  const object: Obj = {
    apiVersion: API_VERSION,
    kind: 'GlassCluster',
    metadata: { name },
    spec: {},
  };
  for (const option of options) option(object);
  return object;
}

export function configMap(name: string, key: string, bytes: Uint8Array, ...options: Option[]): Obj {
  const object: Obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    binaryData: { [key]: Buffer.from(bytes).toString('base64') },
  };
  for (const option of options) option(object);
  return object;
}

export const inNamespace =
  (namespace: string): Option =>
  (o) => {
    o.metadata = { ...o.metadata, namespace };
  };

/** Sets `spec.<path>` (dotted) to `value`. */
export const withSpec =
  (path: string, value: unknown): Option =>
  (o) => {
    const keys = path.split('.');
    let node = (o.spec ??= {});
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1) ?? ''] = value;
  };

export const withModule = (module: Record<string, unknown>): Option => withSpec('module', module);
export const inline = (bytes: Uint8Array): Option =>
  withModule({ inline: Buffer.from(bytes).toString('base64') });
export const fromConfigMap = (name: string, key = 'module.wasm'): Option =>
  withModule({ configMapRef: { name, key } });
export const fromUrl = (url: string, sha256: string): Option => withModule({ url, sha256 });
export const inCluster = (name: string): Option => withSpec('cluster', name);
