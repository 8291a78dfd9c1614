import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { HashRing, type RingHash } from '../../src/router/ring.js';

/** A hash from a table: each input maps to the given 32-bit points (one per 4-byte word). */
function tableHash(table: Record<string, number | number[]>): RingHash {
  return (input) => {
    const entry = table[input];
    if (entry === undefined) throw new Error(`test hash has no entry for "${input}"`);
    const points = Array.isArray(entry) ? entry : [entry];
    const bytes = new Uint8Array(points.length * 4);
    const view = new DataView(bytes.buffer);
    points.forEach((p, i) => {
      view.setUint32(i * 4, p);
    });
    return bytes;
  };
}

// Points, sorted: 100 a, 200 c, 300 b, 500 c, 600 a, 900 b.
const POINTS = { 'a#0': 100, 'a#1': 600, 'b#0': 300, 'b#1': 900, 'c#0': 500, 'c#1': 200 };
const KEYS = {
  k50: 50,
  k100: 100,
  k150: 150,
  k250: 250,
  k450: 450,
  k550: 550,
  k700: 700,
  k950: 950,
};
const hash = tableHash({ ...POINTS, ...KEYS });
const ring = (members: string[]): HashRing => new HashRing(members, { virtualNodes: 2, hash });

describe('hash ring', () => {
  describe('owners computed by hand with an injected hash', () => {
    const cases: { name: string; key: keyof typeof KEYS; members: string[]; owner: string }[] = [
      {
        name: 'a key before the first point belongs to the first point',
        key: 'k50',
        members: ['a', 'b', 'c'],
        owner: 'a',
      },
      {
        name: 'a key on a point belongs to that point',
        key: 'k100',
        members: ['a', 'b', 'c'],
        owner: 'a',
      },
      {
        name: 'a key between points belongs to the next point clockwise',
        key: 'k150',
        members: ['a', 'b', 'c'],
        owner: 'c',
      },
      {
        name: 'a key before b#0 at 300 belongs to b',
        key: 'k250',
        members: ['a', 'b', 'c'],
        owner: 'b',
      },
      {
        name: 'a key before c#0 at 500 belongs to c',
        key: 'k450',
        members: ['a', 'b', 'c'],
        owner: 'c',
      },
      {
        name: 'a key before a#1 at 600 belongs to a',
        key: 'k550',
        members: ['a', 'b', 'c'],
        owner: 'a',
      },
      {
        name: 'a key before b#1 at 900 belongs to b',
        key: 'k700',
        members: ['a', 'b', 'c'],
        owner: 'b',
      },
      {
        name: 'a key past the last point wraps around to the first',
        key: 'k950',
        members: ['a', 'b', 'c'],
        owner: 'a',
      },
      {
        name: 'without b, its key at 250 goes to the next point clockwise (c at 500)',
        key: 'k250',
        members: ['a', 'c'],
        owner: 'c',
      },
      {
        name: 'without b, its key at 700 goes to the next point clockwise (wraps to a at 100)',
        key: 'k700',
        members: ['a', 'c'],
        owner: 'a',
      },
      { name: 'a one-member ring owns everything', key: 'k450', members: ['b'], owner: 'b' },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        assert.equal(ring(tc.members).owner(tc.key), tc.owner);
      });
    }
  });

  describe('walking clockwise', () => {
    const cases = [
      { name: 'from 250 the order is b, c, a', key: 'k250', order: ['b', 'c', 'a'] },
      { name: 'from 950 the order wraps: a, c, b', key: 'k950', order: ['a', 'c', 'b'] },
      { name: 'from 550 the order is a, b, c', key: 'k550', order: ['a', 'b', 'c'] },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        assert.deepEqual([...ring(['a', 'b', 'c']).walk(tc.key)], tc.order);
      });
    }

    it('the second pod of a walk is the owner once the first is removed, for 5,000 keys', () => {
      const members = ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080', '10.0.0.4:8080'];
      const full = new HashRing(members);
      const without = new Map(
        members.map((m) => [m, new HashRing(members.filter((o) => o !== m))]),
      );
      for (let i = 0; i < 5000; i++) {
        const key = `user-${i}`;
        const [first = '', second] = [...full.walk(key)];
        assert.equal(without.get(first)?.owner(key), second, key);
      }
    });
  });

  describe('construction', () => {
    it('does not depend on the order members are given in', () => {
      const orders = [
        ['a', 'b', 'c'],
        ['c', 'b', 'a'],
        ['b', 'a', 'c'],
      ];
      const owners = orders.map((o) => Object.keys(KEYS).map((k) => ring(o).owner(k)));
      assert.deepEqual(owners[1], owners[0]);
      assert.deepEqual(owners[2], owners[0]);
    });

    it('breaks a tie between equal points by member name, whatever the order', () => {
      const tie = tableHash({ 'x#0': 100, 'y#0': 100, k: 100 });
      assert.equal(new HashRing(['y', 'x'], { virtualNodes: 1, hash: tie }).owner('k'), 'x');
      assert.equal(new HashRing(['x', 'y'], { virtualNodes: 1, hash: tie }).owner('k'), 'x');
    });

    it('places one point per 4-byte word of a longer digest', () => {
      const wide = tableHash({ 'a#0': [100, 700], 'b#0': [300, 900], k650: 650, k800: 800 });
      const r = new HashRing(['a', 'b'], { virtualNodes: 1, hash: wide });
      assert.equal(r.owner('k650'), 'a');
      assert.equal(r.owner('k800'), 'b');
    });

    it('is the same ring when built from cached member points', () => {
      const cache = new Map<string, Uint32Array>();
      const pods = ['p1', 'p2', 'p3', 'p4'];
      new HashRing(pods, { cache });
      assert.deepEqual([...cache.keys()].sort(), pods);
      const cached = new HashRing(pods.slice(1), { cache });
      const fresh = new HashRing(pods.slice(1));
      for (let k = 0; k < 2000; k++) assert.equal(cached.owner(`k${k}`), fresh.owner(`k${k}`));
      assert.deepEqual(cached.shares(), fresh.shares());
    });

    it('has no owner for any key when it has no members', () => {
      assert.equal(new HashRing([]).owner('anything'), undefined);
      assert.deepEqual([...new HashRing([]).walk('anything')], []);
    });

    const invalid = [
      { name: 'refuses zero virtual nodes', make: () => new HashRing(['a'], { virtualNodes: 0 }) },
      {
        name: 'refuses a hash shorter than 4 bytes',
        make: () => new HashRing(['a'], { hash: () => new Uint8Array(3) }),
      },
    ];
    for (const tc of invalid)
      it(tc.name, () => {
        assert.throws(tc.make);
      });
  });

  describe('shares', () => {
    it("are the arcs ending at each member's points, computed by hand", () => {
      const shares = ring(['a', 'b', 'c']).shares();
      assert.equal(shares.get('b'), 400 / 2 ** 32); // (200, 300] and (600, 900]
      assert.equal(shares.get('c'), 300 / 2 ** 32); // (100, 200] and (300, 500]
      assert.equal(shares.get('a'), (2 ** 32 - 700) / 2 ** 32);
    });

    it('go to the next serving member clockwise when one is excluded, and still sum to 1', () => {
      const shares = ring(['a', 'b', 'c']).shares((m) => m !== 'a');
      assert.equal(shares.get('a'), 0);
      // a's (500, 600] goes to b at 900; a's (900, 2^32 + 100] goes to c at 200.
      assert.equal(shares.get('b'), 500 / 2 ** 32);
      assert.equal(shares.get('c'), (2 ** 32 - 500) / 2 ** 32);
    });

    it('of 3 pods with the default SHA-256 ring sum to 1', () => {
      const shares = new HashRing(['127.0.0.1:4001', '127.0.0.1:4002', '127.0.0.1:4003']).shares();
      const sum = [...shares.values()].reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`);
    });
  });

  describe('distribution and movement with the default SHA-256 ring', () => {
    // Fresh random pod names each run, so this is a property of the ring, not of lucky names.
    const podSets = Array.from({ length: 5 }, () =>
      Array.from({ length: 3 }, () => `127.0.0.1:${randomInt(1024, 65_536)}`),
    );
    for (const [i, pods] of podSets.entries()) {
      it(`spreads 10,000 random user ids over 3 pods with max/mean <= 1.15 (pod set ${i + 1}: ${pods.join(' ')})`, () => {
        const r = new HashRing(pods);
        const load = new Map<string, number>();
        for (let k = 0; k < 10_000; k++) {
          const owner = r.owner(randomUUID()) ?? '';
          load.set(owner, (load.get(owner) ?? 0) + 1);
        }
        const ratio = Math.max(...load.values()) / (10_000 / 3);
        assert.equal(load.size, 3);
        assert.ok(ratio <= 1.15, `max/mean ${ratio.toFixed(3)}: ${JSON.stringify([...load])}`);
      });
    }

    const moves = [
      {
        name: 'removing one of 3 pods moves only the keys that pod owned',
        before: ['p1', 'p2', 'p3'],
        after: ['p1', 'p3'],
      },
      {
        name: 'removing one of 5 pods moves only the keys that pod owned',
        before: ['p1', 'p2', 'p3', 'p4', 'p5'],
        after: ['p1', 'p2', 'p4', 'p5'],
      },
      {
        name: 'adding a 4th pod moves keys only onto the new pod',
        before: ['p1', 'p2', 'p3'],
        after: ['p1', 'p2', 'p3', 'p4'],
      },
    ];
    for (const tc of moves) {
      it(tc.name, () => {
        const before = new HashRing(tc.before);
        const after = new HashRing(tc.after);
        const changedPod = [...tc.before, ...tc.after].find(
          (p) => !tc.before.includes(p) || !tc.after.includes(p),
        );
        let moved = 0;
        for (let k = 0; k < 10_000; k++) {
          const key = `user-${k}`;
          const [was, is] = [before.owner(key), after.owner(key)];
          if (was === is) continue;
          moved += 1;
          assert.ok(was === changedPod || is === changedPod, `${key} moved ${was} -> ${is}`);
        }
        assert.ok(moved > 0, 'some keys moved');
      });
    }
  });
});
