// Step 6: `kubectl rollout restart` of the runtime Deployment under steady load on per-user
// carts, whose namespaces (`cart-{user}`) are `local`: every pod is replaced, one at a time, and
// each hands its carts to their new owners before it exits (ADR 0103). Every acknowledged add
// must be in the carts afterwards, and no call with an Idempotency-Key may fail.
import { applesInCarts, cartLoad, checkEveryAddKept } from './cart-load.js';
import type { Cluster } from './cluster.js';
import type { LoadResult } from './increment-load.js';
import { CLUSTER } from './install-glass.js';

export interface RollingRestart {
  rolloutMs: number;
  load: LoadResult;
  /** Apples in all the carts afterwards: must equal the acknowledged adds. */
  apples: number;
}

export async function rollingRestart(
  plane: Cluster,
  routerUrl: string,
  namespace: string,
): Promise<RollingRestart> {
  const before = await applesInCarts(routerUrl);
  const load = cartLoad(routerUrl);
  load.start();
  const started = performance.now();
  let result: LoadResult;
  try {
    const deployment = `deployment/${CLUSTER}-runtime`;
    await plane.kubectlOk(['rollout', 'restart', '-n', namespace, deployment]);
    await plane.kubectlOk(['rollout', 'status', '-n', namespace, deployment, '--timeout=180s']);
  } finally {
    result = await load.stop();
  }
  const rolloutMs = performance.now() - started;
  const apples = (await applesInCarts(routerUrl)) - before;
  checkEveryAddKept(result, apples, 'the rollout');
  return { rolloutMs, load: result, apples };
}
