// Step 7: the README's `kubectl scale glasscluster/glass --replicas=3`, under steady load on
// per-user local carts. The operator passes the count on to the runtime Deployment (ADR 0130);
// the new pod turns ready, joins the router's ring and is handed the carts it now owns by their
// previous owners (ADR 0103). Then `--replicas=2`: the pod that goes hands its carts on before
// it exits. Every acknowledged add must be in the carts, and no call with an Idempotency-Key
// may fail. `kubectl get glasscluster` must show the count wanted, made and ready.
import { applesInCarts, cartLoad, checkEveryAddKept } from './cart-load.js';
import type { Cluster } from './cluster.js';
import type { ClusterView, PodView } from './cluster-view.js';
import type { IncrementLoad, LoadResult } from './increment-load.js';
import { CLUSTER, RUNTIME_REPLICAS } from './install-glass.js';
import { onRing, ringOf } from './ring.js';
import { check, waitFor } from './wait.js';

const SCALED = RUNTIME_REPLICAS + 1;

type ScaleUp = Pick<ClusterScale, 'added' | 'upReadyMs' | 'upRingMs' | 'table'>;
type ScaleDown = Pick<ClusterScale, 'removed' | 'downMs'>;

export interface ClusterScale {
  /** The pod the scale-up added, and the one the scale-down removed. */
  added: string;
  removed: string;
  /** From `kubectl scale --replicas=3` to 3 runtime pods ready, and to all 3 healthy on the ring. */
  upReadyMs: number;
  upRingMs: number;
  /** From `kubectl scale --replicas=2` to one pod gone (not just terminating) and 2 on the ring. */
  downMs: number;
  /** `kubectl get glasscluster` at 3 pods: the header and the row. */
  table: string;
  load: LoadResult;
  /** Apples added to the carts meanwhile: must equal the acknowledged adds. */
  apples: number;
}

/** The README's line, as a user types it: the kubeconfig's namespace, no flags. */
async function scaleTo(cluster: Cluster, replicas: number): Promise<void> {
  const out = await cluster.kubectlOk([
    'scale',
    `glasscluster/${CLUSTER}`,
    `--replicas=${replicas}`,
  ]);
  check(out.trim() === `glasscluster.glass.dev/${CLUSTER} scaled`, `kubectl scale said: ${out}`);
}

/** Waits until exactly `count` runtime pods exist, every one ready, and returns them. */
function podsSettleAt(view: ClusterView, count: number, timeoutMs: number): Promise<PodView[]> {
  return waitFor(`exactly ${count} runtime pods, all ready`, timeoutMs, async () => {
    const pods = await view.pods('runtime');
    return pods.length === count && pods.every((p) => p.ready) ? pods : undefined;
  });
}

/** Waits until the router's ring holds exactly `pods`, each healthy. */
async function ringHolds(view: ClusterView, routerUrl: string, pods: PodView[]): Promise<void> {
  const token = await view.adminToken(CLUSTER);
  await waitFor(
    `the router's ring to hold ${pods.map((p) => p.name).join(', ')}, healthy`,
    60_000,
    async () => {
      const ring = await ringOf(routerUrl, token);
      const healthy = pods.every((pod) => onRing(ring, pod)?.healthy === true);
      return ring.length === pods.length && healthy ? true : undefined;
    },
  );
}

/** `kubectl get glasscluster`, once its columns say `count` wanted, made and ready. */
async function tableAt(cluster: Cluster, count: number): Promise<string> {
  return waitFor(
    `kubectl get glasscluster to show ${count} ${count} ${count}`,
    30_000,
    async () => {
      const out = await cluster.kubectlOk(['get', 'glasscluster', CLUSTER]);
      const [header, row] = out
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/));
      const column = (name: string): string | undefined => row?.[header?.indexOf(name) ?? -1];
      const counts = ['REPLICAS', 'CURRENT', 'READY-PODS'].map(column);
      return counts.every((c) => c === String(count)) ? out.trim() : undefined;
    },
  );
}

/** An HPA finds the pods by the selector in /scale: it must select exactly the runtime pods. */
async function checkSelector(cluster: Cluster, pods: PodView[]): Promise<void> {
  const selector = await cluster.kubectlOk([
    'get',
    'glasscluster',
    CLUSTER,
    '-o',
    'jsonpath={.status.selector}',
  ]);
  const selected = await cluster.kubectlOk(['get', 'pods', '-l', selector, '-o', 'name']);
  const names = selected
    .trim()
    .split('\n')
    .map((n) => n.replace(/^pod\//, ''))
    .sort();
  check(
    JSON.stringify(names) === JSON.stringify(pods.map((p) => p.name).sort()),
    `status.selector ${selector} selects the runtime pods: ${names.join(', ')}`,
  );
}

/** Waits until the load has had `count` more adds acknowledged (by `pod`, when given). */
function moreAdds(load: IncrementLoad, count: number, pod?: string): Promise<true> {
  const answered = (): number => (pod === undefined ? load.acknowledged : load.answeredBy(pod));
  const target = answered() + count;
  return waitFor(`${count} more adds acknowledged${pod ? ` by ${pod}` : ''}`, 60_000, () =>
    Promise.resolve(answered() >= target ? true : undefined),
  );
}

async function scaleUp(
  cluster: Cluster,
  view: ClusterView,
  routerUrl: string,
  load: IncrementLoad,
): Promise<ScaleUp> {
  const before = new Set((await view.pods('runtime')).map((p) => p.name));
  const started = performance.now();
  await scaleTo(cluster, SCALED);
  const pods = await podsSettleAt(view, SCALED, 180_000);
  const upReadyMs = performance.now() - started;
  await ringHolds(view, routerUrl, pods);
  const upRingMs = performance.now() - started;
  const added = pods.find((p) => !before.has(p.name))?.name ?? '';
  check(added !== '', `a new runtime pod among ${pods.map((p) => p.name).join(', ')}`);
  // The new pod serves carts it was handed: it owns about a third of them now.
  await moreAdds(load, 20, added);
  await checkSelector(cluster, pods);
  return { added, upReadyMs, upRingMs, table: await tableAt(cluster, SCALED) };
}

async function scaleDown(
  cluster: Cluster,
  view: ClusterView,
  routerUrl: string,
): Promise<ScaleDown> {
  const before = (await view.pods('runtime')).map((p) => p.name);
  const started = performance.now();
  await scaleTo(cluster, RUNTIME_REPLICAS);
  const pods = await podsSettleAt(view, RUNTIME_REPLICAS, 120_000);
  await ringHolds(view, routerUrl, pods);
  const removed = before.find((name) => !pods.some((p) => p.name === name)) ?? '';
  return { removed, downMs: performance.now() - started };
}

export async function scaleCluster(
  cluster: Cluster,
  view: ClusterView,
  routerUrl: string,
): Promise<ClusterScale> {
  const before = await applesInCarts(routerUrl);
  const load = cartLoad(routerUrl);
  load.start();
  let result: LoadResult;
  let up: ScaleUp;
  let down: ScaleDown;
  try {
    await moreAdds(load, 50); // steady before the first change
    up = await scaleUp(cluster, view, routerUrl, load);
    down = await scaleDown(cluster, view, routerUrl);
    await moreAdds(load, 50); // and after the last
  } finally {
    result = await load.stop();
  }
  const apples = (await applesInCarts(routerUrl)) - before;
  checkEveryAddKept(result, apples, 'the scale to 3 and back to 2');
  return { ...up, ...down, load: result, apples };
}
