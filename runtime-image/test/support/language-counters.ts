// The counter guest in every language guests/ builds, as Faaslets a test can point anywhere:
// same exports (add, multiply, get), same state key, so on one namespace they share one total.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleFaasletsYaml } from './sample-faaslets.js';

export interface LanguageCounter {
  language: string;
  /** The Faaslet of its committed sample (under crds/samples). */
  faaslet: string;
  sample: string;
}

export const LANGUAGE_COUNTERS: LanguageCounter[] = [
  { language: 'AssemblyScript', faaslet: 'counter', sample: 'counter.yaml' },
  { language: 'Go', faaslet: 'counter-go', sample: '../languages/counter-go.yaml' },
  { language: 'C', faaslet: 'counter-c', sample: '../languages/counter-c.yaml' },
  { language: 'Rust', faaslet: 'counter-rust', sample: '../languages/counter-rust.yaml' },
];

/**
 * A folder with one Faaslet per language, each of the module its sample holds, all on
 * `namespace` with `durability`: one file per language, as a user would keep them.
 */
export async function languageCountersOn(
  namespace: string,
  durability: 'local' | 'global',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'glass-languages-'));
  for (const counter of LANGUAGE_COUNTERS) {
    const yaml = await sampleFaasletsYaml(counter.sample, [
      { name: counter.faaslet, namespace, durability },
    ]);
    await writeFile(join(dir, `${counter.faaslet}.yaml`), yaml);
  }
  return dir;
}
