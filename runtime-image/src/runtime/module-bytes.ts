import type { ConfigMap, Faaslet } from '@glass/crds';
import { InvalidModuleError, sha256Hex } from './compile-faaslet.js';
import { DigestMismatchError, ModuleNotFoundError } from './module-errors.js';
import {
  DEFAULT_MODULE_FETCH_POLICY,
  fetchModule,
  type ModuleFetchPolicy,
} from './module-fetch.js';
import { moduleFromStored } from './gzip-module.js';
import { readModuleFile } from './module-file.js';

export {
  DigestMismatchError,
  ModuleFetchError,
  ModuleNotFoundError,
  ModuleTooLargeError,
} from './module-errors.js';
export { DEFAULT_MODULE_FETCH_POLICY, isCidr, type ModuleFetchPolicy } from './module-fetch.js';

/**
 * The module's bytes from wherever its spec says: a ConfigMap key, a pinned URL (fetched as
 * `fetchPolicy` allows, ADR 0081), inline, or, in local mode only, a file beside the YAML in
 * `yamlDir` (ADR 0122; without `yamlDir`, as in Kubernetes, a file is refused).
 */
export async function resolveModuleBytes(
  faaslet: Faaslet,
  configMaps: ReadonlyMap<string, ConfigMap>,
  fetchPolicy: ModuleFetchPolicy = DEFAULT_MODULE_FETCH_POLICY,
  yamlDir?: string,
): Promise<Uint8Array> {
  const source = faaslet.spec.module;
  if (source.inline !== undefined) return new Uint8Array(Buffer.from(source.inline, 'base64'));
  if (source.file !== undefined) return readModuleFile(source.file, yamlDir);
  if (source.configMapRef) {
    const { name, key } = source.configMapRef;
    const configMap = configMaps.get(name);
    if (!configMap) throw new ModuleNotFoundError(`ConfigMap ${name} not found`);
    const data = configMap.binaryData?.[key];
    if (data === undefined)
      throw new ModuleNotFoundError(`ConfigMap ${name} has no binaryData key ${key}`);
    // Modules over a ConfigMap's 1 MiB are stored gzip-compressed (ADR 0091).
    return moduleFromStored(
      new Uint8Array(Buffer.from(data, 'base64')),
      `ConfigMap ${name} key ${key}`,
    );
  }
  if (source.url !== undefined) {
    const bytes = await fetchModule(source.url, fetchPolicy);
    // No digest of what was fetched in the message: status is no window onto other servers.
    if (sha256Hex(bytes) !== source.sha256) {
      throw new DigestMismatchError('the bytes at spec.module.url do not match spec.module.sha256');
    }
    return bytes;
  }
  throw new InvalidModuleError('spec.module names no source');
}
