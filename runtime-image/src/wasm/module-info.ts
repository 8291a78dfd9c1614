import { ByteReader } from './leb128.js';

/** Wasm value types as they appear in signatures. */
export type ValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'ref';

export interface FuncType {
  params: ValueType[];
  results: ValueType[];
}

export interface MemoryLimits {
  minPages: number;
  maxPages: number | undefined;
  /** Where the limits sit in the binary, so the host can rewrite the maximum. */
  start: number;
  end: number;
}

export interface ImportInfo {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  type: FuncType | undefined;
  memory: MemoryLimits | undefined;
}

export interface ModuleInfo {
  imports: ImportInfo[];
  /** The module's own tables' limits (in elements), where the host rewrites their maximum. */
  tables: MemoryLimits[];
  /** Memories defined or imported: more than one could reach an uncapped one (multi-memory). */
  memoryCount: number;
  /** Exported functions with their signatures, by export name. */
  functions: Map<string, FuncType>;
  /** The module's own (not imported) memory, if it defines one. */
  memory: MemoryLimits | undefined;
  exportsMemory: boolean;
}

const VALUE_TYPES: Record<number, ValueType> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'ref',
  0x6f: 'ref',
};

const IMPORT_KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

function valueType(reader: ByteReader): ValueType {
  const code = reader.byte();
  const type = VALUE_TYPES[code];
  if (type === undefined) throw new Error(`unsupported value type 0x${code.toString(16)}`);
  return type;
}

function funcType(reader: ByteReader): FuncType {
  const form = reader.byte();
  if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`);
  const params = Array.from({ length: reader.u32() }, () => valueType(reader));
  const results = Array.from({ length: reader.u32() }, () => valueType(reader));
  return { params, results };
}

function limits(reader: ByteReader): MemoryLimits {
  const start = reader.offset;
  const flags = reader.byte();
  if (flags & ~0x01) throw new Error('shared or 64-bit memories are not supported');
  const minPages = reader.u32();
  const maxPages = flags & 0x01 ? reader.u32() : undefined;
  return { minPages, maxPages, start, end: reader.offset };
}

function tableType(reader: ByteReader): void {
  reader.byte();
  limits(reader);
}

interface ParseState {
  types: FuncType[];
  funcTypeIndexes: number[];
  info: ModuleInfo;
}

function readImports(reader: ByteReader, state: ParseState): void {
  for (let count = reader.u32(); count > 0; count--) {
    const module = reader.name();
    const name = reader.name();
    const kind = IMPORT_KINDS[reader.byte()];
    const entry: ImportInfo = {
      module,
      name,
      kind: kind ?? 'function',
      type: undefined,
      memory: undefined,
    };
    if (kind === 'function') {
      const index = reader.u32();
      entry.type = state.types[index];
      state.funcTypeIndexes.push(index);
    } else if (kind === 'memory') {
      entry.memory = limits(reader);
      state.info.memoryCount++;
    } else if (kind === 'table') tableType(reader);
    else if (kind === 'global') reader.take(2);
    else if (kind === 'tag') {
      reader.byte(); // attribute (0: exception)
      reader.u32(); // type index
    } else throw new Error('unknown import kind');
    state.info.imports.push(entry);
  }
}

function readExports(reader: ByteReader, state: ParseState): void {
  for (let count = reader.u32(); count > 0; count--) {
    const name = reader.name();
    const kind = reader.byte();
    const index = reader.u32();
    if (kind === 0x02) state.info.exportsMemory = true;
    if (kind !== 0x00) continue;
    const type = state.types[state.funcTypeIndexes[index] ?? -1];
    if (type) state.info.functions.set(name, type);
  }
}

function readSection(id: number, reader: ByteReader, state: ParseState): void {
  switch (id) {
    case 1:
      for (let count = reader.u32(); count > 0; count--) state.types.push(funcType(reader));
      return;
    case 2:
      readImports(reader, state);
      return;
    case 3:
      for (let count = reader.u32(); count > 0; count--) state.funcTypeIndexes.push(reader.u32());
      return;
    case 4:
      for (let count = reader.u32(); count > 0; count--) {
        reader.byte(); // reftype
        state.info.tables.push(limits(reader));
      }
      return;
    case 5: {
      const count = reader.u32();
      state.info.memoryCount += count;
      if (count > 0) state.info.memory = limits(reader);
      return;
    }
    case 7:
      readExports(reader, state);
      return;
  }
}

/**
 * Reads what the host needs from a module binary and V8 does not tell: export signatures
 * (no type reflection in Node 20) and the memory and table limits the host rewrites to cap
 * growth.
 * The binary must still be compiled by V8, which is what validates it.
 */
export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  const reader = new ByteReader(bytes);
  const magic = reader.take(8);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
    throw new Error('not a WebAssembly module (bad magic number)');
  }
  const state: ParseState = {
    types: [],
    funcTypeIndexes: [],
    info: {
      imports: [],
      tables: [],
      memoryCount: 0,
      functions: new Map(),
      memory: undefined,
      exportsMemory: false,
    },
  };
  while (!reader.done) {
    const id = reader.byte();
    const size = reader.u32();
    const sectionEnd = reader.offset + size;
    // One reader over the whole binary keeps offsets absolute, so limits can be rewritten.
    if (id !== 0) readSection(id, reader, state);
    reader.offset = sectionEnd;
  }
  return state.info;
}
