// Local mode: a Faaslet's module read from a file named relative to its YAML (ADR 0122).
// Only when the caller says which directory the YAML is in; Kubernetes mode never does, so a
// pod never reads a file a Faaslet names (the API server refuses such Faaslets anyway).
import { readFile, stat } from 'node:fs/promises';
import { MODULE_FILE_LOCAL_ONLY } from '@glass/crds';
import { isAbsolute, relative, resolve } from 'node:path';
import { moduleFromStored, MAX_MODULE_BYTES } from './gzip-module.js';
import { InvalidModuleError } from './compile-faaslet.js';
import { ModuleNotFoundError } from './module-errors.js';

/** The module at `file` under `yamlDir`: a path that leaves the directory is refused. */
export async function readModuleFile(
  file: string,
  yamlDir: string | undefined,
): Promise<Uint8Array> {
  if (yamlDir === undefined) {
    throw new InvalidModuleError(`spec.module.${MODULE_FILE_LOCAL_ONLY}`);
  }
  const path = resolve(yamlDir, file);
  const inside = relative(yamlDir, path);
  // The schema refuses such paths already; this holds for callers that skip it.
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new InvalidModuleError(`spec.module.file ${file} is not beside or below its YAML`);
  }
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ModuleNotFoundError(
      `spec.module.file ${file}: no such file beside its YAML (${path})`,
    );
  }
  if (size > MAX_MODULE_BYTES) {
    throw new InvalidModuleError(
      `spec.module.file ${file} is ${size} bytes, over the ${MAX_MODULE_BYTES} a module may have`,
    );
  }
  // A .wasm.gz is fine too, as in a ConfigMap (ADR 0091).
  return moduleFromStored(new Uint8Array(await readFile(path)), `spec.module.file ${file}`);
}
