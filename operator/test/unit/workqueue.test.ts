import { strict as assert } from 'node:assert';
import { WorkQueue, type Scheduler } from '../../src/queue/workqueue.js';

/** A clock that moves only when the test says so. */
class ManualScheduler implements Scheduler {
  private time = 0;
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.time + ms, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time && !t.cancelled);
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const t of due.sort((a, b) => a.at - b.at)) t.fn();
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

function setup(): { queue: WorkQueue; clock: ManualScheduler } {
  const clock = new ManualScheduler();
  return { queue: new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, scheduler: clock }), clock };
}

/** Everything get() hands out right now, without waiting. */
async function drain(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.length > 0) keys.push((await queue.get()) ?? '');
  return keys;
}

describe('the work queue', function () {
  it('queues a key once however often it is added', async function () {
    const { queue } = setup();
    for (const key of ['ns/a', 'ns/b', 'ns/a', 'ns/a', 'ns/b']) queue.add(key);
    assert.deepEqual(await drain(queue), ['ns/a', 'ns/b']);
  });

  it('hands a key to one worker at a time, and once more after if it was added meanwhile', async function () {
    const { queue } = setup();
    queue.add('ns/a');
    const key = await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    assert.equal(queue.length, 0, 'not handed to a second worker while processing');
    queue.done(key ?? '');
    assert.deepEqual(await drain(queue), ['ns/a']);
    queue.done('ns/a');
    assert.equal(queue.length, 0);
  });

  it('wakes a waiting worker when a key arrives', async function () {
    const { queue } = setup();
    const waiting = queue.get();
    queue.add('ns/a');
    assert.equal(await waiting, 'ns/a');
  });

  it('brings a failed key back after an exponential backoff, capped, until forgotten', function () {
    const { queue, clock } = setup();
    const delays = [1, 2, 3, 4, 5].map(() => queue.addRateLimited('ns/a'));
    assert.deepEqual(delays, [100, 200, 400, 800, 1000]);
    queue.forget('ns/a');
    assert.equal(queue.addRateLimited('ns/a'), 100);
    clock.advance(99);
    assert.equal(queue.length, 0);
    clock.advance(1);
    assert.equal(queue.length, 1);
  });

  it('adds a delayed key at the earliest time asked for', function () {
    const { queue, clock } = setup();
    queue.addAfter('ns/a', 50);
    queue.addAfter('ns/a', 500);
    clock.advance(50);
    assert.equal(queue.length, 1, 'a later request does not push back an earlier one');
    queue.addAfter('ns/b', 500);
    queue.addAfter('ns/b', 20);
    clock.advance(20);
    assert.equal(queue.length, 2, 'an earlier request replaces a later one');
  });

  it('after shutdown, hands out nothing, drops new keys and cancels timers', async function () {
    const { queue, clock } = setup();
    const waiting = queue.get();
    queue.addAfter('ns/a', 100);
    queue.shutdown();
    assert.equal(await waiting, undefined);
    assert.equal(clock.pending, 0);
    queue.add('ns/b');
    assert.equal(await queue.get(), undefined);
  });
});
