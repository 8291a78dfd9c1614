import { strict as assert } from 'node:assert';
import { PodNetwork } from '../../src/pod-network.js';

describe('PodNetwork', () => {
  it('gives the node the first address and pods the next ones, in order', () => {
    const network = new PodNetwork('10.244.0.0/16');
    assert.equal(network.nodeIp, '10.244.0.1');
    assert.deepEqual([network.allocate(), network.allocate()], ['10.244.0.2', '10.244.0.3']);
  });

  it('does not hand a released address out again until the range wraps', () => {
    const network = new PodNetwork('10.1.2.0/29'); // .2 to .6 for pods
    const first = network.allocate();
    network.release(first);
    const next = [1, 2, 3, 4].map(() => network.allocate());
    assert.deepEqual(next, ['10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6']);
    assert.equal(network.allocate(), '10.1.2.2', 'wrapped around to the released one');
    assert.throws(() => network.allocate(), /no free address/);
  });

  it('starts from the network address whatever address the CIDR is written with', () => {
    assert.equal(new PodNetwork('127.77.3.9/16').nodeIp, '127.77.0.1');
  });
});
