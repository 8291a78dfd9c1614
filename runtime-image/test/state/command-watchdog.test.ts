// The one timer that bounds every Redis command (ADR 47): alone with real timers, then on a
// real redis-server that hangs (SIGSTOP) in the middle of a commit.
import { strict as assert } from 'node:assert';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../../src/logger.js';
import { GlassError } from '../../src/runtime/errors.js';
import { CommandWatchdog } from '../../src/state/command-watchdog.js';
import { GlobalTier } from '../../src/state/global-tier.js';
import { RedisSettings } from '../../src/state/redis-config.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

describe('the command watchdog', function () {
  it('reports a command left unanswered for the timeout, once, and no earlier', async function () {
    let overdue = 0;
    const watchdog = new CommandWatchdog(80, () => overdue++);
    const sentAt = performance.now();
    watchdog.sent();
    await waitFor('the overdue report', () => Promise.resolve(overdue > 0), 2000);
    const after = performance.now() - sentAt;
    assert.ok(after >= 80, `reported after ${after.toFixed(0)} ms`);
    await delay(250);
    assert.equal(overdue, 1, 'one report per stuck command');
    watchdog.stop();
  });

  it('never reports commands that are answered, however many, and stops its timer when idle', async function () {
    let overdue = 0;
    const watchdog = new CommandWatchdog(40, () => overdue++);
    assert.equal(watchdog.running, false);
    for (let i = 0; i < 30; i++) {
      watchdog.sent();
      assert.equal(watchdog.running, true);
      await delay(5);
      watchdog.answered();
    }
    await delay(120);
    assert.equal(overdue, 0);
    assert.equal(watchdog.running, false, 'no timer left on an idle connection');
  });

  it('reports again only for a command sent after its last report', async function () {
    let overdue = 0;
    const watchdog = new CommandWatchdog(40, () => overdue++);
    watchdog.sent();
    await waitFor('the first report', () => Promise.resolve(overdue === 1), 2000);
    watchdog.sent();
    await waitFor('the second report', () => Promise.resolve(overdue === 2), 2000);
    watchdog.answered();
    watchdog.answered();
    await delay(150);
    assert.equal(overdue, 2);
    assert.equal(watchdog.running, false);
  });
});

describe('a Redis that stops answering in the middle of commits', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let pod: GlobalTier;

  before(async function () {
    redis = await RedisServer.start();
    pod = await GlobalTier.connect(
      RedisSettings.parse({ url: redis.url, commandTimeoutMs: 300 }),
      createLogger('silent', 'watchdog-test'),
    );
  });
  after(async function () {
    redis.thaw();
    await pod.close();
    await redis.stop();
  });

  it('answers the commit 503 after the command timeout, then recovers by itself with nothing lost', async function () {
    const one = new TextEncoder().encode('1');
    assert.deepEqual(await pod.commit({ reads: [], writes: [['hung/k', one, 'v.1']] }), {
      ok: true,
    });
    redis.freeze();
    const started = performance.now();
    const failure = await pod
      .commit({ reads: [['hung/k', 'v.1']], writes: [['hung/k', one, 'v.2']] })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const waited = performance.now() - started;
    redis.thaw();
    assert.ok(failure instanceof GlassError, String(failure));
    assert.equal(failure.status, 503);
    assert.match(
      failure.message,
      /Redis at 127\.0\.0\.1:\d+: no answer within 300 ms; the commit was not acknowledged/,
    );
    assert.ok(waited >= 300, `answered after ${waited.toFixed(0)} ms`);
    await waitFor(
      'the link to come back',
      () => Promise.resolve(pod.link.unavailableReason === undefined),
      10_000,
    );
    // The frozen commit was sent before the freeze took hold or after: either way it ran
    // once at most, and the pod starts again from what Redis holds.
    const [entry] = await pod.read(['hung/k']);
    assert.ok(entry?.[2] === 'v.1' || entry?.[2] === 'v.2', `version ${String(entry?.[2])}`);
    const next = await pod.commit({
      reads: [['hung/k', entry[2]]],
      writes: [['hung/k', one, 'v.3']],
    });
    assert.deepEqual(next, { ok: true });
    assert.equal((await pod.read(['hung/k']))[0]?.[2], 'v.3');
  });
});
