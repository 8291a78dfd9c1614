import { encodeU32 } from './leb128.js';
import type { MemoryLimits, ModuleInfo } from './module-info.js';

export const WASM_PAGE_BYTES = 65536;

/**
 * Returns a copy of the module whose own memory may grow to at most `maxPages`, so that a
 * `memory.grow` bomb meets -1 at the Faaslet's limit instead of at V8's 4 GiB. Rewriting
 * the limits in the binary costs nothing per instance, unlike wrapping each instance.
 */
export function capModuleMemory(bytes: Uint8Array, info: ModuleInfo, maxPages: number): Uint8Array {
  const memory = info.memory;
  if (!memory) return bytes;
  if (memory.minPages > maxPages) {
    throw new Error(
      `module needs ${memory.minPages} pages of memory at start, over the limit of ${maxPages} pages`,
    );
  }
  const cap = memory.maxPages === undefined ? maxPages : Math.min(memory.maxPages, maxPages);
  return rewriteLimits(bytes, memory, cap);
}

function rewriteLimits(bytes: Uint8Array, memory: MemoryLimits, maxPages: number): Uint8Array {
  const replacement = [0x01, ...encodeU32(memory.minPages), ...encodeU32(maxPages)];
  const delta = replacement.length - (memory.end - memory.start);
  // The memory section's size prefix changes with the limits; find and re-encode it.
  const sectionStart = findSectionStart(bytes, 5);
  const sizeReader = readU32At(bytes, sectionStart + 1);
  const newSize = encodeU32(sizeReader.value + delta);
  const out = new Uint8Array(bytes.length + delta + newSize.length - sizeReader.length);
  let at = 0;
  const put = (chunk: ArrayLike<number>): void => {
    out.set(chunk, at);
    at += chunk.length;
  };
  put(bytes.subarray(0, sectionStart + 1));
  put(newSize);
  put(bytes.subarray(sectionStart + 1 + sizeReader.length, memory.start));
  put(replacement);
  put(bytes.subarray(memory.end));
  return out;
}

function readU32At(bytes: Uint8Array, offset: number): { value: number; length: number } {
  let value = 0;
  let length = 0;
  for (;;) {
    const b = bytes[offset + length] ?? 0;
    value += (b & 0x7f) * 2 ** (7 * length);
    length++;
    if ((b & 0x80) === 0) return { value, length };
  }
}

function findSectionStart(bytes: Uint8Array, wantedId: number): number {
  let offset = 8;
  while (offset < bytes.length) {
    const id = bytes[offset] ?? -1;
    const size = readU32At(bytes, offset + 1);
    if (id === wantedId) return offset;
    offset += 1 + size.length + size.value;
  }
  throw new Error(`section ${wantedId} not found`);
}
