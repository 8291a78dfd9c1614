// Hand-off of local namespaces (ADR 0103), end to end: `glass up` with three real runtime
// processes, steady load on per-user carts, and a rolling restart (SIGTERM each runtime in
// turn; the supervisor starts it again) or a kill -9.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { killAll, Pool, waitFor, type Spawned } from '../router/helpers.js';
import { runtimePids, startGlassUp } from '../support/glass-up.js';

const USERS = Array.from({ length: 24 }, (_, i) => `shopper-${i}`);

interface Load {
  /** Acknowledged adds of `apple`, by user. */
  acked: Map<string, number>;
  failures: { user: string; status: number; body: string }[];
  calls: () => number;
  stop(): Promise<void>;
}

/** Six loops adding an apple to each user's cart in turn, each call with its own Idempotency-Key. */
function cartLoad(url: string): Load {
  const pool = new Pool(url, { connections: 6 });
  const acked = new Map<string, number>();
  const failures: Load['failures'] = [];
  let running = true;
  let calls = 0;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (running) {
      const user = USERS[next++ % USERS.length] ?? '';
      const key = randomUUID();
      calls++;
      // A retry with the same key is what a client does on a network error: replayed, never doubled.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const res = await pool.request({
            method: 'POST',
            path: '/invoke/cart/add_item',
            headers: { 'x-user-id': user, 'idempotency-key': key },
            body: 'apple',
          });
          const body = await res.body.text();
          if (res.statusCode === 200) acked.set(user, (acked.get(user) ?? 0) + 1);
          else failures.push({ user, status: res.statusCode, body });
          break;
        } catch (error) {
          if (attempt === 2) failures.push({ user, status: 0, body: String(error) });
        }
      }
    }
  };
  const loops = Array.from({ length: 6 }, loop);
  return {
    acked,
    failures,
    calls: () => calls,
    async stop() {
      running = false;
      await Promise.all(loops);
      await pool.close();
    },
  };
}

async function cartApples(pool: Pool, user: string): Promise<number> {
  const res = await pool.request({
    method: 'POST',
    path: '/invoke/cart/list',
    headers: { 'x-user-id': user },
  });
  const cart = JSON.parse(await res.body.text()) as { apple?: number };
  return cart.apple ?? 0;
}

async function restarted(up: Spawned, name: string, oldPid: number): Promise<void> {
  await waitFor(
    `${name} to be back`,
    () => (runtimePids(up).get(name) ?? oldPid) !== oldPid,
    30_000,
  );
}

describe('hand-off of local namespaces (glass up, 3 runtimes, real processes)', function () {
  this.timeout(240_000);
  let up: Spawned;
  let url: string;

  beforeEach(async () => {
    ({ up, url } = await startGlassUp(['--health-interval', '200ms']));
  });

  afterEach(async () => {
    await up.stop('SIGTERM');
    await killAll();
  });

  it('keeps every acknowledged add through a rolling restart, and fails no call with an Idempotency-Key', async () => {
    const load = cartLoad(url);
    try {
      await waitFor('some load', () => load.calls() > 200, 20_000);
      for (const [name, pid] of runtimePids(up)) {
        process.kill(pid, 'SIGTERM');
        await restarted(up, name, pid);
        await waitFor('load on the new set', () => load.calls() > 0, 1000);
      }
    } finally {
      await load.stop();
    }
    const pool = new Pool(url);
    try {
      for (const user of USERS) {
        assert.equal(await cartApples(pool, user), load.acked.get(user) ?? 0, `cart of ${user}`);
      }
    } finally {
      await pool.close();
    }
    const total = [...load.acked.values()].reduce((a, b) => a + b, 0);
    assert.deepEqual(
      load.failures.slice(0, 5),
      [],
      `${load.failures.length} failed of ${load.calls()}`,
    );
    // The carts moved by hand-off, not by luck: every runtime took some in and sent some out.
    let received = 0;
    for (const name of runtimePids(up).keys()) {
      const text = await (await fetch(`http://${name}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('glass_namespace_handoffs_total{outcome="received"}'));
      received += Number(line?.split(' ')[1] ?? 0);
    }
    assert.ok(received >= USERS.length, `${received} namespaces received by hand-off`);
    console.log(
      `      (${total} acknowledged adds over ${USERS.length} carts, 3 restarts, no failure)`,
    );
  });

  it('after a kill -9, serves the dead owner’s carts from the next pod within 1 s, naming what was lost', async () => {
    const pool = new Pool(url);
    try {
      for (const user of USERS) {
        const res = await pool.request({
          method: 'POST',
          path: '/invoke/cart/add_item',
          headers: { 'x-user-id': user },
          body: 'pear',
        });
        assert.equal(res.statusCode, 200, await res.body.text());
      }
      const owners = new Map<string, string>();
      for (const user of USERS) {
        const res = await pool.request({
          method: 'POST',
          path: '/invoke/cart/list',
          headers: { 'x-user-id': user },
        });
        await res.body.dump();
        owners.set(user, String(res.headers['x-glass-pod']));
      }
      const [victim, pid] = [...runtimePids(up)][0] ?? ['', 0];
      const victims = USERS.filter((u) => owners.get(u) === victim);
      assert.ok(victims.length > 0);
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      const user = victims[0] ?? '';
      let answered = 0;
      while (Date.now() - killedAt < 1000) {
        const res = await pool.request({
          method: 'POST',
          path: '/invoke/cart/list',
          headers: { 'x-user-id': user },
        });
        const text = await res.body.text();
        if (res.statusCode === 200 && res.headers['x-glass-pod'] !== victim) {
          answered = Date.now() - killedAt;
          assert.equal(text, '{}', 'the crashed owner’s local cart is gone');
          break;
        }
      }
      assert.ok(answered > 0 && answered < 1000, `served elsewhere ${answered} ms after the kill`);
      await waitFor(
        'the loss named in the log',
        () => up.output().includes(`namespace cart-${user}: pod ${victim}, its owner, is gone`),
        5000,
      );
      // ... and counted, on the pod that now owns it.
      const owner = await pool.request({
        method: 'POST',
        path: '/invoke/cart/list',
        headers: { 'x-user-id': user },
      });
      await owner.body.dump();
      const metrics = await (
        await fetch(`http://${String(owner.headers['x-glass-pod'])}/metrics`)
      ).text();
      assert.match(metrics, /glass_namespace_handoffs_total\{outcome="lost"\} [1-9]/);
      // The other users' carts were never on the victim and are intact.
      for (const other of USERS.filter((u) => !victims.includes(u))) {
        assert.equal(await cartApples(pool, other), 0, 'no apples');
        const res = await pool.request({
          method: 'POST',
          path: '/invoke/cart/list',
          headers: { 'x-user-id': other },
        });
        assert.deepEqual(JSON.parse(await res.body.text()), { pear: 1 });
      }
    } finally {
      await pool.close();
    }
  });
});
