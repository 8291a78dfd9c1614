// Local mode: the router's Faaslet catalog from the same YAML files the runtimes serve,
// checked with the runtime's own compile code, so the router and the pods see the same
// exports and namespaces.
import { dirname } from 'node:path';
import { compileFaaslet } from '../runtime/compile-faaslet.js';
import { readFaasletManifests } from '../runtime/faaslet-files.js';
import { resolveModuleBytes } from '../runtime/module-bytes.js';
import type { PlacedFaaslet } from './faaslet-catalog.js';

/** The Faaslets of `paths` that load; the runtimes report the others. */
export async function catalogFromFiles(paths: string[]): Promise<PlacedFaaslet[]> {
  const manifests = await readFaasletManifests(paths);
  const placed: PlacedFaaslet[] = [];
  for (const { faaslet, source } of manifests.faaslets) {
    try {
      const definition = await compileFaaslet(
        faaslet,
        await resolveModuleBytes(faaslet, manifests.configMaps, undefined, dirname(source)),
      );
      placed.push({
        name: definition.name,
        exports: definition.exports.map((e) => e.name),
        namespace: definition.namespace,
        touchesState: definition.touchesState,
      });
    } catch {
      // A Faaslet the runtimes refuse too: they say why; its calls answer 404.
    }
  }
  return placed;
}
