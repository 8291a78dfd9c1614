import { fileURLToPath } from 'node:url';

/** The repository (or image) root: this file is at runtime-image/dist/src/paths.js. */
const ROOT = new URL('../../../', import.meta.url);

/** The sample Faaslets a user would `kubectl apply`, served by `glass up` and the demo. */
export const SAMPLES_DIR = fileURLToPath(new URL('crds/samples/', ROOT));
