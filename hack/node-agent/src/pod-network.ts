// Pod IPs from one CIDR whose addresses all bind on this machine: each pod gets its own
// address, so every container can listen on its usual port (8080) without clashing.
import { createServer } from 'node:net';

const toNumber = (ip: string): number =>
  ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const toIp = (n: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

export class PodNetwork {
  /** The node's own address (InternalIP, hostIP): the first address of the range. */
  readonly nodeIp: string;
  private readonly first: number;
  private readonly last: number;
  private next: number;
  private readonly inUse = new Set<string>();

  constructor(readonly cidr: string) {
    const [base = '', bits = ''] = cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    const network = toNumber(base) - (toNumber(base) % size);
    this.nodeIp = toIp(network + 1);
    this.first = network + 2;
    this.last = network + size - 2; // the last address is the broadcast address
    this.next = this.first;
  }

  /**
   * The next free address. Addresses are not reused until the range wraps, so a replacement
   * pod never inherits its predecessor's address (what a client sees is then plainly new).
   */
  allocate(): string {
    for (let tries = 0; tries <= this.last - this.first; tries++) {
      const ip = toIp(this.next);
      this.next = this.next >= this.last ? this.first : this.next + 1;
      if (!this.inUse.has(ip)) {
        this.inUse.add(ip);
        return ip;
      }
    }
    throw new Error(`pod network ${this.cidr} has no free address`);
  }

  release(ip: string): void {
    this.inUse.delete(ip);
  }

  /** Fails with what to do when the range is not local here (nothing could bind a pod IP). */
  async assertLocal(): Promise<void> {
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, this.nodeIp, resolve);
      });
    } catch (error) {
      throw new Error(
        `cannot bind ${this.nodeIp} of the pod network ${this.cidr} (${(error as Error).message}): ` +
          `make the range local first, e.g. \`ip addr add ${this.cidr} dev lo\` in a network ` +
          'namespace of your own (the e2e does: see hack/README.md), or use a range in 127.0.0.0/8',
      );
    } finally {
      server.close();
    }
  }
}
