import { encodeU32 } from './leb128.js';
import type { MemoryLimits, ModuleInfo } from './module-info.js';

export const WASM_PAGE_BYTES = 65536;
/**
 * Elements one table may hold. A funcref is 8 bytes of V8 heap, so this caps a table at
 * under 1 MiB; compilers emit one table of a few hundred entries for indirect calls.
 */
export const MAX_TABLE_ELEMENTS = 100_000;
/** Tables one module may define (reference-types code uses a few, compilers one). */
export const MAX_TABLES = 4;

/** A module the caps refuse, with the reason. */
export class CapError extends Error {}

interface Edit {
  limits: MemoryLimits;
  max: number;
}

/**
 * Returns a copy of the module whose own memory may grow to at most `maxPages` and whose
 * tables to at most MAX_TABLE_ELEMENTS, so that a `memory.grow` or `table.grow` bomb meets -1
 * at the cap instead of at V8's limits (4 GiB, 10 M elements a table). Rewriting the limits in
 * the binary costs nothing per instance, unlike wrapping each instance. A module with more
 * than one memory (a Node with multi-memory would let it reach the second, uncapped one) or
 * more than MAX_TABLES tables is refused.
 */
export function capModuleMemory(bytes: Uint8Array, info: ModuleInfo, maxPages: number): Uint8Array {
  if (info.memoryCount > 1) {
    throw new CapError(`module has ${info.memoryCount} memories; Glass runs modules with one`);
  }
  if (info.tables.length > MAX_TABLES) {
    throw new CapError(`module has ${info.tables.length} tables, over the limit of ${MAX_TABLES}`);
  }
  const edits: Edit[] = [];
  const memory = info.memory;
  if (memory) {
    if (memory.minPages > maxPages) {
      throw new CapError(
        `module needs ${memory.minPages} pages of memory at start, over the limit of ${maxPages} pages`,
      );
    }
    edits.push({ limits: memory, max: capOf(memory, maxPages) });
  }
  for (const table of info.tables) {
    if (table.minPages > MAX_TABLE_ELEMENTS) {
      throw new CapError(
        `module needs a table of ${table.minPages} elements at start, over the limit of ${MAX_TABLE_ELEMENTS}`,
      );
    }
    edits.push({ limits: table, max: capOf(table, MAX_TABLE_ELEMENTS) });
  }
  return edits.length === 0 ? bytes : rewriteLimits(bytes, edits);
}

const capOf = (limits: MemoryLimits, cap: number): number =>
  limits.maxPages === undefined ? cap : Math.min(limits.maxPages, cap);

/** Rewrites each limits entry with its new maximum, re-encoding the size of each section touched. */
function rewriteLimits(bytes: Uint8Array, edits: Edit[]): Uint8Array {
  const parts: ArrayLike<number>[] = [bytes.subarray(0, 8)];
  let offset = 8;
  while (offset < bytes.length) {
    const id = bytes[offset] ?? -1;
    const size = readU32At(bytes, offset + 1);
    const bodyStart = offset + 1 + size.length;
    const bodyEnd = bodyStart + size.value;
    const inside = edits
      .filter((e) => e.limits.start >= bodyStart && e.limits.end <= bodyEnd)
      .sort((a, b) => a.limits.start - b.limits.start);
    if (inside.length === 0) parts.push(bytes.subarray(offset, bodyEnd));
    else {
      const body: ArrayLike<number>[] = [];
      let copied = bodyStart;
      for (const { limits, max } of inside) {
        body.push(bytes.subarray(copied, limits.start));
        body.push([0x01, ...encodeU32(limits.minPages), ...encodeU32(max)]);
        copied = limits.end;
      }
      body.push(bytes.subarray(copied, bodyEnd));
      const length = body.reduce((n, part) => n + part.length, 0);
      parts.push([id, ...encodeU32(length)], ...body);
    }
    offset = bodyEnd;
  }
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
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
