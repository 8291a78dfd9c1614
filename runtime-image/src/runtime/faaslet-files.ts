import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests, type ConfigMap, type Faaslet, type ManifestProblem } from '@glass/crds';

export interface FaasletManifests {
  faaslets: { faaslet: Faaslet; source: string }[];
  configMaps: Map<string, ConfigMap>;
  problems: ManifestProblem[];
}

async function yamlFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .filter((e) => e.isDirectory() || /\.ya?ml$/.test(e.name))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => yamlFiles(join(path, e.name))),
  );
  return nested.flat();
}

/**
 * Reads the Faaslets and ConfigMaps in YAML files and folders (recursively): the same files
 * a user would `kubectl apply -f`. A bad document becomes a problem; the rest still load.
 */
export async function readFaasletManifests(paths: string[]): Promise<FaasletManifests> {
  const result: FaasletManifests = { faaslets: [], configMaps: new Map(), problems: [] };
  for (const root of paths) {
    let files: string[];
    try {
      files = await yamlFiles(root);
    } catch (error) {
      result.problems.push({
        source: root,
        document: 0,
        name: undefined,
        message: (error as Error).message,
      });
      continue;
    }
    for (const file of files) {
      const parsed = parseManifests(await readFile(file, 'utf8'), file);
      result.problems.push(...parsed.problems);
      for (const manifest of parsed.manifests) {
        if (manifest.kind === 'ConfigMap')
          result.configMaps.set(manifest.object.metadata.name, manifest.object);
        if (manifest.kind === 'Faaslet')
          result.faaslets.push({ faaslet: manifest.object, source: file });
      }
    }
  }
  return result;
}
