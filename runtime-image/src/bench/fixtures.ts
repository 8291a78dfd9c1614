// What the runtime benchmarks measure with: guest binaries, sample YAML and Faaslet objects.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { API_VERSION, FAASLET_KIND, Faaslet } from '@glass/crds';

/** The repository root: this file runs from runtime-image/dist/src/bench/. */
const ROOT = new URL('../../../../', import.meta.url);

export function repoPath(relative: string): string {
  return fileURLToPath(new URL(relative, ROOT));
}

/** A guest built by `npm run build --workspace guests`, e.g. `counter` or `big`. */
export function guestBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(repoPath(`guests/build/${name}.wasm`)));
}

/** A Faaslet as a user would apply it, with the schema's defaults filled in. */
export function faaslet(name: string, limits: { maxInstances?: number } = {}): Faaslet {
  return Faaslet.parse({
    apiVersion: API_VERSION,
    kind: FAASLET_KIND,
    metadata: { name },
    spec: { module: { configMapRef: { name: `${name}-module`, key: 'module.wasm' } }, limits },
  });
}

function leb128(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return out;
}

/**
 * The same module with a custom section appended that holds `nonce`: identical code, but
 * different bytes, so no cache keyed by the bytes (V8's in-process native-module cache, a
 * digest-keyed module cache) can have seen it.
 */
export function withNonce(bytes: Uint8Array, nonce: string): Uint8Array {
  const name = new TextEncoder().encode('glass-bench-nonce');
  const payload = new TextEncoder().encode(nonce);
  const content = [...leb128(name.length), ...name, ...payload];
  return new Uint8Array([...bytes, 0, ...leb128(content.length), ...content]);
}
