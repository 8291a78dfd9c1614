import assert from 'node:assert/strict';
import { PodHealth, type HealthChange } from '../../src/router/health.js';

type Step = 'fail' | 'probe-ok' | 'answered';

function run(steps: Step[], policy = { unhealthyThreshold: 3, healthyThreshold: 2 }) {
  const health = new PodHealth(policy);
  const changes: HealthChange[] = [];
  for (const step of steps) {
    if (step === 'fail') changes.push(health.failure());
    else if (step === 'probe-ok') changes.push(health.probeSucceeded());
    else health.answered();
  }
  return { healthy: health.healthy, changes: changes.filter((c) => c !== undefined) };
}

describe('pod health with hysteresis (eject after 3 failures, readmit after 2 good probes)', () => {
  const cases: { name: string; steps: Step[]; healthy: boolean; changes: HealthChange[] }[] = [
    { name: 'a new pod is healthy', steps: [], healthy: true, changes: [] },
    { name: 'one error does not eject a pod', steps: ['fail'], healthy: true, changes: [] },
    { name: 'two errors do not eject a pod', steps: ['fail', 'fail'], healthy: true, changes: [] },
    {
      name: 'three consecutive errors eject it',
      steps: ['fail', 'fail', 'fail'],
      healthy: false,
      changes: ['ejected'],
    },
    {
      name: 'an answered request in between resets the streak',
      steps: ['fail', 'fail', 'answered', 'fail', 'fail'],
      healthy: true,
      changes: [],
    },
    {
      name: 'a good probe in between resets the streak',
      steps: ['fail', 'fail', 'probe-ok', 'fail'],
      healthy: true,
      changes: [],
    },
    {
      name: 'one good probe does not readmit an ejected pod',
      steps: ['fail', 'fail', 'fail', 'probe-ok'],
      healthy: false,
      changes: ['ejected'],
    },
    {
      name: 'two good probes readmit it',
      steps: ['fail', 'fail', 'fail', 'probe-ok', 'probe-ok'],
      healthy: true,
      changes: ['ejected', 'readmitted'],
    },
    {
      name: 'a failed probe between good ones restarts the count',
      steps: ['fail', 'fail', 'fail', 'probe-ok', 'fail', 'probe-ok'],
      healthy: false,
      changes: ['ejected'],
    },
    {
      name: 'an answered request does not readmit an ejected pod',
      steps: ['fail', 'fail', 'fail', 'answered', 'answered'],
      healthy: false,
      changes: ['ejected'],
    },
    {
      name: 'more failures of an ejected pod change nothing',
      steps: ['fail', 'fail', 'fail', 'fail', 'fail', 'fail'],
      healthy: false,
      changes: ['ejected'],
    },
    {
      name: 'a readmitted pod needs a full new streak to be ejected again',
      steps: ['fail', 'fail', 'fail', 'probe-ok', 'probe-ok', 'fail', 'fail'],
      healthy: true,
      changes: ['ejected', 'readmitted'],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      assert.deepEqual(run(tc.steps), { healthy: tc.healthy, changes: tc.changes });
    });
  }

  it('with a threshold of 1, one failure ejects and one good probe readmits', () => {
    assert.deepEqual(run(['fail', 'probe-ok'], { unhealthyThreshold: 1, healthyThreshold: 1 }), {
      healthy: true,
      changes: ['ejected', 'readmitted'],
    });
  });
});
