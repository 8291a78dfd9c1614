// State placement end to end (DESIGN.md, "State placement"): `glass up` with three real runtime
// processes, the samples of crds/, and calls through the router and straight to the pods.
import assert from 'node:assert/strict';
import { call, killAll, Pool, type Answer, type Spawned } from '../router/helpers.js';
import { startGlassUp } from '../support/glass-up.js';

interface PodStatus {
  name: string;
  url: string;
  ownedNamespaces: number;
}

async function metric(url: string, name: string): Promise<number> {
  const res = await fetch(`${url}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 'NaN');
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

describe('state placement: every namespace has one owner pod (glass up, 3 runtimes)', function () {
  this.timeout(180_000);
  let up: Spawned;
  let router: Pool;
  let routerUrl: string;
  let pods: PodStatus[];

  before(async () => {
    ({ up, url: routerUrl } = await startGlassUp(['--health-interval', '200ms']));
    router = new Pool(routerUrl, { connections: 32 });
    const status = (await call(router, '/lb/status')).json as { pods: PodStatus[] };
    pods = status.pods;
    assert.equal(pods.length, 3);
  });

  after(async () => {
    await router.close();
    await up.stop('SIGTERM');
    await killAll();
  });

  it('serves one counter whatever the user or the function: 10, 20, then multiply gives 100', async () => {
    // `glass up` tried its own curl lines on the counter: start from a known value.
    await call(router, '/invoke/counter/multiply?value=0');
    assert.equal((await call(router, '/invoke/add?value=10')).json, 10);
    assert.equal((await call(router, '/invoke/add?value=10')).json, 20);
    const multiplied = await call(router, '/invoke/multiply?value=5');
    assert.equal(multiplied.json, 100);
    const answers: Answer[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push(
        await call(router, '/invoke/counter/get', { headers: { 'X-User-ID': `u${i}` } }),
      );
    }
    assert.deepEqual(
      answers.map((a) => a.json),
      answers.map(() => 100),
    );
    assert.equal(new Set(answers.map((a) => a.pod)).size, 1, 'one owner answers every user');
  });

  it('lets one user read back what another wrote (one kv namespace, not one per pod)', async () => {
    const put = await call(router, '/invoke/kv/put', {
      method: 'POST',
      headers: { 'X-User-ID': 'alice' },
      body: '{"key":"shared","value":"from alice"}',
    });
    assert.equal(put.status, 200);
    for (const user of ['bob', 'carol', 'erin', 'frank']) {
      const got = await call(router, '/invoke/kv/get', {
        method: 'POST',
        headers: { 'X-User-ID': user },
        body: '{"key":"shared"}',
      });
      assert.deepEqual(got.json, { key: 'shared', value: 'from alice' });
    }
  });

  it('gives 1,000 users a cart each, on one pod per user, spread evenly over the pods', async () => {
    const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const podsOfUser = new Map<string, Set<string>>();
    const calls = users.flatMap((user) =>
      ['apple', 'bread', 'cheese', 'dates', 'eggs'].map((item) => ({ user, item })),
    );
    await inParallel(calls, 32, async ({ user, item }) => {
      const added = await call(router, '/invoke/cart/add_item', {
        method: 'POST',
        headers: { 'X-User-ID': user },
        body: item,
      });
      assert.equal(added.status, 200, JSON.stringify(added.json));
      const seen = podsOfUser.get(user) ?? new Set<string>();
      seen.add(added.pod ?? '?');
      podsOfUser.set(user, seen);
    });
    const perPod = new Map<string, number>();
    for (const [user, seen] of podsOfUser) {
      assert.equal(seen.size, 1, `${user} was answered by ${[...seen].join(', ')}`);
      const pod = [...seen][0] ?? '?';
      perPod.set(pod, (perPod.get(pod) ?? 0) + 1);
    }
    const counts = [...perPod.values()];
    assert.equal(counts.length, 3);
    const ratio = Math.max(...counts) / (1000 / 3);
    assert.ok(ratio <= 1.15, `carts per pod ${counts.join('/')}: max/mean ${ratio.toFixed(3)}`);
    console.log(`      (carts per pod ${counts.join('/')}, max/mean ${ratio.toFixed(3)})`);
    await inParallel(users, 32, async (user) => {
      const list = await call(router, '/invoke/cart/list', {
        method: 'POST',
        headers: { 'X-User-ID': user },
      });
      assert.deepEqual(list.json, { apple: 1, bread: 1, cheese: 1, dates: 1, eggs: 1 });
    });
    const status = (await call(router, '/lb/status')).json as { pods: PodStatus[] };
    const owned = status.pods.reduce((n, p) => n + p.ownedNamespaces, 0);
    assert.ok(owned >= 1000, `the router counts the carts' namespaces by owner (${owned})`);
  });

  it('answers 400 naming {user} when a keyed namespace lacks its value, and keeps serving', async () => {
    const missing = await call(router, '/invoke/cart/add_item', { method: 'POST', body: 'apple' });
    assert.equal(missing.status, 400);
    assert.match(
      JSON.stringify(missing.json),
      /cart-\{user\} needs \{user\}: send the X-User-ID header/,
    );
    const bad = await call(router, '/invoke/cart/add_item', {
      method: 'POST',
      headers: { 'X-User-ID': 'no/slashes' },
      body: 'apple',
    });
    assert.equal(bad.status, 400);
    const fine = await call(router, '/invoke/cart/add_item', {
      method: 'POST',
      headers: { 'X-User-ID': 'user-0' },
      body: 'figs',
    });
    assert.equal(fine.json, 1);
  });

  it('answers a call sent straight to a non-owner pod correctly, and counts the hop', async () => {
    const owner = (await call(router, '/invoke/counter/get')).pod;
    const others = pods.filter((p) => p.name !== owner);
    assert.equal(others.length, 2);
    for (const pod of others) {
      const before = await metric(pod.url, 'glass_forwarded_calls_total');
      const direct = new Pool(pod.url);
      const answer = await call(direct, '/invoke/counter/add?value=1');
      const state = await call(direct, '/state/counter/counter');
      await direct.close();
      assert.equal(answer.pod, owner, 'the owner answered');
      assert.equal(typeof answer.json, 'number');
      assert.equal(state.json, answer.json, '/state is the owner’s too');
      assert.equal(await metric(pod.url, 'glass_forwarded_calls_total'), before + 2);
    }
  });

  it('forwards a call only once: a pod that is sent a call it does not own answers 503', async () => {
    const owner = (await call(router, '/invoke/counter/get')).pod;
    const other = pods.find((p) => p.name !== owner);
    assert.ok(other);
    const direct = new Pool(other.url);
    const bounced = await call(direct, '/invoke/counter/get', {
      headers: { 'X-Glass-Forwarded-By': 'some-other-pod' },
    });
    await direct.close();
    assert.equal(bounced.status, 503);
    assert.match(JSON.stringify(bounced.json), /not_owner/);
  });

  it('answers 400 to a hand-off that is not one, and keeps serving', async () => {
    const pod = new Pool(pods[0]?.url ?? '');
    try {
      const before = (await call(router, '/invoke/counter/get')).json;
      for (const body of [
        'not json',
        '{"from":"x"}',
        '{"from":"x","view":"","done":true,"namespaces":[{"namespace":"n","entries":[[1,2]],"records":[]}]}',
      ]) {
        const answer = await call(pod, '/handoff', { method: 'POST', body });
        assert.equal(answer.status, 400, body);
        assert.match(JSON.stringify(answer.json), /not a hand-off/);
      }
      assert.equal((await call(router, '/invoke/counter/get')).json, before);
    } finally {
      await pod.close();
    }
  });

  for (const [method, path] of [
    ['PUT', '/state/counter/counter'],
    ['GET', '/state/counter/counter'],
    ['DELETE', '/state/counter/counter'],
    ['GET', '/metrics/'],
    ['GET', '/ready'],
    ['GET', '/health'],
    ['GET', '//state/counter/counter'],
  ] as const) {
    it(`does not let ${method} ${path} through the router to a pod (404)`, async () => {
      const before = (await call(router, '/invoke/counter/get')).json;
      const answer = await call(router, path, {
        method,
        ...(method === 'PUT' ? { body: '999' } : {}),
      });
      assert.equal(answer.status, 404);
      assert.equal(answer.pod, undefined, 'no pod answered');
      assert.equal((await call(router, '/invoke/counter/get')).json, before);
    });
  }
});
