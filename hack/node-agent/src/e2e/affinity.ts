// Step 4: session affinity through the router. One X-User-ID always reaches the same runtime
// pod (its local counter then counts up by one per call, unbroken); many users spread over pods.
import type { PodView } from './cluster-view.js';
import { call, describeAnswer } from './http.js';
import { check } from './wait.js';

const SAME_USER_CALLS = 20;
const USERS = 40;

export interface Affinity {
  /** The pod that answered every call of the one user. */
  pod: string;
  /** Calls per pod, over one call each of many users. */
  spread: Record<string, number>;
}

export async function checkAffinity(routerUrl: string, runtimePods: PodView[]): Promise<Affinity> {
  const names = new Set(runtimePods.map((p) => p.name));
  const answeredBy = new Set<string>();
  let previous: number | undefined;
  for (let i = 0; i < SAME_USER_CALLS; i++) {
    const answer = await call(`${routerUrl}/invoke/counter/add?value=1`, {
      method: 'POST',
      headers: { 'X-User-ID': 'affinity' },
    });
    check(answer.status === 200, describeAnswer('counter add for user affinity', answer));
    check(
      answer.pod !== undefined && names.has(answer.pod),
      `X-Glass-Pod names a runtime pod (${[...names].join(', ')}), got "${answer.pod ?? ''}"`,
    );
    answeredBy.add(answer.pod);
    const value = Number(answer.text);
    check(
      previous === undefined || value === previous + 1,
      `user affinity's counter counts up by one: ${String(previous)} then ${answer.text}`,
    );
    previous = value;
  }
  check(
    answeredBy.size === 1,
    `one user, one pod: ${SAME_USER_CALLS} calls were answered by ${[...answeredBy].join(', ')}`,
  );
  const spread: Record<string, number> = {};
  for (let u = 0; u < USERS; u++) {
    const answer = await call(`${routerUrl}/invoke/counter/get`, {
      method: 'POST',
      headers: { 'X-User-ID': `user-${u}` },
    });
    check(
      answer.status === 200 && answer.pod !== undefined,
      describeAnswer(`counter get for user-${u}`, answer),
    );
    spread[answer.pod] = (spread[answer.pod] ?? 0) + 1;
  }
  check(
    Object.keys(spread).length > 1,
    `${USERS} users spread over more than one pod: ${JSON.stringify(spread)}`,
  );
  return { pod: [...answeredBy][0] ?? '', spread };
}
