// Steady load on per-user carts (`cart-{user}`, `durability: local`: one copy each, in its
// owner's memory), for the steps that change the runtime pods under it. Each add has its own
// Idempotency-Key and is retried with it until acknowledged; afterwards every acknowledged add
// must be in the carts, and no attempt may have failed.
import { call, describeAnswer } from './http.js';
import { IncrementLoad, LOAD_USERS, loadUser, type LoadResult } from './increment-load.js';
import { check } from './wait.js';

async function applesIn(routerUrl: string, user: string): Promise<number> {
  const answer = await call(`${routerUrl}/invoke/cart/list`, {
    method: 'POST',
    headers: { 'X-User-ID': user },
  });
  check(answer.status === 200, describeAnswer(`cart list of ${user}`, answer));
  return (JSON.parse(answer.text) as { apple?: number }).apple ?? 0;
}

/** Apples in the carts of every user the load spreads over. */
export async function applesInCarts(routerUrl: string): Promise<number> {
  let apples = 0;
  for (let u = 0; u < LOAD_USERS; u++) apples += await applesIn(routerUrl, loadUser(u));
  return apples;
}

/** Adds of an apple to the carts, from 4 workers; `start()` it. */
export function cartLoad(routerUrl: string): IncrementLoad {
  return new IncrementLoad({
    url: `${routerUrl}/invoke/cart/add_item`,
    body: 'apple',
    workers: 4,
    pauseMs: 5,
    keyDeadlineMs: 30_000,
  });
}

/** Every acknowledged add is in the carts (`apples` more than before) and no attempt failed. */
export function checkEveryAddKept(result: LoadResult, apples: number, during: string): void {
  check(result.acknowledged > 0, `the load got answers during ${during}`);
  check(
    apples === result.acknowledged,
    `every acknowledged add is in the carts: ${result.acknowledged} acknowledged, ${apples} in the carts`,
  );
  check(
    result.unacknowledged === 0 && result.failedAttempts === 0,
    `no call with an Idempotency-Key failed during ${during}: ${result.failedAttempts} failed attempts, ${result.unacknowledged} never acknowledged (${result.failureSamples.join('; ')})`,
  );
}
