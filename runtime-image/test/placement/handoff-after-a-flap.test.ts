// A pod that leaves the membership and comes back (a readiness flap) is in a view with the same
// members as before (ADR 0103). The `done` its peer sent for that view the first time must not
// let it serve a namespace it regains before the peer hands it over this time; before, it
// served the namespace empty, and then the hand-off replaced whatever it had written.
// Every pod follows its own members file, so the test decides who sees which view when.
import { strict as assert } from 'node:assert';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closeMemberPods,
  follow,
  ownerOf,
  startMemberPods,
  type MemberPod as Pod,
} from '../support/member-pods.js';
import { call, SAMPLES } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';

/** Whether `pod` owns `namespace`: it serves it (or holds it at its gate) instead of a 503. */
async function owns(pod: Pod, namespace: string): Promise<boolean> {
  try {
    const answer = await fetch(`${pod.base}/state/${namespace}/k`, {
      headers: { 'x-glass-forwarded-by': 'the-test' },
      signal: AbortSignal.timeout(300),
    });
    await answer.text();
    return answer.status !== 503;
  } catch {
    return true;
  }
}

describe('a pod that regains a namespace in a view it was in before', function () {
  let pods: Pod[] = [];

  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), 'glass-flap-'));
    pods = await startMemberPods(dir, ['pod-a', 'pod-b'], {
      faaslets: [SAMPLES],
      handoffTimeoutMs: 5000,
    });
  });
  after(async function () {
    await closeMemberPods(pods);
  });

  it('waits for this hand-off, not the last one, and serves what it carries', async function () {
    const [a, b] = pods as [Pod, Pod];
    const namespace = Array.from({ length: 200 }, (_, i) => `flap-${i}`).find(
      (ns) => ownerOf(ns, [a, b]) === b.name,
    );
    assert.ok(namespace);
    assert.equal((await call(b.base, 'PUT', `/state/${namespace}/k`, 'first')).status, 204);
    // Pod b drops out; pod a takes the namespace over and writes to it.
    await follow(b, [a]);
    await follow(a, [a]);
    await waitFor(
      'pod a to serve the namespace',
      async () => (await call(a.base, 'GET', `/state/${namespace}/k`)).text === 'first',
    );
    assert.equal((await call(a.base, 'PUT', `/state/${namespace}/k`, 'second')).status, 204);
    // Pod b is back in the view it had at the start, before pod a sees it back.
    await follow(b, [a, b]);
    const fresh = Array.from({ length: 200 }, (_, i) => `fresh-${i}`).find(
      (ns) => ownerOf(ns, [a, b]) === b.name,
    );
    assert.ok(fresh);
    await waitFor('pod b back in the first view', () => owns(b, fresh));
    const read = call(b.base, 'GET', `/state/${namespace}/k`);
    await follow(a, [a, b]);
    const got = await read;
    assert.equal(got.status, 200, `pod b served the namespace without its state: ${got.text}`);
    assert.equal(got.text, 'second');
  });
});
