import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import type { RunningRouter } from '../../src/router/router.js';
import type { MemberSet } from '../../src/router/membership.js';
import {
  call,
  freePort,
  getFrom,
  killAll,
  Pool,
  startBackend,
  startTestRouter,
  waitFor,
  type Answer,
  type Backend,
} from './helpers.js';
import { bigChunk } from './fixtures/big-chunk.js';

type TestRouter = RunningRouter & { membership: MemberSet };

/** `count` requests, `width` at a time; returns every answer in order. */
async function many(
  count: number,
  width: number,
  one: (i: number) => Promise<Answer>,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i += width) {
    const batch = Array.from({ length: Math.min(width, count - i) }, (_, j) => one(i + j));
    answers.push(...(await Promise.all(batch)));
  }
  return answers;
}

function fixtureCall(backend: Backend, path: string): Promise<Answer> {
  const pool = new Pool(backend.url);
  return call(pool, path, { method: 'POST' }).finally(() => pool.close());
}

/** A user id whose owner on `router`'s ring is `pod`. */
function userOwnedBy(router: TestRouter, pod: string, prefix = 'user'): string {
  for (let i = 0; i < 10_000; i++) {
    if (router.table.ring.owner(`${prefix}-${i}`) === pod) return `${prefix}-${i}`;
  }
  throw new Error(`no user id owned by ${pod}`);
}

