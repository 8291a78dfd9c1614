// Entry point of a guest worker thread: runs invocations the main thread sends, one at a
// time, so a guest that never returns blocks only this thread (which the main thread kills).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { GuestExecutor } from './executor.js';
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
 */
function syncFetch(keys: string[], reads: [string, string][]): FetchReply {
  flushHeld();
  Atomics.store(flag, 0, 0);
  send({ type: 'fetch', id: currentId, keys, reads });
  Atomics.wait(flag, 0, 0);
  const reply = receiveMessageOnPort(data.fetchPort);
  if (!reply) throw new Error('fetch woke without a reply');
  return reply.message as FetchReply;
}

// A guest that hit its memory limit leaves a large dead memory behind; collecting it at once
// gives the pod its memory back now rather than at the next GC V8 happens to schedule.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const executor = new GuestExecutor(new WorkerStateCache(data.uid, syncFetch));

/** Results go back batched too, but never held for long behind a slow invocation. */
const MAX_HOLD_MS = 1;

function runBatch(requests: InvokeRequest[]): void {
  heldSince = performance.now();
  for (const request of requests) {
    currentId = request.id;
    // Not `held.push(executor.invoke(...))`: a fetch inside invoke() replaces `held`.
    const outcome = executor.invoke(request);
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
          send({ type: 'loaded', name: message.definition.name });
        },
        (error: unknown) => {
          send({ type: 'loaded', name: message.definition.name, error: String(error) });
        },
      );
      return;
    case 'unload':
      executor.unload(message.name);
      return;
  }
});
