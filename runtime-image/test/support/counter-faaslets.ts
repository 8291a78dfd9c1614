// Faaslets of the counter guest with names and namespaces of a test's choosing.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLES } from './runtime-server.js';

export interface CounterFaaslet {
  name: string;
  namespace: string;
  durability?: 'local' | 'global';
}

/** A folder with the counter module and one Faaslet of it per entry. */
export async function counterFaaslets(faaslets: CounterFaaslet[]): Promise<string> {
  const sample = await readFile(join(SAMPLES, 'counter.yaml'), 'utf8');
  const configMap = sample.split(/^---$/m)[0] ?? '';
  const documents = faaslets.map(
    (f) => `apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: ${f.name}}
spec:
  module: {configMapRef: {name: counter-module, key: module.wasm}}
  limits: {maxConcurrency: 1000}
  state: {namespace: ${f.namespace}, durability: ${f.durability ?? 'local'}}
`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'glass-counters-'));
  await writeFile(join(dir, 'faaslets.yaml'), [configMap, ...documents].join('---\n'));
  return dir;
}
