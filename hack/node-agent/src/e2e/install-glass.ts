// Step 1-2: `helm install glass charts/glass`, as a user would, with the image the agent runs
// and the e2e's Redis as the cluster's state; then the operator pod (run by the agent) builds
// the runtime and router Deployments, and the agent runs their pods.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterView, PodView } from './cluster-view.js';
import type { ControlPlane } from './control-plane.js';
import { waitFor } from './wait.js';

export const RELEASE = 'glass';
export const CLUSTER = 'glass';
export const RUNTIME_REPLICAS = 3;

export interface Installed {
  routerUrl: string;
  runtimePods: PodView[];
  /** From the start of `helm install` to a Ready GlassCluster with every pod ready, in ms. */
  readyMs: number;
}

async function writeValues(dir: string, redisUrl: string): Promise<string> {
  const values = {
    image: { repository: 'glass', tag: 'e2e' },
    operator: { logLevel: 'info' },
    cluster: { name: CLUSTER, replicas: RUNTIME_REPLICAS, state: { redis: { url: redisUrl } } },
  };
  const file = join(dir, 'values.json');
  await writeFile(file, JSON.stringify(values, null, 2));
  return file;
}

export async function installGlass(
  plane: ControlPlane,
  view: ClusterView,
  options: { repoRoot: string; workDir: string; redisUrl: string },
): Promise<Installed> {
  const started = performance.now();
  const values = await writeValues(options.workDir, options.redisUrl);
  const chart = join(options.repoRoot, 'charts', 'glass');
  await plane.helmOk([
    'install',
    RELEASE,
    chart,
    '--namespace',
    view.namespace,
    '--create-namespace',
    '--values',
    values,
  ]);
  await waitFor('the operator pod to be ready', 90_000, async () =>
    (await view.readyPods('operator')).length === 1 ? true : undefined,
  );
  await waitFor(`GlassCluster ${CLUSTER} to be Ready`, 120_000, async () => {
    const { ready, message } = await view.readiness('glassclusters', CLUSTER);
    if (!ready) throw new Error(`GlassCluster ${CLUSTER} not Ready: ${message}`);
    return true;
  });
  const runtimePods = await waitFor(`${RUNTIME_REPLICAS} ready runtime pods`, 60_000, async () => {
    const ready = await view.readyPods('runtime');
    return ready.length === RUNTIME_REPLICAS ? ready : undefined;
  });
  const router = await waitFor(
    'a ready router pod',
    60_000,
    async () => (await view.readyPods('router'))[0],
  );
  return {
    routerUrl: `http://${router.ip ?? ''}:8080`,
    runtimePods,
    readyMs: performance.now() - started,
  };
}
