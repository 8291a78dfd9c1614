// Two quick membership changes that pods see at different moments (ADR 0103): pod a hands a
// namespace to pod b, its owner in the view pod a has, but pod b has already moved on to a
// view in which pod c owns it, and has told pod c it is done. The namespace must still reach
// pod c; before, pod b kept it, unowned and unread, and pod c served the namespace empty.
// Every pod follows its own members file, so the test decides who sees which view when.
import { strict as assert } from 'node:assert';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  closeMemberPods,
  follow,
  ownerOf,
  startMemberPods,
  type MemberPod as Pod,
} from '../support/member-pods.js';
import { call, SAMPLES } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';

/** Whether `pod` sees `owner` as the owner of `namespace`: a marked request says so in a 503. */
async function sees(pod: Pod, namespace: string, owner: string): Promise<boolean> {
  const answer = await call(pod.base, 'GET', `/state/${namespace}/k`, undefined, {
    'x-glass-forwarded-by': 'the-test',
  });
  return answer.status === 503 && answer.text.includes(`sees ${owner} as its owner`);
}

describe('a hand-off that reaches a pod which has moved on to a newer membership', function () {
  let pods: Pod[] = [];

  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), 'glass-moved-pod-'));
    pods = await startMemberPods(dir, ['pod-a', 'pod-b', 'pod-c'], {
      faaslets: [SAMPLES],
      handoffTimeoutMs: 10_000,
    });
  });
  after(async function () {
    await closeMemberPods(pods);
  });

  it('passes the namespace on to its owner, which serves it with its state', async function () {
    const [a, b, c] = pods as [Pod, Pod, Pod];
    // Pod a owns it among all three; pod b once pod a is out; pod c alone at the end.
    const namespace = Array.from({ length: 500 }, (_, i) => `moving-${i}`).find(
      (ns) => ownerOf(ns, [a, b, c]) === a.name && ownerOf(ns, [b, c]) === b.name,
    );
    assert.ok(namespace);
    const put = await call(a.base, 'PUT', `/state/${namespace}/k`, 'kept');
    assert.equal(put.status, 204, put.text);

    // Pod b has moved on to the last view (only pod c) and said done to pod c, with nothing.
    await follow(b, [c]);
    await waitFor('pod b in the last view', () => sees(b, namespace, c.name));
    // Pod a is one view behind: it hands the namespace to pod b, its owner there.
    await follow(a, [b, c]);
    await waitFor('pod a in the middle view', () => sees(a, namespace, b.name));
    await delay(500);
    // Then pod a and pod c see the last view too.
    await follow(a, [c]);
    await follow(c, [c]);

    await waitFor(
      'pod c to serve the namespace with its state',
      async () => {
        const got = await call(c.base, 'GET', `/state/${namespace}/k`);
        assert.notEqual(got.status, 404, 'pod c served the namespace without its state');
        return got.status === 200 && got.text === 'kept';
      },
      20_000,
    );
  });
});
