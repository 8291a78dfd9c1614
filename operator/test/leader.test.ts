// Leader election on a real Lease, in this process: who leads, clock skew, release.
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { LeaderElection } from '../src/leader/lease.js';
import {
  controlPlane,
  CONTROL_PLANE_TIMEOUT_MS,
  type ControlPlane,
} from './support/control-plane.js';
import { TestKube } from './support/kube.js';
import { eventually } from './support/wait.js';

const LEASE_MS = 2000;
const RETRY_MS = 200;

describe('leader election on a Lease', function () {
  let cp: ControlPlane;
  let kube: TestKube;
  const candidates: LeaderElection[] = [];

  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await controlPlane();
    kube = new TestKube(cp.kubeConfig);
  });

  afterEach(async function () {
    for (const c of candidates.splice(0)) await c.stop();
  });

  function candidate(
    lease: string,
    identity: string,
    skewMs = 0,
  ): { election: LeaderElection; transitions: string[] } {
    const transitions: string[] = [];
    const election = new LeaderElection(
      cp.kubeConfig,
      {
        namespace: 'default',
        name: lease,
        identity,
        leaseDurationMs: LEASE_MS,
        retryPeriodMs: RETRY_MS,
        now: () => new Date(Date.now() + skewMs),
      },
      {
        onStartedLeading: () => transitions.push('started'),
        onStoppedLeading: () => transitions.push('stopped'),
      },
      pino({ level: 'silent' }),
    );
    candidates.push(election);
    return { election, transitions };
  }

  const lease = async (name: string) =>
    (await kube.get('coordination.k8s.io/v1', 'Lease', 'default', name))?.spec as {
      holderIdentity?: string;
      renewTime?: string;
    };

  it('a candidate whose clock runs an hour ahead does not take a Lease that is being renewed', async function () {
    const a = candidate('skew-test', 'on-time');
    a.election.start();
    await eventually('on-time to lead', () => a.election.isLeader);
    const b = candidate('skew-test', 'an-hour-ahead', 3_600_000);
    b.election.start();
    // Wait, by the holder's renewals, for well over a Lease duration.
    const first = new Date((await lease('skew-test')).renewTime ?? 0).getTime();
    await eventually(
      'renewals spanning two Lease durations',
      async () => {
        const renewed = new Date((await lease('skew-test')).renewTime ?? 0).getTime();
        return renewed - first > 2 * LEASE_MS;
      },
      10_000,
    );
    assert.equal(b.election.isLeader, false);
    assert.deepEqual(b.transitions, []);
    assert.equal((await lease('skew-test')).holderIdentity, 'on-time');
  });

  it('stop() releases the Lease and the other candidate takes it at its next try, not after the Lease duration', async function () {
    const a = candidate('release-test', 'first');
    a.election.start();
    await eventually('first to lead', () => a.election.isLeader);
    const b = candidate('release-test', 'second');
    b.election.start();
    await eventually(
      'second to have seen the Lease',
      async () => (await lease('release-test')).holderIdentity === 'first',
    );
    const stoppedAt = performance.now();
    await a.election.stop();
    assert.deepEqual(a.transitions, ['started', 'stopped']);
    await eventually('second to lead', () => b.election.isLeader, 5000, 10);
    const tookMs = performance.now() - stoppedAt;
    assert.ok(tookMs < LEASE_MS, `took ${tookMs} ms`);
    assert.equal((await lease('release-test')).holderIdentity, 'second');
  });
});
