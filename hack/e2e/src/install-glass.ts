// Steps 1-2: the README's `helm install glass charts/glass --set image.repository=...`, verbatim
// apart from the image value (the image `make image` built, loaded into the node), then the
// operator pod builds the runtime and router Deployments and the kubelet runs their pods.
// `enableRedis` is the later `helm upgrade` that gives the cluster the chart's Redis for the
// global-durability steps.
import type { Cluster } from './cluster.js';
import type { ClusterView, PodView } from './cluster-view.js';
import { waitFor } from './wait.js';

export const RELEASE = 'glass';
export const CLUSTER = 'glass';
/** The chart's default GlassCluster runs this many runtime pods. */
export const RUNTIME_REPLICAS = 2;
export const GLASS_IMAGE = { repository: 'localhost/glass', tag: 'dev' };
export const REDIS_IMAGE = { repository: 'localhost/glass-redis', tag: 'dev' };

export interface Installed {
  /** The router Service's ClusterIP, port 80, reached through kube-proxy from the node. */
  routerUrl: string;
  runtimePods: PodView[];
  /** From the start of `helm install` (or upgrade) to a Ready GlassCluster with every pod ready. */
  readyMs: number;
}

/** The README's line, with our image. */
export const HELM_INSTALL = [
  'install',
  RELEASE,
  'charts/glass',
  '--set',
  `image.repository=${GLASS_IMAGE.repository},image.tag=${GLASS_IMAGE.tag}`,
];

async function clusterReady(
  cluster: Cluster,
  view: ClusterView,
  started: number,
  unlike: readonly PodView[] = [],
): Promise<Installed> {
  await waitFor('the operator pod to be ready', 120_000, async () =>
    (await view.readyPods('operator')).length === 1 ? true : undefined,
  );
  await waitFor(`GlassCluster ${CLUSTER} to be Ready`, 180_000, async () => {
    const { ready, message } = await view.readiness('glassclusters', CLUSTER);
    if (!ready) throw new Error(`GlassCluster ${CLUSTER} not Ready: ${message}`);
    return true;
  });
  const old = new Set(unlike.map((p) => p.name));
  const runtimePods = await waitFor(
    `${RUNTIME_REPLICAS} ready runtime pods${old.size > 0 ? ' of the new template' : ''}`,
    180_000,
    async () => {
      const all = await view.pods('runtime');
      const ready = all.filter((p) => p.ready && !old.has(p.name));
      return ready.length === RUNTIME_REPLICAS && all.length === RUNTIME_REPLICAS
        ? ready
        : undefined;
    },
  );
  await waitFor('a ready router pod', 60_000, async () => (await view.readyPods('router'))[0]);
  const ip = await cluster.kubectlOk([
    'get',
    'service',
    `${CLUSTER}-router`,
    '-n',
    view.namespace,
    '-o',
    'jsonpath={.spec.clusterIP}',
  ]);
  return { routerUrl: `http://${ip}:80`, runtimePods, readyMs: performance.now() - started };
}

export async function installGlass(
  cluster: Cluster,
  view: ClusterView,
  repoRoot: string,
): Promise<Installed> {
  const started = performance.now();
  await cluster.helmOk([...HELM_INSTALL, '--namespace', view.namespace], repoRoot);
  return clusterReady(cluster, view, started);
}

/** `helm upgrade --reuse-values` with the chart's Redis (a locally built image). */
export async function enableRedis(
  cluster: Cluster,
  view: ClusterView,
  repoRoot: string,
): Promise<Installed> {
  const before = await view.pods('runtime');
  const started = performance.now();
  const values = [
    'redis.enabled=true',
    `redis.image.repository=${REDIS_IMAGE.repository}`,
    `redis.image.tag=${REDIS_IMAGE.tag}`,
  ];
  await cluster.helmOk(
    [
      'upgrade',
      RELEASE,
      'charts/glass',
      '--namespace',
      view.namespace,
      '--reuse-values',
      '--set',
      values.join(','),
    ],
    repoRoot,
  );
  return clusterReady(cluster, view, started, before);
}