describe('router proxying to real backend processes', function () {
  let backends: Backend[] = [];
  let router: TestRouter;
  let client: Pool;

  before(async () => {
    backends = await Promise.all([startBackend(), startBackend(), startBackend()]);
    router = await startTestRouter(
      backends.map((b) => ({ name: b.name, url: b.url })),
      { maxBody: '1Ki' },
    );
    client = new Pool(router.url, { connections: 64 });
  });

  after(async () => {
    await client.close();
    await router.close();
    await killAll();
  });

  describe('affinity', () => {
    const cases: { name: string; headers: Record<string, string> }[] = [
      {
        name: '1,000 requests with the same X-User-ID are all answered by the same pod',
        headers: { 'x-user-id': 'alice' },
      },
      {
        name: '1,000 requests with the same session_id cookie are all answered by the same pod',
        headers: { cookie: 'theme=dark; session_id=sess-42' },
      },
      {
        name: '1,000 requests with the same X-Session-ID are all answered by the same pod',
        headers: { 'x-session-id': 'sess-7' },
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const answers = await many(1000, 50, () =>
          call(client, '/invoke/counter/incr', { method: 'POST', headers: tc.headers }),
        );
        const pods = new Set(answers.map((a) => a.pod));
        const answeredBy = new Set(
          answers.map((a) => `127.0.0.1:${(a.json as { port: number }).port}`),
        );
        assert.deepEqual(
          answers.filter((a) => a.status !== 200),
          [],
        );
        assert.equal(pods.size, 1, `answered by ${[...pods].join(', ')}`);
        assert.deepEqual(answeredBy, pods, 'X-Glass-Pod names the pod that really answered');
        const value = Object.values(tc.headers)[0] ?? '';
        const expected = router.table.ring.owner(value.includes('session_id=') ? 'sess-42' : value);
        assert.equal([...pods][0], expected);
      });
    }

    it('different user ids reach all 3 pods, each its own owner', async () => {
      const answers = await many(300, 50, (i) =>
        call(client, '/invoke/', { headers: { 'x-user-id': `u${i}` } }),
      );
      answers.forEach((a, i) => {
        assert.equal(a.pod, router.table.ring.owner(`u${i}`));
      });
      assert.equal(new Set(answers.map((a) => a.pod)).size, 3);
    });
  });

  describe('endpoints', () => {
    it('/lb/status lists 3 healthy pods whose ring shares add up to 1', async () => {
      const { status, json } = await call(client, '/lb/status');
      const pods = (
        json as {
          pods: {
            name: string;
            url: string;
            healthy: boolean;
            ringShare: number;
            requests: number;
            errors: number;
          }[];
        }
      ).pods;
      assert.equal(status, 200);
      assert.deepEqual(pods.map((p) => p.name).sort(), backends.map((b) => b.name).sort());
      assert.ok(pods.every((p) => p.healthy && p.url.startsWith('http://127.0.0.1:')));
      const sum = pods.reduce((s, p) => s + p.ringShare, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `shares sum to ${sum}`);
      assert.ok(pods.every((p) => typeof p.requests === 'number' && typeof p.errors === 'number'));
    });

    it('/lb/health answers 200 with the pod counts', async () => {
      const { status, json } = await call(client, '/lb/health');
      assert.equal(status, 200);
      assert.deepEqual(json, { status: 'ok', pods: 3, healthyPods: 3 });
    });

    it('/metrics is Prometheus text with the router counters', async () => {
      const { status, json } = await call(client, '/metrics');
      assert.equal(status, 200);
      assert.match(
        String(json),
        /glass_router_requests_total\{pod="127\.0\.0\.1:\d+",code="200"\} \d+/,
      );
      assert.match(String(json), /glass_router_pod_ring_share\{pod="127\.0\.0\.1:\d+"\} 0\.\d+/);
    });

    it('/metrics times every request it counts: the duration histogram agrees with the counts', async () => {
      const text = String((await call(client, '/metrics')).json);
      const sum = (pattern: RegExp): number =>
        [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
      const counted = sum(/^glass_router_requests_total\{[^}]*\} (\d+)$/gm);
      const timed = sum(/^glass_router_request_duration_seconds_count (\d+)$/gm);
      const inf = sum(/^glass_router_request_duration_seconds_bucket\{le="\+Inf"\} (\d+)$/gm);
      const fast = sum(/^glass_router_request_duration_seconds_bucket\{le="0\.0005"\} (\d+)$/gm);
      assert.ok(counted > 0, 'earlier tests sent requests through the router');
      assert.deepEqual([timed, inf], [counted, counted]);
      assert.ok(fast <= inf);
      assert.match(text, /^glass_router_request_duration_seconds_sum [\d.e-]+$/m);
    });

    it('a POST to /lb/status is 405 in the runtime error shape', async () => {
      const { status, json } = await call(client, '/lb/status', { method: 'POST' });
      assert.equal(status, 405);
      assert.equal((json as { error: { code: string } }).error.code, 'method_not_allowed');
    });
  });

  describe('requests', () => {
    it('a body is forwarded whole, with X-Forwarded-For naming the client', async () => {
      const body = 'x'.repeat(1000);
      const { status, json } = await call(client, '/invoke/echo/run', {
        method: 'POST',
        body,
        headers: { 'x-user-id': 'bob' },
      });
      assert.equal(status, 200);
      assert.deepEqual(
        [(json as { bodyLength: number }).bodyLength, (json as { xff: string }).xff],
        [1000, '127.0.0.1'],
      );
    });

    it('a body over --max-body is refused with 413 and nothing reaches a pod', async () => {
      const { status, json } = await call(client, '/invoke/echo/run', {
        method: 'POST',
        body: 'x'.repeat(1025),
      });
      assert.equal(status, 413);
      assert.equal((json as { error: { code: string } }).error.code, 'body_too_large');
    });

    it('streams a long answer to a client that reads slowly, every byte in order', async function () {
      this.timeout(30_000);
      const mib = 24;
      const expected = createHash('sha256');
      for (let i = 0; i < mib * 16; i++) expected.update(bigChunk(i));
      const received = createHash('sha256');
      let length = 0;
      await new Promise<void>((resolve, reject) => {
        const req = httpGet(`${router.url}/invoke/big?mib=${mib}`, (res) => {
          assert.equal(res.statusCode, 200);
          // Stop reading for a while every 4 MiB: the router must hold the pod back meanwhile
          // (pause its connection until the client drains) and then carry on.
          let sincePause = 0;
          res.on('data', (chunk: Buffer) => {
            received.update(chunk);
            length += chunk.length;
            sincePause += chunk.length;
            if (sincePause >= 4 * 1024 * 1024) {
              sincePause = 0;
              res.pause();
              setTimeout(() => res.resume(), 150);
            }
          });
          res.on('end', resolve);
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      assert.equal(length, mib * 1024 * 1024);
      assert.equal(received.digest('hex'), expected.digest('hex'));
      // The router still serves normally afterwards.
      assert.equal((await call(client, '/invoke/echo/run')).status, 200);
    });

    it('answers 503 in the runtime error shape when it knows no pods', async () => {
      const empty = await startTestRouter([]);
      try {
        const { status, json } = await getFrom(`${empty.url}/invoke/add?value=1`);
        assert.equal(status, 503);
        assert.deepEqual(json, {
          error: { code: 'no_healthy_pod', message: 'no runtime pods are known' },
        });
      } finally {
        await empty.close();
      }
    });
  });

  describe('X-Forwarded-For', () => {
    it('a spoofed X-Forwarded-For from an untrusted client does not change routing', async () => {
      const owner = router.table.ring.owner('127.0.0.1');
      const answers = await many(200, 20, (i) =>
        getFrom(`${router.url}/invoke/`, {
          headers: { 'x-forwarded-for': `198.51.100.${i % 250}` },
        }),
      );
      assert.deepEqual(new Set(answers.map((a) => a.pod)), new Set([owner]));
      assert.deepEqual(
        new Set(answers.map((a) => (a.json as { xff: string }).xff)),
        new Set(['127.0.0.1']),
      );
    });

    it('the same header from a trusted proxy (127.0.0.2) does route by the forwarded client', async () => {
      const trusting = await startTestRouter(
        backends.map((b) => ({ name: b.name, url: b.url })),
        { trustedProxies: ['127.0.0.2/32'] },
      );
      try {
        const clients = Array.from({ length: 60 }, (_, i) => `198.51.100.${i}`);
        const answers = await many(60, 20, (i) =>
          getFrom(`${trusting.url}/invoke/`, {
            headers: { 'x-forwarded-for': clients[i] ?? '' },
            localAddress: '127.0.0.2',
          }),
        );
        answers.forEach((a, i) => {
          assert.equal(a.pod, trusting.table.ring.owner(clients[i] ?? ''));
        });
        assert.equal(
          new Set(answers.map((a) => a.pod)).size,
          3,
          'forwarded clients spread over the pods',
        );
        const untrusted = await getFrom(`${trusting.url}/invoke/`, {
          headers: { 'x-forwarded-for': clients[0] ?? '' },
        });
        assert.equal(
          untrusted.pod,
          trusting.table.ring.owner('127.0.0.1'),
          '127.0.0.1 is still not trusted',
        );
      } finally {
        await trusting.close();
      }
    });
  });
});

describe('router failover and ejection against real backend processes', function () {
  let backends: Backend[] = [];
  let router: TestRouter;
  let client: Pool;
  let deadName: string;

  beforeEach(async () => {
    backends = await Promise.all([startBackend(), startBackend(), startBackend()]);
    const deadPort = await freePort();
    deadName = `127.0.0.1:${deadPort}`;
    router = await startTestRouter(backends.map((b) => ({ name: b.name, url: b.url })));
    client = new Pool(router.url, { connections: 16 });
  });

  afterEach(async () => {
    await client.close();
    await router.close();
    await killAll();
  });

  const status = async (name: string) => {
    const pods = (await call(client, '/lb/status')).json as {
      pods: { name: string; healthy: boolean; errors: number }[];
    };
    return pods.pods.find((p) => p.name === name);
  };
  const stats = async (b: Backend) =>
    (await fixtureCall(b, '/_fixture/stats')).json as { requests: number };

  it('a request that could not connect goes to the next healthy pod clockwise, and the client sees no error', async () => {
    router.membership.add({ name: deadName, url: `http://${deadName}` });
    const user = userOwnedBy(router, deadName);
    const next = [...router.table.ring.walk(user)][1];
    const answers = await many(20, 5, () =>
      call(client, '/invoke/', { headers: { 'x-user-id': user } }),
    );
    assert.deepEqual(new Set(answers.map((a) => `${a.status} ${a.pod}`)), new Set([`200 ${next}`]));
    assert.equal((await status(deadName))?.healthy, false, 'repeated connect failures ejected it');
  });

  it('a request that reached a pod and failed is not retried without an Idempotency-Key', async () => {
    const owner = backends[0]!;
    const user = userOwnedBy(router, owner.name);
    const others = backends.filter((b) => b !== owner);
    const before = await Promise.all(others.map(stats));
    await fixtureCall(owner, '/_fixture/break?count=1');
    const answer = await call(client, '/invoke/counter/incr', {
      method: 'POST',
      headers: { 'x-user-id': user },
    });
    assert.equal(answer.status, 502);
    assert.equal((answer.json as { error: { code: string } }).error.code, 'upstream_failed');
    assert.deepEqual(await Promise.all(others.map(stats)), before, 'no other pod saw the request');
  });

  it('a request that reached a pod and failed is retried on the next pod when it carries an Idempotency-Key', async () => {
    const owner = backends[0]!;
    const user = userOwnedBy(router, owner.name);
    const next = [...router.table.ring.walk(user)][1];
    await fixtureCall(owner, '/_fixture/break?count=1');
    const answer = await call(client, '/invoke/counter/incr', {
      method: 'POST',
      body: 'payload',
      headers: { 'x-user-id': user, 'idempotency-key': 'k-1' },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.pod, next);
    assert.deepEqual(
      [
        (answer.json as { idempotencyKey: string }).idempotencyKey,
        (answer.json as { body: string }).body,
      ],
      ['k-1', 'payload'],
    );
  });

  it('a pod that answers 503 not_ready ran nothing: the call goes to the next pod, even without an Idempotency-Key', async () => {
    const owner = backends[0]!;
    const user = userOwnedBy(router, owner.name);
    const next = [...router.table.ring.walk(user)][1];
    await fixtureCall(owner, '/_fixture/ready?value=false');
    const answer = await call(client, '/invoke/counter/incr', {
      method: 'POST',
      body: 'payload',
      headers: { 'x-user-id': user },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.pod, next);
    assert.equal((answer.json as { body: string }).body, 'payload');
    assert.equal((await stats(owner)).requests, 1, 'the owner was asked once');
  });

  it('when every pod answers 503 not_ready, the client gets that answer', async () => {
    for (const b of backends) await fixtureCall(b, '/_fixture/ready?value=false');
    const answer = await call(client, '/invoke/counter/incr', { method: 'POST' });
    assert.equal(answer.status, 503);
    assert.equal((answer.json as { error: { code: string } }).error.code, 'not_ready');
  });

  it('a dead owner while the other pods still say not_owner: nothing ran, so the call goes again a moment later, even without an Idempotency-Key', async () => {
    router.membership.add({ name: deadName, url: `http://${deadName}` });
    const user = userOwnedBy(router, deadName);
    const next = [...router.table.ring.walk(user)][1]!;
    const nextBackend = backends.find((b) => b.name === next)!;
    for (const b of backends) await fixtureCall(b, '/_fixture/not-owner?count=1');
    const answer = await call(client, '/invoke/counter/incr', {
      method: 'POST',
      body: 'payload',
      headers: { 'x-user-id': user },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.pod, next);
    assert.equal((await stats(nextBackend)).requests, 2, 'asked twice: not_owner, then served');
  });

  it('an owner that failed mid-call while the others still say not_owner: a call with an Idempotency-Key goes again a moment later', async () => {
    const owner = backends[0]!;
    const user = userOwnedBy(router, owner.name);
    await fixtureCall(owner, '/_fixture/break?count=1');
    for (const b of backends.slice(1)) await fixtureCall(b, '/_fixture/not-owner?count=1');
    const answer = await call(client, '/invoke/counter/incr', {
      method: 'POST',
      headers: { 'x-user-id': user, 'idempotency-key': 'k-again' },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal((answer.json as { idempotencyKey: string }).idempotencyKey, 'k-again');
  });

  it('a single injected error does not eject a pod', async () => {
    const owner = backends[1]!;
    const user = userOwnedBy(router, owner.name);
    await fixtureCall(owner, '/_fixture/break?count=1');
    assert.equal((await call(client, '/invoke/', { headers: { 'x-user-id': user } })).status, 502);
    assert.equal((await status(owner.name))?.healthy, true);
    const after = await many(50, 10, () =>
      call(client, '/invoke/', { headers: { 'x-user-id': user } }),
    );
    assert.deepEqual(
      new Set(after.map((a) => `${a.status} ${a.pod}`)),
      new Set([`200 ${owner.name}`]),
    );
  });

  it('503 unavailable answers (a Redis outage every pod shares) never eject a pod, while 503 not_ready does', async () => {
    const owner = backends[1]!;
    const user = userOwnedBy(router, owner.name);
    for (let i = 0; i < 5; i++) {
      const answer = await call(client, '/invoke/unavailable', { headers: { 'x-user-id': user } });
      assert.equal(answer.status, 503);
      assert.equal(answer.pod, owner.name);
    }
    assert.equal((await status(owner.name))?.healthy, true);
    for (let i = 0; i < 3; i++)
      await call(client, '/invoke/not-ready', { headers: { 'x-user-id': user } });
    assert.equal((await status(owner.name))?.healthy, false);
    await router.table.probeAll();
    await router.table.probeAll();
    assert.equal((await status(owner.name))?.healthy, true);
  });

  it('repeated errors eject a pod, its keys go to the next pod clockwise, and two good probes bring it back', async () => {
    const owner = backends[2]!;
    const user = userOwnedBy(router, owner.name);
    const next = [...router.table.ring.walk(user)][1];
    await fixtureCall(owner, '/_fixture/break?count=3');
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await call(client, '/invoke/', { headers: { 'x-user-id': user } })).status,
        502,
      );
    assert.equal((await status(owner.name))?.healthy, false);
    assert.equal((await call(client, '/invoke/', { headers: { 'x-user-id': user } })).pod, next);
    await router.table.probeAll();
    assert.equal((await status(owner.name))?.healthy, false, 'one good probe is not enough');
    await router.table.probeAll();
    assert.equal((await status(owner.name))?.healthy, true);
    assert.equal(
      (await call(client, '/invoke/', { headers: { 'x-user-id': user } })).pod,
      owner.name,
    );
  });

  it('a pod whose /ready turns 503 is ejected after 3 probes and readmitted after 2 once ready', async () => {
    const pod = backends[0]!;
    await fixtureCall(pod, '/_fixture/ready?value=false');
    const seen: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await router.table.probeAll();
      seen.push((await status(pod.name))?.healthy ?? false);
    }
    await fixtureCall(pod, '/_fixture/ready?value=true');
    for (let i = 0; i < 2; i++) {
      await router.table.probeAll();
      seen.push((await status(pod.name))?.healthy ?? false);
    }
    assert.deepEqual(seen, [true, true, false, false, true]);
  });

  it('a pod that dies mid-answer cuts the client off, even with an Idempotency-Key, and counts one failure', async () => {
    const owner = backends[0]!;
    const user = userOwnedBy(router, owner.name);
    await fixtureCall(owner, '/_fixture/break-mid?count=1');
    await assert.rejects(
      call(client, '/invoke/', { headers: { 'x-user-id': user, 'idempotency-key': 'k-2' } }),
    );
    const pod = await status(owner.name);
    assert.deepEqual([pod?.healthy, pod?.errors], [true, 1]);
    assert.equal(
      (await call(client, '/invoke/', { headers: { 'x-user-id': user } })).pod,
      owner.name,
    );
  });

  const hangUps = [
    {
      name: 'a client that hangs up before the answer starts is not counted against the pod',
      path: '/invoke/slow?ms=400',
      i: 1,
    },
    {
      name: 'a client that hangs up in the middle of the answer is not counted against the pod',
      path: '/invoke/slow-body?ms=400',
      i: 2,
    },
  ];
  for (const tc of hangUps) {
    it(tc.name, async () => {
      const owner = backends[tc.i]!;
      const user = userOwnedBy(router, owner.name);
      const aborter = new AbortController();
      const pending = client.request({
        method: 'GET',
        path: tc.path,
        headers: { 'x-user-id': user },
        signal: aborter.signal,
      });
      const answer = pending.then((res) => res.body.text());
      setTimeout(() => {
        aborter.abort();
      }, 100);
      await assert.rejects(answer);
      const pod = router.table.pod(owner.name);
      // The router aborts its own request to the pod when the client leaves; once the pool has
      // nothing running, whatever it was going to count has been counted.
      await waitFor(
        'the router to drop the abandoned request',
        () => pod?.requests === 1 && pod.pool.stats.running === 0,
        2000,
      );
      assert.deepEqual(
        [pod?.health.healthy, pod?.health.consecutiveFailures, pod?.errors],
        [true, 0, 0],
      );
    });
  }

  it('a pod slower than --upstream-timeout answers 504 upstream_timeout', async () => {
    const impatient = await startTestRouter(
      backends.map((b) => ({ name: b.name, url: b.url })),
      { upstreamTimeout: '200ms' },
    );
    try {
      const answer = await getFrom(`${impatient.url}/invoke/slow?ms=1000`);
      assert.equal(answer.status, 504);
      assert.equal((answer.json as { error: { code: string } }).error.code, 'upstream_timeout');
    } finally {
      await impatient.close();
    }
  });

  it('when every pod is ejected the router answers 503 no_healthy_pod', async () => {
    await Promise.all(backends.map((b) => fixtureCall(b, '/_fixture/ready?value=false')));
    for (let i = 0; i < 3; i++) await router.table.probeAll();
    const answer = await call(client, '/invoke/add?value=1');
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.json, {
      error: { code: 'no_healthy_pod', message: 'no runtime pod is healthy' },
    });
  });
});
