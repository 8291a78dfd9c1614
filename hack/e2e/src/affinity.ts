// Step 4: placement through the router (ADR 0101). Every call on the `counter` namespace, from
// any user, reaches its one owner pod (the local counter counts up by one per call, unbroken);
// calls that touch no state spread over the pods by X-User-ID.
import type { PodView } from './cluster-view.js';
import { call, describeAnswer } from './http.js';
import { check } from './wait.js';

const SAME_USER_CALLS = 20;
const USERS = 40;

export interface Affinity {
  /** The pod that answered every call on the one namespace. */
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
      headers: { 'X-User-ID': `counting-${i}` },
    });
    check(answer.status === 200, describeAnswer('counter add from one more user', answer));
    check(
      answer.pod !== undefined && names.has(answer.pod),
      `X-Glass-Pod names a runtime pod (${[...names].join(', ')}), got "${answer.pod ?? ''}"`,
    );
    answeredBy.add(answer.pod);
    const value = Number(answer.text);
    check(
      previous === undefined || value === previous + 1,
      `the one counter counts up by one whoever calls: ${String(previous)} then ${answer.text}`,
    );
    previous = value;
  }
  check(
    answeredBy.size === 1,
    `one namespace, one pod: ${SAME_USER_CALLS} calls were answered by ${[...answeredBy].join(', ')}`,
  );
  const spread: Record<string, number> = {};
  for (let u = 0; u < USERS; u++) {
    const answer = await call(`${routerUrl}/invoke/echo-wasi/_start`, {
      method: 'POST',
      headers: { 'X-User-ID': `user-${u}` },
      body: 'spread',
    });
    check(
      answer.status === 200 && answer.pod !== undefined,
      describeAnswer(`echo-wasi for user-${u}`, answer),
    );
    spread[answer.pod] = (spread[answer.pod] ?? 0) + 1;
  }
  check(
    Object.keys(spread).length > 1,
    `${USERS} users spread over more than one pod: ${JSON.stringify(spread)}`,
  );
  return { pod: [...answeredBy][0] ?? '', spread };
}
