// The consistent-hash ring: pure, immutable, with an injectable hash (docs/adr/0020).
import { hash } from 'node:crypto';

/**
 * A hash for the ring, with a digest of fixed length: every whole 32-bit big-endian word of a
 * member's digest is one ring point; a key's point is the first word of its digest.
 */
export type RingHash = (input: string) => Uint8Array;

/** SHA-256, as the original Glass ring used: 8 ring points per digest. */
export const sha256: RingHash = (input) => hash('sha256', input, 'buffer');

export const DEFAULT_VIRTUAL_NODES = 150;
const SPACE = 2 ** 32;

export interface RingOptions {
  virtualNodes?: number;
  hash?: RingHash;
  /**
   * Each member's points, kept between rings by a caller that builds many with the same hash
   * and virtual nodes (the router, on every membership change): only new members are hashed.
   */
  cache?: Map<string, Uint32Array>;
}

/** Owners are packed below the point in one float64 (exact up to 2^53) to sort without a comparator. */
const OWNER_SLOTS = 2 ** 16;

/** The big-endian 32-bit word of `digest` at byte `o`, as an unsigned number. */
function word(digest: Uint8Array, o: number): number {
  const a = digest[o] ?? 0;
  const b = digest[o + 1] ?? 0;
  const c = digest[o + 2] ?? 0;
  const d = digest[o + 3] ?? 0;
  return a * 2 ** 24 + ((b << 16) | (c << 8) | d);
}

/** Every ring point of `member`: the words of the digests of `member#0` … `member#(v-1)`. */
function memberPoints(member: string, virtualNodes: number, hash: RingHash): Uint32Array {
  let points = new Uint32Array(0);
  for (let v = 0; v < virtualNodes; v++) {
    const digest = hash(`${member}#${v}`);
    const count = Math.floor(digest.length / 4);
    if (count === 0) throw new Error('ring hash must return at least 4 bytes');
    if (v === 0) points = new Uint32Array(count * virtualNodes);
    for (let i = 0; i < count && v * count + i < points.length; i++) {
      points[v * count + i] = word(digest, i * 4);
    }
  }
  return points;
}

/**
 * An immutable ring of members. Member `m` owns the points of the digests of `m#0` … `m#(v-1)`;
 * a key belongs to the member of the first point at or after the key's point (its first
 * digest word), wrapping around. Members are sorted by name and equal points are ordered by
 * member name, so the ring does not depend on the order members were given in.
 */
export class HashRing {
  readonly members: readonly string[];
  readonly virtualNodes: number;
  private readonly hash: RingHash;
  private readonly points: Uint32Array;
  private readonly owners: Uint32Array;

  constructor(members: Iterable<string>, options: RingOptions = {}) {
    this.members = [...new Set(members)].sort();
    this.virtualNodes = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
    this.hash = options.hash ?? sha256;
    if (!Number.isInteger(this.virtualNodes) || this.virtualNodes < 1) {
      throw new Error(`virtual nodes must be a positive integer, got ${this.virtualNodes}`);
    }
    if (this.members.length > OWNER_SLOTS) throw new Error(`at most ${OWNER_SLOTS} members`);
    const perMember = this.members.map((member) => {
      const cached = options.cache?.get(member);
      if (cached) return cached;
      const points = memberPoints(member, this.virtualNodes, this.hash);
      options.cache?.set(member, points);
      return points;
    });
    const packed = new Float64Array(perMember.reduce((n, p) => n + p.length, 0));
    let at = 0;
    perMember.forEach((points, owner) => {
      for (const point of points) packed[at++] = point * OWNER_SLOTS + owner;
    });
    // Ascending by point, then by owner index, which is member-name order.
    packed.sort();
    this.points = new Uint32Array(packed.length);
    this.owners = new Uint32Array(packed.length);
    packed.forEach((v, i) => {
      this.points[i] = Math.floor(v / OWNER_SLOTS);
      this.owners[i] = v % OWNER_SLOTS;
    });
  }

  get size(): number {
    return this.members.length;
  }

  /** The ring point of a key. */
  pointOf(key: string): number {
    const digest = this.hash(key);
    if (digest.length < 4) throw new Error('ring hash must return at least 4 bytes');
    return word(digest, 0);
  }

  /** The member owning `key`, or undefined on an empty ring. */
  owner(key: string): string | undefined {
    if (this.points.length === 0) return undefined;
    return this.members[this.owners[this.indexAt(this.pointOf(key))] ?? 0];
  }

  /**
   * Distinct members clockwise from `key`'s point: its owner first, then whoever would own the
   * key if every member before it were gone. `start` overrides the key's point.
   */
  *walk(key: string, start = this.pointOf(key)): Generator<string, void, undefined> {
    const n = this.points.length;
    if (n === 0) return;
    const seen = new Set<number>();
    const first = this.indexAt(start);
    for (let i = 0; i < n && seen.size < this.members.length; i++) {
      const owner = this.owners[(first + i) % n] ?? 0;
      if (seen.has(owner)) continue;
      seen.add(owner);
      yield this.members[owner] ?? '';
    }
  }

  /**
   * The fraction of the hash space each member serves when only members for which `serving`
   * is true take traffic (the others' arcs go to the next serving member clockwise).
   * Serving members' shares sum to 1 (or all are 0 when none serves).
   */
  shares(serving: (member: string) => boolean = () => true): Map<string, number> {
    const shares = new Map<string, number>(this.members.map((m) => [m, 0]));
    const n = this.points.length;
    const up = this.members.map(serving);
    if (n === 0 || !up.includes(true)) return shares;
    const arcOwner = this.arcOwners(up);
    for (let i = 0; i < n; i++) {
      const prev = i === 0 ? (this.points[n - 1] ?? 0) - SPACE : (this.points[i - 1] ?? 0);
      const name = this.members[arcOwner[i] ?? 0] ?? '';
      shares.set(name, (shares.get(name) ?? 0) + ((this.points[i] ?? 0) - prev) / SPACE);
    }
    return shares;
  }

  /**
   * For each point, the serving owner of the arc ending there: the first serving owner at or
   * after it clockwise (past the last serving point, the first one from the top of the ring).
   */
  private arcOwners(up: readonly boolean[]): number[] {
    const n = this.points.length;
    let next = 0;
    for (let i = 0; i < n; i++) {
      const o = this.owners[i] ?? 0;
      if (up[o] === true) {
        next = o;
        break;
      }
    }
    const arcOwner = new Array<number>(n);
    for (let i = n - 1; i >= 0; i--) {
      const o = this.owners[i] ?? 0;
      if (up[o] === true) next = o;
      arcOwner[i] = next;
    }
    return arcOwner;
  }

  /** Index of the first point >= `point`, wrapping to 0 past the last. */
  private indexAt(point: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid] ?? 0) < point) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.points.length ? 0 : lo;
  }
}
