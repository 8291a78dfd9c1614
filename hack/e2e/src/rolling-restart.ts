// Step 6: `kubectl rollout restart` of the runtime Deployment under steady load on per-user
// carts, whose namespaces (`cart-{user}`) are `local`: every pod is replaced, one at a time, and
// each hands its carts to their new owners before it exits (ADR 0103). Every acknowledged add
// must be in the carts afterwards, and no call with an Idempotency-Key may fail.
import type { Cluster } from './cluster.js';
import { call, describeAnswer } from './http.js';
import { IncrementLoad, LOAD_USERS, loadUser, type LoadResult } from './increment-load.js';
import { CLUSTER } from './install-glass.js';
import { check } from './wait.js';

export interface RollingRestart {
  rolloutMs: number;
  load: LoadResult;
  /** Apples in all the carts afterwards: must equal the acknowledged adds. */
  apples: number;
}

async function applesIn(routerUrl: string, user: string): Promise<number> {
  const answer = await call(`${routerUrl}/invoke/cart/list`, {
    method: 'POST',
    headers: { 'X-User-ID': user },
  });
  check(answer.status === 200, describeAnswer(`cart list of ${user}`, answer));
  return (JSON.parse(answer.text) as { apple?: number }).apple ?? 0;
}

export async function rollingRestart(
  plane: Cluster,
  routerUrl: string,
  namespace: string,
): Promise<RollingRestart> {
  let before = 0;
  for (let u = 0; u < LOAD_USERS; u++) before += await applesIn(routerUrl, loadUser(u));
  const load = new IncrementLoad({
    url: `${routerUrl}/invoke/cart/add_item`,
    body: 'apple',
    workers: 4,
    pauseMs: 5,
    keyDeadlineMs: 30_000,
  });
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
  let apples = -before;
  for (let u = 0; u < LOAD_USERS; u++) apples += await applesIn(routerUrl, loadUser(u));
  check(result.acknowledged > 0, 'the load got answers during the rollout');
  check(
    apples === result.acknowledged,
    `every acknowledged add is in the carts: ${result.acknowledged} acknowledged, ${apples} in the carts`,
  );
  check(
    result.unacknowledged === 0 && result.failedAttempts === 0,
    `no call with an Idempotency-Key failed during the rollout: ${result.failedAttempts} failed attempts, ${result.unacknowledged} never acknowledged (${result.failureSamples.join('; ')})`,
  );
  return { rolloutMs, load: result, apples };
}
