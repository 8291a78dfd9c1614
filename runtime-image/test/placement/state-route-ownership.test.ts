// A `PUT /state` is acknowledged only if its write landed at the namespace's owner (ADR 0101).
// The route checks ownership when the request arrives, but the body can take long to arrive:
// when the namespace moves to another pod meanwhile (a rolling update), the write must not
// land on this pod's copy, which was already handed over and which nobody reads any more.
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../../src/local/ports.js';
import { Ownership } from '../../src/placement/ownership.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { serveRuntime, type RunningRuntime } from '../../src/runtime/serve.js';
import { call, SAMPLES } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';

interface Pod {
  name: string;
  base: string;
  port: number;
  running?: RunningRuntime;
}

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
  const pods: Pod[] = [];
  let membersFile: string;

  const writeMembers = async (members: Pod[]): Promise<void> => {
    const next = `${membersFile}.next`;
    await writeFile(next, JSON.stringify(members.map((p) => ({ name: p.name, url: p.base }))));
    await rename(next, membersFile);
  };

  before(async function () {
    membersFile = join(await mkdtemp(join(tmpdir(), 'glass-state-route-')), 'members.json');
    for (const name of ['pod-a', 'pod-b']) {
      const port = await freePort();
      pods.push({ name, port, base: `http://127.0.0.1:${port}` });
    }
    await writeMembers(pods);
    for (const pod of pods) {
      const config = {
        port: pod.port,
        host: '127.0.0.1',
        podName: pod.name,
        faaslets: [SAMPLES],
        workers: 1,
        maxBodyBytes: 1024 * 1024,
        logLevel: 'silent',
        membersFile,
      } as RuntimeConfig;
      pod.running = await serveRuntime(config, createLogger('silent', pod.name));
    }
  });
  after(async function () {
    for (const pod of pods) await pod.running?.close();
  });

  it('is not acknowledged unless the owner has the value', async function () {
    const [a, b] = pods as [Pod, Pod];
    const ring = new Ownership({ virtualNodes: 150 });
    ring.update(pods.map((p) => ({ name: p.name, url: p.base })));
    const namespace = Array.from({ length: 200 }, (_, i) => `moving-${i}`).find(
      (ns) => ring.ownerOf(ns)?.name === a.name,
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
