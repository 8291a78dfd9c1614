import { gunzipSync, gzipSync } from 'node:zlib';
import { InvalidModuleError } from './compile-faaslet.js';

/** The largest module a compressed ConfigMap may expand to: a bound on a gzip bomb. */
export const MAX_MODULE_BYTES = 64 * 1024 * 1024;

/** gzip's magic; a wasm module starts with "\0asm", so the two never mix up (ADR 0091). */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** ConfigMap bytes as the module: gunzipped when they are gzip, as they are. */
export function moduleFromStored(bytes: Uint8Array, where: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: MAX_MODULE_BYTES }));
  } catch (error) {
    throw new InvalidModuleError(
      `${where} holds gzip that does not decompress to at most ${MAX_MODULE_BYTES} bytes: ${(error as Error).message}`,
    );
  }
}

/** The module gzip-compressed, for a ConfigMap (a Go module shrinks to about a third). */
export function compressModule(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(bytes, { level: 9 }));
}
