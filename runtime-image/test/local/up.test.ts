// `glass up` end to end: the real CLI, real `glass runtime` children, the samples of crds/.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HashRing } from '../../src/router/ring.js';
import {
  call,
  killAll,
  MAIN_JS,
  Pool,
  spawnNode,
  waitFor,
  type Spawned,
} from '../router/helpers.js';
import { startGlassUp, type GlassUp } from '../support/glass-up.js';
import { steadyLoad, usersByOwner } from '../router/load.js';
import { RedisServer } from '../support/redis-server.js';

interface PodStatus {
  name: string;
  url: string;
  healthy: boolean;
  ringShare: number;
  requests: number;
  errors: number;
}

async function startUp(extra: string[] = []): Promise<GlassUp> {
  return startGlassUp(['--health-interval', '200ms', '--balance-factor', '0', ...extra]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('glass up (real runtime processes)', function () {
  this.timeout(120_000);

  describe('a running local cluster', () => {
    let up: Spawned;
    let pool: Pool;
    let pids: () => Map<string, number>;
    let routerUrl: string;

    before(async () => {
      const started = await startUp();
      up = started.up;
      pids = started.pids;
      routerUrl = `http://127.0.0.1:${started.port}`;
      pool = new Pool(routerUrl, { connections: 32 });
    });

    after(async () => {
      await pool.close();
      await up.stop('SIGTERM');
      await killAll();
    });

    const status = async (): Promise<PodStatus[]> =>
      ((await call(pool, '/lb/status')).json as { pods: PodStatus[] }).pods;

    it('prints curl lines that work, starting with the classic add', () => {
      assert.match(
        up.output(),
        /curl 'localhost:\d+\/invoke\/add\?value=10' {4}# -> 10, then 20, \.\.\./,
      );
      assert.match(up.output(), /curl localhost:\d+\/lb\/status/);
    });

    it('answers /invoke/add?value=10 through the router', async () => {
      const answer = await call(pool, '/invoke/add?value=10');
      assert.equal(answer.status, 200);
      // Printing the curl lines did not spend this call: the first add answers 10.
      assert.equal(answer.json, 10);
      assert.match(answer.pod ?? '', /^127\.0\.0\.1:\d+$/);
    });

    it('/lb/status lists 3 healthy pods whose ring shares add up to 1', async () => {
      const pods = await status();
      assert.equal(pods.length, 3);
      assert.ok(pods.every((p) => p.healthy));
      assert.deepEqual(pods.map((p) => p.name).sort(), [...pids().keys()].sort());
      const sum = pods.reduce((s, p) => s + p.ringShare, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `shares sum to ${sum}`);
    });

    const affinity: { name: string; headers: Record<string, string>; key: string }[] = [
      {
        name: '1,000 requests with the same X-User-ID are all answered by the same runtime',
        headers: { 'x-user-id': 'carol' },
        key: 'carol',
      },
      {
        name: '1,000 requests with the same session_id cookie are all answered by the same runtime',
        headers: { cookie: 'session_id=s-123' },
        key: 's-123',
      },
    ];
    for (const tc of affinity) {
      it(tc.name, async () => {
        const ring = new HashRing((await status()).map((p) => p.name));
        const pods = new Set<string | undefined>();
        for (let i = 0; i < 1000; i += 50) {
          const batch = await Promise.all(
            Array.from({ length: 50 }, () =>
              call(pool, '/invoke/echo-wasi/_start', { headers: tc.headers }),
            ),
          );
          for (const a of batch) {
            assert.equal(a.status, 200);
            pods.add(a.pod);
          }
        }
        assert.deepEqual([...pods], [ring.owner(tc.key)]);
      });
    }

    it('kill -9 of a runtime under steady load: errors stop within 1 s, its keys move clockwise, and its restart takes them back', async () => {
      const names = (await status()).map((p) => p.name);
      const ring = new HashRing(names);
      const byOwner = usersByOwner((k) => ring.owner(k), names, 8);
      const [victim = ''] = names;
      const victimPid = pids().get(victim) ?? -1;
      const next = new Map((byOwner.get(victim) ?? []).map((u) => [u, [...ring.walk(u)][1]]));
      // A Faaslet that touches no state: its calls are placed by X-User-ID (ADR 0101).
      const traffic = steadyLoad(
        routerUrl,
        [...byOwner.values()].flat(),
        '/invoke/echo-wasi/_start',
      );
      try {
        await traffic.answers(200);
        const killedAt = Date.now();
        process.kill(victimPid, 'SIGKILL');
        await waitFor('the victim to be gone', () => !alive(victimPid));
        const goneAt = Date.now();
        await waitFor(
          'the restarted runtime to be ready',
          () => (pids().get(victim) ?? victimPid) !== victimPid,
          30_000,
        );
        const restartedAt = Date.now();
        await traffic.answers(300);
        const afterKill = traffic.samples.filter((s) => s.at >= killedAt);
        const errors = afterKill.filter((s) => s.status !== 200);
        const lastError = errors.length === 0 ? 0 : Math.max(...errors.map((s) => s.at)) - killedAt;
        assert.ok(
          lastError <= 1000,
          `last error ${lastError} ms after the kill (${errors.length} errors)`,
        );
        // Routing is decided when a request is sent. Sent after the victim was gone, a victim
        // user's request goes to the next pod clockwise, until the restarted victim rejoins
        // (which `glass up` reports a moment after the router knows).
        const whileDown = afterKill.filter(
          (s) => s.sent > goneAt && next.has(s.user) && s.status === 200,
        );
        for (const s of whileDown) {
          assert.ok(
            s.pod === next.get(s.user) || (s.pod === victim && s.sent > goneAt + 200),
            `${s.user} went to ${s.pod ?? '?'} after ${victim} died`,
          );
        }
        assert.ok(
          whileDown.some((s) => s.pod === next.get(s.user)),
          'victim users were served by the next pod while it was down',
        );
        const back = traffic.samples.filter((s) => s.sent > restartedAt && next.has(s.user));
        assert.ok(back.length > 0);
        for (const s of back) assert.equal(s.pod, victim, `${s.user} is back on ${victim}`);
        assert.match(
          up.output(),
          new RegExp(`pid ${victimPid} exited \\(signal SIGKILL\\); restarting`),
        );
        assert.equal((await status()).filter((p) => p.healthy).length, 3);
        console.log(
          `      (${errors.length} errors, the last ${lastError} ms after the kill; back after ${restartedAt - killedAt} ms)`,
        );
      } finally {
        await traffic.stop();
      }
    });
  });

  describe('with --redis', () => {
    let redis: RedisServer;
    let dir: string;

    before(async () => {
      redis = await RedisServer.start();
      dir = await mkdtemp(join(tmpdir(), 'glass-up-'));
    });

    after(async () => {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
      await killAll();
    });

    it('passes the Redis URL to every runtime, so a global counter is one counter across pods', async () => {
      const sample = fileURLToPath(
        new URL('../../../../crds/samples/counter.yaml', import.meta.url),
      );
      const yaml = (await readFile(sample, 'utf8')).replace(
        'durability: local',
        'durability: global',
      );
      assert.match(yaml, /durability: global/);
      await writeFile(join(dir, 'counter.yaml'), yaml);
      const { up, port } = await startUp([
        '--runtimes',
        '2',
        '--redis',
        redis.url,
        '--faaslets',
        join(dir, 'counter.yaml'),
      ]);
      const pool = new Pool(`http://127.0.0.1:${port}`);
      try {
        const pods = ((await call(pool, '/lb/status')).json as { pods: PodStatus[] }).pods.map(
          (p) => p.name,
        );
        const ring = new HashRing(pods);
        const users = [...usersByOwner((k) => ring.owner(k), pods, 1).values()].flat();
        const answers = [];
        for (const user of users)
          answers.push(
            await call(pool, '/invoke/counter/add?value=5', { headers: { 'x-user-id': user } }),
          );
        // `glass up` itself already added 10 when it tried its curl lines; what matters is that
        // every user's add lands on the one counter, at its namespace's owner (ADR 0101).
        const [first, second] = answers;
        const owner = ring.owner('counter');
        assert.deepEqual(
          [first?.status, first?.pod, second?.status, second?.pod],
          [200, owner, 200, owner],
        );
        assert.equal((second?.json as number) - (first?.json as number), 5);
      } finally {
        await pool.close();
        await up.stop('SIGTERM');
      }
    });
  });

  describe('stopping', () => {
    const stops: { name: string; signal: NodeJS.Signals; code: number | null }[] = [
      {
        name: 'SIGTERM stops the router and every runtime, and exits 0',
        signal: 'SIGTERM',
        code: 0,
      },
      {
        name: 'SIGINT (Ctrl-C) stops the router and every runtime, and exits 0',
        signal: 'SIGINT',
        code: 0,
      },
      {
        name: 'kill -9 of glass up itself leaves no runtime behind',
        signal: 'SIGKILL',
        code: null,
      },
    ];
    for (const tc of stops) {
      it(tc.name, async () => {
        const { up, pids } = await startUp(['--runtimes', '2']);
        const children = [...pids().values()];
        assert.equal(children.length, 2);
        up.child.kill(tc.signal);
        assert.equal(await up.exited, tc.code);
        await waitFor(
          `runtimes ${children.join(', ')} to exit`,
          () => children.every((pid) => !alive(pid)),
          10_000,
        );
      });
    }
  });

  it('refuses bad flags with a message and exit code 1', async () => {
    const bad = spawnNode([MAIN_JS, 'up', '--runtimes', '0'], /never/);
    await assert.rejects(bad, /exited \(1\)[\s\S]*--runtimes/);
  });
});
