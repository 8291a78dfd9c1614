// Bounded-load consistent hashing for calls that touch no state (ADR 0101): a routing key's pod
// takes the call unless it is past `factor` times the mean in-flight load; then the next pod
// clockwise does. Namespace calls are never bounded: they go to the owner.
import assert from 'node:assert/strict';
import { MemberSet } from '../../src/router/membership.js';
import { PodTable } from '../../src/router/pods.js';

function table(balanceFactor: number): PodTable {
  const members = new MemberSet();
  for (const port of [9101, 9102, 9103]) {
    members.add({ name: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` });
  }
  return new PodTable(members, {
    virtualNodes: 150,
    probeTimeout: 100,
    balanceFactor,
    policy: { unhealthyThreshold: 3, healthyThreshold: 2 },
  });
}

describe('bounded-load placement of calls that touch no state', () => {
  const key = 'hot-user';

  it('sends a key to its ring owner while the owner is within its share of the load', async () => {
    const pods = table(1.25);
    const [owner] = pods.candidates(key, 3, true);
    const ringOwner = pods.ring.owner(key);
    assert.equal(owner?.name, ringOwner);
    await pods.close();
  });

  it('spills a hot key to the next pod clockwise once its owner is past 1.25x the mean', async () => {
    const pods = table(1.25);
    const walk = [...pods.ring.walk(key)];
    const owner = pods.pod(walk[0] ?? '');
    assert.ok(owner);
    owner.inFlight = 10;
    const [first, ...rest] = pods.candidates(key, 3, true);
    assert.equal(first?.name, walk[1], 'the next pod clockwise takes it');
    assert.deepEqual(
      rest.map((p) => p.name),
      [walk[0], walk[2]],
      'the owner stays a failover candidate, after it',
    );
    await pods.close();
  });

  it('never bounds a namespace call, and never bounds with a factor of 0', async () => {
    for (const [factor, bounded] of [
      [1.25, false],
      [0, true],
    ] as const) {
      const pods = table(factor);
      const walk = [...pods.ring.walk(key)];
      const owner = pods.pod(walk[0] ?? '');
      assert.ok(owner);
      owner.inFlight = 50;
      assert.equal(pods.candidates(key, 3, bounded)[0]?.name, walk[0]);
      await pods.close();
    }
  });
});
