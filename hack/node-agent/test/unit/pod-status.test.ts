import { strict as assert } from 'node:assert';
import { podPhase, podStatus, type ContainerFacts } from '../../src/pod-status.js';

const started = new Date('2030-01-01T00:00:00Z');
const running = (ready = true): ContainerFacts => ({
  name: 'c',
  image: 'glass',
  ready,
  phase: { kind: 'running', pid: 42, startedAt: started },
});
const ended = (exitCode: number, signal?: string): ContainerFacts => ({
  name: 'c',
  image: 'glass',
  ready: false,
  phase: { kind: 'terminated', pid: 42, startedAt: started, finishedAt: started, exitCode, signal },
});
const waiting: ContainerFacts = {
  name: 'c',
  image: 'nginx',
  ready: false,
  phase: { kind: 'waiting', reason: 'ErrImagePull', message: 'no' },
};

const phases = [
  { name: 'every container running → Running', containers: [running()], want: 'Running' },
  { name: 'a container waiting → Pending', containers: [running(), waiting], want: 'Pending' },
  { name: 'a container killed → Failed', containers: [ended(137, 'SIGKILL')], want: 'Failed' },
  {
    name: 'one of two ended → Failed (no restart)',
    containers: [running(), ended(0)],
    want: 'Failed',
  },
  { name: 'all exited 0 → Succeeded', containers: [ended(0), ended(0)], want: 'Succeeded' },
];

describe('podPhase', () => {
  for (const tc of phases) {
    it(tc.name, () => {
      assert.equal(podPhase(tc.containers), tc.want);
    });
  }
});

describe('podStatus', () => {
  const facts = {
    uid: 'u',
    podIp: '10.244.0.2',
    hostIp: '10.244.0.1',
    startTime: started,
    previousConditions: [],
    now: started,
  };
  const condition = (status: ReturnType<typeof podStatus>, type: string) =>
    status.conditions?.find((c) => c.type === type);

  it('is Ready only when every container runs and passed its probe', () => {
    assert.equal(
      condition(podStatus({ ...facts, containers: [running(true)] }), 'Ready')?.status,
      'True',
    );
    const notReady = podStatus({ ...facts, containers: [running(false)] });
    assert.equal(condition(notReady, 'Ready')?.status, 'False');
    assert.equal(condition(notReady, 'Ready')?.reason, 'ContainersNotReady');
  });

  it("keeps a condition's lastTransitionTime until its status flips", () => {
    const first = podStatus({ ...facts, containers: [running(true)] });
    const later = new Date('2030-01-01T00:01:00Z');
    const same = podStatus({
      ...facts,
      containers: [running(true)],
      previousConditions: first.conditions ?? [],
      now: later,
    });
    assert.deepEqual(condition(same, 'Ready')?.lastTransitionTime, started);
    const flipped = podStatus({
      ...facts,
      containers: [running(false)],
      previousConditions: first.conditions ?? [],
      now: later,
    });
    assert.deepEqual(condition(flipped, 'Ready')?.lastTransitionTime, later);
  });

  it('reports a killed container with its exit code and signal, as a kubelet does', () => {
    const status = podStatus({ ...facts, containers: [ended(137, 'SIGKILL')] });
    assert.equal(status.phase, 'Failed');
    const terminated = status.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.exitCode, 137);
    assert.equal(terminated.signal, 9);
    assert.equal(terminated.reason, 'Error');
    assert.deepEqual(status.podIPs, [{ ip: '10.244.0.2' }]);
  });
});
