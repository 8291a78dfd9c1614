// A `PUT /state` is acknowledged only if its write landed at the namespace's owner (ADR 0101).
// The route checks ownership when the request arrives, but the body can take long to arrive:
// when the namespace moves to another pod meanwhile (a rolling update), the write must not
// land on this pod's copy, which was already handed over and which nobody reads any more.
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
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

/** A PUT whose headers and first bytes are sent now, and the rest when `finish` is called. */
function slowPut(pod: Pod, path: string, first: string, rest: string) {
  let finish = (): void => undefined;
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: pod.port,
        method: 'PUT',
        path,
        headers: { 'content-length': String(first.length + rest.length) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text });
        });
      },
    );
    req.on('error', reject);
    req.write(first);
    finish = () => {
      req.end(rest);
    };
  });
  return {
    answered,
    finish: () => {
      finish();
    },
  };
}

describe('a PUT /state whose namespace moves away while its body arrives', function () {
  let pods: Pod[] = [];

  // Every pod follows one members file: they all see each change at once.
  const writeMembers = (members: Pod[]): Promise<void> => follow(pods[0]!, members);

  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), 'glass-state-route-'));
    pods = await startMemberPods(dir, ['pod-a', 'pod-b'], {
      faaslets: [SAMPLES],
      sharedMembersFile: true,
    });
  });
  after(async function () {
    await closeMemberPods(pods);
  });

  it('is not acknowledged unless the owner has the value', async function () {
    const [a, b] = pods as [Pod, Pod];
    const namespace = Array.from({ length: 200 }, (_, i) => `moving-${i}`).find(
      (ns) => ownerOf(ns, pods) === a.name,
    );
    assert.ok(namespace, 'some namespace is pod a’s');
    assert.equal((await call(a.base, 'PUT', `/state/${namespace}/first`, 'one')).status, 204);

    // The body of the second write is still on its way when pod a leaves the membership.
    const put = slowPut(a, `/state/${namespace}/second`, 'tw', 'o');
    await new Promise((r) => setTimeout(r, 200));
    await writeMembers([b]);
    await waitFor(
      'pod b to serve the namespace pod a handed over',
      async () => (await call(b.base, 'GET', `/state/${namespace}/first`)).text === 'one',
      20_000,
    );
    put.finish();
    const answer = await put.answered;

    const atOwner = await call(b.base, 'GET', `/state/${namespace}/second`);
    if (answer.status === 204) {
      assert.equal(atOwner.status, 200, 'an acknowledged write must be at the owner');
      assert.equal(atOwner.text, 'two');
    } else {
      assert.equal(answer.status, 503, answer.text);
      assert.match(answer.text, /not_owner/);
      assert.equal(atOwner.status, 404, 'a refused write applied nothing');
    }
    assert.equal((await call(b.base, 'GET', `/state/${namespace}/first`)).text, 'one');
  });
});
