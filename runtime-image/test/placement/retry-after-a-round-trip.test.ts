// A call still running when its namespace leaves its pod and comes back (two quick membership
// changes) must not commit before the namespace's state is back (ADR 0103). Before, its commit
// conflicted with the emptied namespace, and the retry ran at once on the empty copy: it
// answered from a state no serial order had, and the hand-back then replaced what it wrote.
// Every pod follows its own members file, so the test decides who sees which view when.
import { strict as assert } from 'node:assert';
import { mkdtemp, writeFile } from 'node:fs/promises';
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
import { call } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';
import { watToWasm } from '../support/wat.js';

/** `slow_add(ms)`: adds 1 to "n", keeps its worker busy for `ms`, answers the new "n". */
const SLOW_ADD = `(module
  (import "glass" "state_increment" (func $inc (param i32 i32 i64) (result i64)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "n")
  (func $now (result i64)
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 64)))
    (i64.load (i32.const 64)))
  (func (export "slow_add") (param $ms i32) (result i32)
    (local $n i64) (local $until i64)
    (local.set $n (call $inc (i32.const 16) (i32.const 1) (i64.const 1)))
    (local.set $until
      (i64.add (call $now) (i64.mul (i64.extend_i32_u (local.get $ms)) (i64.const 1000000))))
    (block $done (loop $wait (br_if $done (i64.ge_u (call $now) (local.get $until))) (br $wait)))
    (i32.wrap_i64 (local.get $n))))`;

/** Whether `pod` holds calls on `namespace` at its gate: it waits for a hand-off. */
async function gated(pod: Pod, namespace: string): Promise<boolean> {
  try {
    await fetch(`${pod.base}/state/${namespace}/n`, { signal: AbortSignal.timeout(300) });
    return false;
  } catch {
    return true;
  }
}

describe('a call whose namespace leaves its pod and comes back while it runs', function () {
  let pods: Pod[] = [];

  before(async function () {
    const dir = await mkdtemp(join(tmpdir(), 'glass-round-trip-'));
    const wasm = await watToWasm('slow-add.wat', SLOW_ADD);
    await writeFile(
      join(dir, 'slow.yaml'),
      `apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: slow}
spec:
  module: {inline: ${Buffer.from(wasm).toString('base64')}}
  limits: {timeout: 30s}
  state: {namespace: 'slow-{key}', durability: local}
`,
    );
    pods = await startMemberPods(dir, ['pod-a', 'pod-b'], {
      faaslets: [join(dir, 'slow.yaml')],
      handoffTimeoutMs: 10_000,
    });
  });
  after(async function () {
    await closeMemberPods(pods);
  });

  it('commits only on the namespace’s state, once it is back', async function () {
    const [a, b] = pods as [Pod, Pod];
    const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find(
      (k) => ownerOf(`slow-${k}`, pods) === a.name,
    );
    assert.ok(key);
    const namespace = `slow-${key}`;
    const path = `/invoke/slow/slow_add/${key}`;
    assert.equal((await call(a.base, 'POST', `${path}?value=0`)).text, '1');

    const slow = call(a.base, 'POST', `${path}?value=1500`);
    await delay(200);
    // The namespace goes to pod b (pod b sees only itself)...
    await follow(b, [b]);
    await follow(a, [b]);
    await waitFor(
      'pod b to serve what pod a handed over',
      async () => (await call(b.base, 'GET', `/state/${namespace}/n`)).text === '1',
    );
    // ...and comes back to pod a, which waits for pod b to hand it back.
    await follow(a, pods);
    await waitFor('pod a to wait for the hand-back', () => gated(a, namespace));
    // The slow call's first attempt ends now; give it time to run again and answer.
    const early = await Promise.race([slow, delay(4000).then(() => undefined)]);
    await follow(b, pods);
    const answer = early ?? (await slow);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, '2', 'the second add must see the first');
    await waitFor('pod a to serve the namespace again', async () => !(await gated(a, namespace)));
    assert.equal((await call(a.base, 'GET', `/state/${namespace}/n`)).text, '2');
  });
});
