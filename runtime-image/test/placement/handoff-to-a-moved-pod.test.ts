// Two quick membership changes that pods see at different moments (ADR 0103): pod a hands a
// namespace to pod b, its owner in the view pod a has, but pod b has already moved on to a
// view in which pod c owns it, and has told pod c it is done. The namespace must still reach
// pod c; before, pod b kept it, unowned and unread, and pod c served the namespace empty.
// Every pod follows its own members file, so the test decides who sees which view when.
import { strict as assert } from 'node:assert';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
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
  membersFile: string;
  running?: RunningRuntime;
}

async function follow(pod: Pod, members: Pod[]): Promise<void> {
  const next = `${pod.membersFile}.next`;
  await writeFile(next, JSON.stringify(members.map((p) => ({ name: p.name, url: p.base }))));
  await rename(next, pod.membersFile);
}

function ownerOf(namespace: string, members: Pod[]): string | undefined {
  const ring = new Ownership({ virtualNodes: 150 });
  ring.update(members.map((p) => ({ name: p.name, url: p.base })));
  return ring.ownerOf(namespace)?.name;
}

/** Whether `pod` sees `owner` as the owner of `namespace`: a marked request says so in a 503. */
async function sees(pod: Pod, namespace: string, owner: string): Promise<boolean> {
  const answer = await call(pod.base, 'GET', `/state/${namespace}/k`, undefined, {
    'x-glass-forwarded-by': 'the-test',
  });
  return answer.status === 503 && answer.text.includes(`sees ${owner} as its owner`);
}

describe('a hand-off that reaches a pod which has moved on to a newer membership', function () {
  const pods: Pod[] = [];

  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), 'glass-moved-pod-'));
    for (const name of ['pod-a', 'pod-b', 'pod-c']) {
      const port = await freePort();
      pods.push({ name, port, base: `http://127.0.0.1:${port}`, membersFile: join(dir, name) });
    }
    for (const pod of pods) await follow(pod, pods);
    for (const pod of pods) {
      const config = {
        port: pod.port,
        host: '127.0.0.1',
        podName: pod.name,
        faaslets: [SAMPLES],
        workers: 1,
        maxBodyBytes: 1024 * 1024,
        logLevel: 'silent',
        membersFile: pod.membersFile,
        handoffTimeoutMs: 10_000,
      } as RuntimeConfig;
      pod.running = await serveRuntime(config, createLogger('silent', pod.name));
    }
  });
  after(async function () {
    for (const pod of pods) await pod.running?.close();
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
