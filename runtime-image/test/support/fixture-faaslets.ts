// Faaslets of modules built from guests/fixtures that have no sample in crds/samples: the
// module goes inline, so a test can serve a hostile guest without it reaching `glass up`.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './runtime-server.js';

export interface FixtureFaaslet {
  /** The Faaslet's name; also its module's guests/build name unless `module` says otherwise. */
  name: string;
  module?: string;
  /** Extra `spec.limits` fields as YAML flow text, e.g. `timeout: 1s`. */
  limits?: string;
  /** Extra `spec` lines as YAML, indented by two spaces. */
  spec?: string;
}

/** A folder with one YAML file holding a Faaslet per entry, each module inline. */
export async function fixtureFaaslets(faaslets: FixtureFaaslet[]): Promise<string> {
  const documents = await Promise.all(
    faaslets.map(async (f) => {
      const bytes = await readFile(`${REPO_ROOT}guests/build/${f.module ?? f.name}.wasm`);
      return `apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: ${f.name}}
spec:
  module: {inline: ${bytes.toString('base64')}}
  limits: {${f.limits ?? ''}}
${f.spec ?? ''}`;
    }),
  );
  const dir = await mkdtemp(join(tmpdir(), 'glass-fixtures-'));
  await writeFile(join(dir, 'fixtures.yaml'), documents.join('\n---\n'));
  return dir;
}
