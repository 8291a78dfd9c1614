// Faaslets of one sample module with names, namespaces and durabilities of a test's choosing.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLES } from './runtime-server.js';

export interface SampleFaaslet {
  name: string;
  namespace: string;
  durability?: 'local' | 'global';
}

/**
 * The ConfigMap of `crds/samples/<sample>` and one Faaslet of its module per entry, as YAML
 * text. The key is read from the ConfigMap: large modules are under `module.wasm.gz`.
 */
export async function sampleFaasletsYaml(
  sample: string,
  faaslets: SampleFaaslet[],
): Promise<string> {
  const text = await readFile(join(SAMPLES, sample), 'utf8');
  const configMap = text.split(/^---$/m)[0] ?? '';
  const moduleName = /^metadata: \{name: ([^}]+)\}$/m.exec(configMap)?.[1];
  const key = /^binaryData:\n {2}([^:]+):/m.exec(configMap)?.[1];
  if (!moduleName || !key) throw new Error(`${sample} starts with no ConfigMap of a module`);
  const documents = faaslets.map(
    (f) => `apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: ${f.name}}
spec:
  module: {configMapRef: {name: ${moduleName}, key: ${key}}}
  limits: {maxConcurrency: 1000}
  state: {namespace: ${f.namespace}, durability: ${f.durability ?? 'local'}}
`,
  );
  return [configMap, ...documents].join('---\n');
}

/** A folder with the module of `crds/samples/<sample>` and one Faaslet of it per entry. */
export async function sampleFaaslets(sample: string, faaslets: SampleFaaslet[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'glass-faaslets-'));
  await writeFile(join(dir, 'faaslets.yaml'), await sampleFaasletsYaml(sample, faaslets));
  return dir;
}
