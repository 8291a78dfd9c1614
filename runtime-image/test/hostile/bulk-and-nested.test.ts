import { strict as assert } from 'node:assert';
import { runGlass, type CliProcess } from '../support/cli-process.js';
import { fixtureFaaslets } from '../support/fixture-faaslets.js';
import { loopbackAgent, REPO_ROOT, type Answer } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';

const TIMEOUT_MS = 1000;
/** The bounds: the 504 within timeout + 100 ms, every other answer within 100 ms. */
const SLACK_MS = 100;
/**
 * These 2-core machines run four engineers' tests at once (load average 8 when this was
 * written), and the OS alone then delays a process past 100 ms now and then, guest or no
 * guest. So 98% of the probes must meet the bound and none may take 500 ms: a pod whose HTTP
 * thread a guest holds answers none of them for seconds, as before this test's fix.
 */
const WITHIN_BOUND_SHARE = 0.98;
const CEILING_MS = 500;

/** A call that gives up (status 0) after `limitMs`, so a stalled pod fails the test, not mocha. */
async function timedCall(base: string, path: string, limitMs: number): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method: path.startsWith('/invoke/') ? 'POST' : 'GET',
      signal: AbortSignal.timeout(limitMs),
      // @ts-expect-error undici's dispatcher option is not in the DOM-less fetch types
      dispatcher: loopbackAgent,
    });
    return {
      status: response.status,
      text: await response.text(),
      ms: performance.now() - started,
    };
  } catch {
    return { status: 0, text: 'no answer', ms: performance.now() - started };
  }
}

/** `/health` and a normal call, back to back, until `until` settles. */
async function probesDuring(base: string, until: Promise<unknown>): Promise<Answer[]> {
  const state = { done: false };
  void until.finally(() => {
    state.done = true;
  });
  const answers: Answer[] = [];
  for (let i = 0; i < 2000 && !state.done; i++) {
    answers.push(await timedCall(base, '/health', 2000));
    answers.push(await timedCall(base, '/invoke/counter/get', 2000));
  }
  return answers;
}

const cases = [
  { name: 'a guest looping memory.fill(0, 0, 64Mi)', path: '/invoke/fill/run' },
  { name: 'a guest looping state_set of a 1 MiB value', path: '/invoke/fill/set_loop' },
  { name: 'a guest that calls itself forever through `call`', path: '/invoke/recurse/run' },
];

describe('hostile guests: bulk work and nested calls on a real runtime process', function () {
  let glass: CliProcess;
  let base: string;

  before(async function () {
    const fixtures = await fixtureFaaslets([
      { name: 'fill', limits: `timeout: ${TIMEOUT_MS}ms` },
      { name: 'recurse', limits: `timeout: ${TIMEOUT_MS}ms` },
    ]);
    const counter = `${REPO_ROOT}crds/samples/counter.yaml`;
    glass = runGlass(['runtime', '--port', '0', '--faaslets', fixtures, counter]);
    const ready = JSON.parse(await glass.line(/"msg":"runtime ready"/)) as { port: number };
    base = `http://127.0.0.1:${ready.port}`;
    // The fast lane meters modules in the background after a load: wait until it serves.
    await waitFor('the fast lane to serve counter/get', async () => {
      await timedCall(base, '/invoke/counter/get', 2000);
      const metrics = await timedCall(base, '/metrics', 2000);
      return /glass_invocation_lane_total\{lane="main"\} [1-9]/.test(metrics.text);
    });
  });
  after(async function () {
    await glass.stop();
  });

  for (const tc of cases) {
    it(`stops ${tc.name} with 504 within its timeout + 100 ms, while /health and a normal call answer within 100 ms`, async function () {
      const hostile = timedCall(base, tc.path, TIMEOUT_MS + 3000);
      const probes = await probesDuring(base, hostile);
      const answer = await hostile;
      assert.equal(answer.status, 504, `${tc.path}: ${answer.status} ${answer.text}`);
      assert.ok(
        answer.ms <= TIMEOUT_MS + SLACK_MS,
        `504 after ${answer.ms.toFixed(0)} ms, over ${TIMEOUT_MS} + ${SLACK_MS}`,
      );
      assert.ok(probes.length >= 10, `only ${probes.length} probes answered meanwhile`);
      assert.deepEqual(new Set(probes.map((p) => p.status)), new Set([200]));
      const slow = probes
        .map((p, i) => ({ i, ms: Math.round(p.ms) }))
        .filter((p) => p.ms > SLACK_MS);
      const report = `probes over ${SLACK_MS} ms (of ${probes.length}): ${JSON.stringify(slow)}`;
      assert.ok(slow.length <= probes.length * (1 - WITHIN_BOUND_SHARE), report);
      assert.ok(
        slow.every((p) => p.ms < CEILING_MS),
        report,
      );
    });
  }
});
