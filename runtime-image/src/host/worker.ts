// Entry point of a guest worker thread: runs invocations the main thread sends, one at a
// time, so a guest that never returns blocks only this thread (which the main thread kills).
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { collectGarbage } from './collect-garbage.js';
import { GuestExecutor } from './executor.js';
import { lowerThisThreadsPriority } from './lower-thread-priority.js';
import type {
  FetchReply,
  FromWorker,
  InvokeOutcome,
  InvokeRequest,
  ToWorker,
  WorkerData,
} from './protocol.js';
import { WorkerStateCache } from './worker-cache.js';

const data = workerData as WorkerData;
const port = parentPort;
if (!port) throw new Error('worker.js must run as a worker thread');

lowerThisThreadsPriority();
const flag = new Int32Array(data.fetchFlag);
let currentId = 0;

function send(message: FromWorker): void {
  port?.postMessage(message);
}

/** Outcomes of this batch not sent yet. */
let held: InvokeOutcome[] = [];
let heldSince = 0;

function flushHeld(): void {
  if (held.length > 0) send({ type: 'outcomes', outcomes: held });
  held = [];
  heldSince = performance.now();
}

/**
 * Blocks until the main thread answers: a guest's state read is synchronous. Held outcomes
 * go first, so the main thread has applied this worker's earlier commits before it answers.
 * The flag is a counter the main thread bumps after posting each reply, so a notify that
 * arrives late from an earlier fetch cannot pass for this one: it finds no reply and waits on.
 */
function syncFetch(keys: string[], reads: [string, string][]): FetchReply {
  flushHeld();
  const seen = Atomics.load(flag, 0);
  send({ type: 'fetch', id: currentId, keys, reads });
  for (;;) {
    const reply = receiveMessageOnPort(data.fetchPort);
    if (reply) return reply.message as FetchReply;
    Atomics.wait(flag, 0, seen);
  }
}

const executor = new GuestExecutor(new WorkerStateCache(data.uid, syncFetch));

/** Results go back batched too, but never held for long behind a slow invocation. */
const MAX_HOLD_MS = 1;

function runBatch(requests: InvokeRequest[]): void {
  heldSince = performance.now();
  for (const request of requests) {
    currentId = request.id;
    // Not `held.push(executor.invoke(...))`: a fetch inside invoke() replaces `held`.
    const outcome = executor.invoke(request);
    if (outcome.type === 'yield') throw new Error('a worker has no fuel budget, so never yields');
    held.push(outcome);
    if (outcome.type === 'failed' && outcome.kind === 'memory-limit') collectGarbage();
    if (performance.now() - heldSince > MAX_HOLD_MS) flushHeld();
  }
  flushHeld();
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'invoke-batch':
      runBatch(message.requests);
      return;
    case 'load':
      executor.load(message.definition).then(
        () => {
          send({ type: 'loaded', revision: message.definition.revision });
        },
        (error: unknown) => {
          send({ type: 'loaded', revision: message.definition.revision, error: String(error) });
        },
      );
      return;
    case 'unload':
      executor.unload(message.name, message.revision);
      return;
  }
});
