// The global tier against a real redis-server, in process: two GlobalTiers are two pods.
import { strict as assert } from 'node:assert';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { VersionedEntry } from '../../src/host/protocol.js';
import { createLogger } from '../../src/logger.js';
import { GlassError } from '../../src/runtime/errors.js';
import { keyNaming, planCommit } from '../../src/state/commit-script.js';
import { GlobalTier } from '../../src/state/global-tier.js';
import type { IdempotencyClaim } from '../../src/state/idempotency.js';
import { LocalTier } from '../../src/state/local-tier.js';
import { RedisSettings } from '../../src/state/redis-config.js';
import type { CommitRequest } from '../../src/state/store.js';
import { TieredStore } from '../../src/state/tiers.js';
import { RedisServer } from '../support/redis-server.js';
import { parseNamespaceTemplate } from '@glass/crds';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const shown = (entry: VersionedEntry | undefined): [string, string | null, string] | undefined =>
  entry && [entry[0], entry[1] === null ? null : Buffer.from(entry[1]).toString(), entry[2]];

function claimOf(key: string, fingerprint = 'fp-1', ttlMs = 60_000): IdempotencyClaim {
  return { key, namespace: 'ns', fingerprint, ttlMs, maxResponseBytes: 1024 * 1024 };
}

describe('the global tier on a real Redis', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let podA: GlobalTier;
  let podB: GlobalTier;
  const log = createLogger('silent', 'global-tier-test');

  before(async function () {
    redis = await RedisServer.start();
    const settings = RedisSettings.parse({ url: redis.url });
    [podA, podB] = await Promise.all([
      GlobalTier.connect(settings, log),
      GlobalTier.connect(settings, log),
    ]);
  });
  after(async function () {
    await Promise.all([podA.close(), podB.close()]);
    await redis.stop();
  });

  it('refuses a commit built on a stale pod copy, applies nothing, and refreshes the copy', async function () {
    assert.deepEqual((await podA.fetch(['ns/k'])).map(shown), [['ns/k', null, '']]);
    assert.deepEqual(
      await podB.commit({ reads: [['ns/k', '']], writes: [['ns/k', text('from-b'), 'b.1']] }),
      { ok: true },
    );
    // Pod A still believes the key is absent; its commit must not go through.
    assert.deepEqual(shown(podA.peek('ns/k')), ['ns/k', null, '']);
    const outcome = await podA.commit({
      reads: [['ns/k', '']],
      writes: [['ns/k', text('from-a'), 'a.1']],
    });
    assert.deepEqual(outcome, { ok: false, stale: ['ns/k'] });
    assert.deepEqual((await podB.read(['ns/k'])).map(shown), [['ns/k', 'from-b', 'b.1']]);
    // The refusal brought the current value back: the retry starts from the truth.
    assert.deepEqual(shown(podA.peek('ns/k')), ['ns/k', 'from-b', 'b.1']);
    assert.deepEqual(podA.stale([['ns/k', '']]), ['ns/k']);
  });

  it('applies every write of a commit at once, deletes included', async function () {
    await podA.commit({ reads: [], writes: [['ns/gone', text('x'), 'a.2']] });
    const outcome = await podA.commit({
      reads: [['ns/gone', 'a.2']],
      writes: [
        ['ns/one', text('1'), 'a.3'],
        ['ns/two', text('2'), 'a.3'],
        ['ns/gone', null, ''],
      ],
    });
    assert.deepEqual(outcome, { ok: true });
    assert.deepEqual((await podB.read(['ns/one', 'ns/two', 'ns/gone'])).map(shown), [
      ['ns/one', '1', 'a.3'],
      ['ns/two', '2', 'a.3'],
      ['ns/gone', null, ''],
    ]);
  });

  it('runs a one-key commit (the short script) with the same checks: stale, delete, blind write', async function () {
    const plan = (request: CommitRequest, take = false): string =>
      planCommit(request, keyNaming('p'), { me: 'a', namespace: 'ns', take, ms: 100 }).script;
    const one: CommitRequest = {
      reads: [['ns/solo', '']],
      writes: [['ns/solo', text('1'), 'a.s1']],
    };
    assert.equal(plan(one), 'one');
    assert.equal(plan(one, true), 'general', 'taking a turn needs the general script');
    assert.equal(plan({ reads: [['ns/a', '']], writes: [['ns/b', text('1'), 'v']] }), 'general');

    assert.deepEqual(await podA.commit(one), { ok: true });
    const stale = await podB.commit({ reads: [['ns/solo', '']], writes: [['ns/solo', null, '']] });
    assert.deepEqual(stale, { ok: false, stale: ['ns/solo'] });
    assert.deepEqual(
      await podB.commit({ reads: [['ns/solo', 'a.s1']], writes: [['ns/solo', null, '']] }),
      { ok: true },
    );
    assert.deepEqual((await podA.read(['ns/solo'])).map(shown), [['ns/solo', null, '']]);
    assert.deepEqual(await podA.commit({ reads: [], writes: [['ns/solo', text('2'), 'a.s2']] }), {
      ok: true,
    });
    assert.deepEqual((await podB.read(['ns/solo'])).map(shown), [['ns/solo', '2', 'a.s2']]);
  });

  it('carries binary values and non-ASCII key names byte for byte through a one-key commit', async function () {
    const binary = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    const short = Uint8Array.from([0, 255, 13, 10, 36, 42]);
    for (const [key, value] of [
      ['ns/ключ', binary],
      ['ns/€', short],
      ['ns/plain', text('é\r\n$3')],
    ] as const) {
      assert.deepEqual(await podA.commit({ reads: [[key, '']], writes: [[key, value, 'a.u1']] }), {
        ok: true,
      });
      const [entry] = await podB.read([key]);
      assert.deepEqual(entry && [entry[0], Buffer.from(entry[1] ?? []), entry[2]], [
        key,
        Buffer.from(value),
        'a.u1',
      ]);
    }
  });

  it('commits by the script SHA alone, and once more with the body when Redis has lost its scripts', async function () {
    const admin = new Redis(redis.url);
    try {
      const evals = async (): Promise<number> => {
        const line = /cmdstat_eval:calls=(\d+)/.exec(await admin.info('commandstats'));
        return Number(line?.[1] ?? 0);
      };
      await podA.commit({ reads: [], writes: [['ns/flushed', text('1'), 'a.f1']] });
      await admin.script('FLUSH');
      const before = await evals();
      const outcome = await podA.commit({
        reads: [['ns/flushed', 'a.f1']],
        writes: [['ns/flushed', text('2'), 'a.f2']],
      });
      assert.deepEqual(outcome, { ok: true });
      await podA.commit({
        reads: [['ns/flushed', 'a.f2']],
        writes: [['ns/flushed', text('3'), 'a.f3']],
      });
      assert.equal(await evals(), before + 1, 'one EVAL reloads the script; the next goes by SHA');
      assert.deepEqual((await podB.read(['ns/flushed'])).map(shown), [['ns/flushed', '3', 'a.f3']]);
    } finally {
      admin.disconnect();
    }
  });

  it('validates read-only transactions too, so a stale read is never answered', async function () {
    await podA.fetch(['ns/ro']);
    await podB.commit({ reads: [], writes: [['ns/ro', text('new'), 'b.2']] });
    assert.equal((await podA.commit({ reads: [['ns/ro', '']], writes: [] })).ok, false);
  });

  it('chains pipelined commits on one key without waiting for Redis between them', async function () {
    await podA.fetch(['ns/chain']);
    const versions = ['', 'a.c1', 'a.c2', 'a.c3', 'a.c4'];
    const commits = versions.slice(1).map((version, i) =>
      podA.commit({
        reads: [['ns/chain', versions[i] ?? '']],
        writes: [['ns/chain', text(String(i + 1)), version]],
      }),
    );
    assert.deepEqual(await Promise.all(commits), Array(4).fill({ ok: true }));
    assert.deepEqual((await podB.read(['ns/chain'])).map(shown), [['ns/chain', '4', 'a.c4']]);
  });

  it('stores an Idempotency-Key response with the writes; a second commit with the key applies nothing and replays it', async function () {
    const response = { numeric: true, output: text('41') };
    const first = await podA.commit({
      reads: [],
      writes: [['ns/paid', text('yes'), 'a.p1']],
      idempotency: { claim: claimOf('k-1'), response },
    });
    assert.deepEqual(first, { ok: true });
    const second = await podB.commit({
      reads: [],
      writes: [['ns/paid', text('twice'), 'b.p1']],
      idempotency: { claim: claimOf('k-1'), response: { numeric: true, output: text('42') } },
    });
    assert.ok(second.ok && second.replay);
    assert.equal(Buffer.from(second.replay.output).toString(), '41');
    assert.deepEqual((await podB.read(['ns/paid'])).map(shown), [['ns/paid', 'yes', 'a.p1']]);
    const found = await podB.recorded(claimOf('k-1'));
    assert.equal(found && Buffer.from(found.output).toString(), '41');
  });

  it('refuses an Idempotency-Key first used for another request (422)', async function () {
    await assert.rejects(podB.recorded(claimOf('k-1', 'other-request')), (error: GlassError) => {
      assert.equal(error.status, 422);
      assert.equal(error.code, 'idempotency_key_reused');
      return true;
    });
  });

  it('forgets an Idempotency-Key record after its TTL', async function () {
    await podA.commit({
      reads: [],
      writes: [],
      idempotency: {
        claim: claimOf('short', 'fp', 50),
        response: { numeric: false, output: text('') },
      },
    });
    assert.ok(await podA.recorded(claimOf('short', 'fp')));
    await delay(120);
    assert.equal(await podA.recorded(claimOf('short', 'fp')), undefined);
  });

  it("lets a pod whose invocation keeps losing take the namespace's turn; the other pod waits", async function () {
    await podA.fetch(['turns/k']);
    await podB.commit({ reads: [], writes: [['turns/k', text('b'), 'b.t1']] });
    // Pod A's fourth attempt is stale again: it takes the turn.
    const losing = await podA.commit({
      reads: [['turns/k', '']],
      writes: [['turns/k', text('a'), 'a.t1']],
      attempt: 4,
    });
    assert.equal(losing.ok, false);
    // Pod B, up to date, is still refused while A holds the turn, and learns to wait.
    const refused = await podB.commit({
      reads: [['turns/k', 'b.t1']],
      writes: [['turns/k', text('b2'), 'b.t2']],
    });
    assert.equal(refused.ok, false);
    assert.ok(podB.admit('turns') instanceof Promise, 'pod b should wait before its next attempt');
    // Pod A's retry, from the value the refusal brought back, goes through.
    const retry = await podA.commit({
      reads: [['turns/k', 'b.t1']],
      writes: [['turns/k', text('a2'), 'a.t2']],
      attempt: 5,
    });
    assert.deepEqual(retry, { ok: true });
    await podB.admit('turns');
    assert.equal(podB.admit('turns'), undefined);
  });

  describe('behind the tiered store', function () {
    const tiered = (global: GlobalTier, bootId: string): TieredStore =>
      new TieredStore({ local: new LocalTier(), global, bootId, registry: new Registry() });

    it('refuses a transaction that touches a local and a global namespace', function () {
      const store = tiered(podA, 'boot-a');
      store.assign(parseNamespaceTemplate('here'), 'local');
      store.assign(parseNamespaceTemplate('there'), 'global');
      assert.throws(
        () => store.commit({ reads: [['here/x', '']], writes: [['there/y', text('1'), 'v']] }),
        (error: GlassError) => {
          assert.equal(error.code, 'mixed_durability');
          assert.match(
            error.message,
            /namespace here \(durability: local\) and there \(durability: global\)/,
          );
          return true;
        },
      );
    });

    it('keeps local namespaces synchronous and in this process', function () {
      const store = tiered(podA, 'boot-a');
      store.assign(parseNamespaceTemplate('here'), 'local');
      const outcome = store.commit({ reads: [], writes: [['here/x', text('1'), 'v1']] });
      assert.deepEqual(outcome, { ok: true });
      assert.deepEqual(shown(store.peek('here/x')), ['here/x', '1', 'v1']);
    });

    it('makes admin versions unique per pod', function () {
      const [a, b] = [tiered(podA, 'boot-a'), tiered(podB, 'boot-b')];
      assert.notEqual(a.adminVersion(), b.adminVersion());
      assert.match(a.adminVersion(), /^boot-a\.m\.\d+$/);
    });
  });
});
