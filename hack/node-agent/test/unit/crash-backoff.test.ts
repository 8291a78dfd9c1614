import { strict as assert } from 'node:assert';
import { CrashBackoff } from '../../src/crash-backoff.js';

describe('CrashBackoff', () => {
  it('lets the first replacement start at once, then waits 1 s, 2 s, 4 s, … up to 30 s', () => {
    let now = 0;
    const backoff = new CrashBackoff(() => now);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      backoff.recordFailure('rs');
      delays.push(backoff.delayMs('rs'));
    }
    assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    now = 10_000;
    assert.equal(backoff.delayMs('rs'), 20_000, 'the wait counts from the last failure');
  });

  it('keeps owners apart and forgets failures older than five minutes', () => {
    let now = 0;
    const backoff = new CrashBackoff(() => now);
    backoff.recordFailure('a');
    backoff.recordFailure('a');
    assert.equal(backoff.delayMs('b'), 0);
    now = 5 * 60_000 + 1;
    assert.equal(backoff.delayMs('a'), 0);
  });
});
