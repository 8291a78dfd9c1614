import type { ConfigMap, Faaslet } from '@glass/crds';
import { InvalidModuleError, sha256Hex } from './compile-faaslet.js';
import { moduleFromStored } from './gzip-module.js';

/** The module's bytes are not where the spec says (yet): a ConfigMap or key missing, a URL failing. */
export class ModuleNotFoundError extends InvalidModuleError {}
/** The bytes at the URL are not the ones the spec pins. */
export class DigestMismatchError extends InvalidModuleError {}

/** The module's bytes from wherever its spec says: a ConfigMap key, a pinned URL, or inline. */
export async function resolveModuleBytes(
  faaslet: Faaslet,
  configMaps: ReadonlyMap<string, ConfigMap>,
): Promise<Uint8Array> {
  const source = faaslet.spec.module;
  if (source.inline !== undefined) return new Uint8Array(Buffer.from(source.inline, 'base64'));
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
    const url = source.url;
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch(
      (error: unknown) => {
        const cause =
          (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
        throw new ModuleNotFoundError(`fetching ${url} failed: ${cause}`);
      },
    );
    if (!response.ok) {
      throw new ModuleNotFoundError(`fetching ${source.url} answered ${response.status}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const digest = sha256Hex(bytes);
    if (digest !== source.sha256) {
      throw new DigestMismatchError(
        `${source.url} has sha256 ${digest}, the spec pins ${source.sha256 ?? ''}`,
      );
    }
    return bytes;
  }
  throw new InvalidModuleError('spec.module names no source');
}
