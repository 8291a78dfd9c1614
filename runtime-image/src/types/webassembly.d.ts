// The WebAssembly JS API as V8 in Node 20 provides it. @types/node 20 does not declare it
// (it arrived in @types/node 22) and the DOM lib would bring browser globals into a server,
// so the part Glass uses is declared here, following TypeScript's lib.dom.d.ts.
declare namespace WebAssembly {
  type ImportValue = ExportValue | number | bigint;
  type ExportValue = ((...args: never[]) => unknown) | Global | Memory | Table;
  type Imports = Record<string, Record<string, ImportValue | object>>;
  type Exports = Record<string, ExportValue>;
  type BufferSource = ArrayBufferView | ArrayBuffer;

  interface ModuleImportDescriptor {
    module: string;
    name: string;
    kind: 'function' | 'global' | 'memory' | 'table' | 'tag';
  }
  interface ModuleExportDescriptor {
    name: string;
    kind: 'function' | 'global' | 'memory' | 'table' | 'tag';
  }

  class Module {
    constructor(bytes: BufferSource);
    static exports(module: Module): ModuleExportDescriptor[];
    static imports(module: Module): ModuleImportDescriptor[];
  }
  class Instance {
    constructor(module: Module, importObject?: Imports);
    readonly exports: Exports;
  }
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Global {
    value: unknown;
  }
  class Table {
    readonly length: number;
  }
  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}

  function compile(bytes: BufferSource): Promise<Module>;
  function validate(bytes: BufferSource): boolean;
  function instantiate(module: Module, importObject?: Imports): Promise<Instance>;
}
