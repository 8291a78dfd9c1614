// The hand-off's rule, with real stores and rings, two pods wired to each other in-process:
// a pod that gains a namespace serves it only after every pod that may still hold it (through
// several quick membership changes, as in a rollout) said it is done (ADR 0103).
import assert from 'node:assert/strict';
import { parseNamespaceTemplate } from '@glass/crds';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { HandoffMessage } from '../../src/placement/handoff-wire.js';
import { Ownership } from '../../src/placement/ownership.js';
import type { Member } from '../../src/router/membership.js';
import { HashRing } from '../../src/router/ring.js';
import { Handoff } from '../../src/runtime/handoff.js';
import { RuntimeMetrics } from '../../src/runtime/metrics.js';
import { LocalTier } from '../../src/state/local-tier.js';
import { TieredStore } from '../../src/state/tiers.js';

const A: Member = { name: 'pod-a', url: 'http://127.0.0.1:1' };
const B: Member = { name: 'pod-b', url: 'http://127.0.0.1:2' };

interface Pod {
  member: Member;
  ownership: Ownership;
  store: TieredStore;
  handoff: Handoff;
  /** Messages this pod sent, held until the test delivers them. */
  outbox: { to: Member; message: HandoffMessage }[];
}

function pod(member: Member): Pod {
  const ownership = new Ownership({ virtualNodes: 150 });
  const store = new TieredStore({
    local: new LocalTier(),
    global: undefined,
    bootId: member.name,
    registry: new Registry(),
  });
  store.assign(parseNamespaceTemplate('cart-{user}'), 'local');
  const outbox: Pod['outbox'] = [];
  const handoff = new Handoff({
    self: member.name,
    ownership,
    store,
    invalidate: () => undefined,
    metrics: new RuntimeMetrics(() => 0),
    log: pino({ level: 'silent' }),
    timeoutMs: 5000,
    send: (to, message) => {
      outbox.push({ to, message });
      return Promise.resolve();
    },
    reachable: () => Promise.resolve(true),
  });
  return { member, ownership, store, handoff, outbox };
}

/** Moves `p` to `members`, as its membership would. */
async function change(p: Pod, members: Member[]): Promise<void> {
  const previous = p.ownership.currentRing;
  const departed = p.ownership.members.filter((m) => !members.some((n) => n.name === m.name));
  p.ownership.update(members);
  await p.handoff.changed(previous, departed, members);
}

/** A namespace pod-a owns alone that pod-b owns once both are members. */
function movingNamespace(): string {
  const both = new HashRing([A.name, B.name]);
  for (let i = 0; ; i++) if (both.owner(`cart-u${i}`) === B.name) return `cart-u${i}`;
}

describe('hand-off across quick membership changes (real stores and rings)', () => {
  it('keeps a gained namespace waiting until every pod that may hold it said done, then has its state', async () => {
    const namespace = movingNamespace();
    const a = pod(A);
    const b = pod(B);
    await change(a, [A]);
    await a.store.commit({
      reads: [],
      writes: [[`${namespace}/apple`, new TextEncoder().encode('3'), 'v1']],
    });
    // pod-b joins, then pod-a leaves, before pod-a has sent anything: a rollout's two steps.
    await change(b, [A]);
    await change(b, [A, B]);
    await change(b, [B]);
    const gate = b.handoff.gate(namespace);
    assert.ok(gate, 'pod-b must not serve the namespace yet: pod-a may still hold it');
    let served = false;
    void gate.then(() => {
      served = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(served, false);
    // pod-a leaves: it owns nothing and sends its carts to pod-b, with done for [pod-b].
    await change(a, [B]);
    for (const { message } of a.outbox) b.handoff.receive(message);
    await gate;
    assert.equal(
      new TextDecoder().decode(b.store.peek(`${namespace}/apple`)?.[1] ?? new Uint8Array()),
      '3',
    );
    assert.equal(a.store.peek(`${namespace}/apple`)?.[1], null, 'pod-a kept no copy');
    assert.equal(b.handoff.gate(namespace), undefined, 'and then it serves at once');
  });
});
