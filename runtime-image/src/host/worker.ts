// Entry point of a guest worker thread: runs invocations the main thread sends, one at a
// time, so a guest that never returns blocks only this thread (which the main thread kills).
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { GuestExecutor } from './executor.js';
import type { FetchReply, FromWorker, ToWorker, WorkerData } from './protocol.js';
import { WorkerStateCache } from './worker-cache.js';

const data = workerData as WorkerData;
const port = parentPort;
if (!port) throw new Error('worker.js must run as a worker thread');

const flag = new Int32Array(data.fetchFlag);
let currentId = 0;

function send(message: FromWorker): void {
  port?.postMessage(message);
}

/** Blocks until the main thread answers: a guest's state read is synchronous. */
function syncFetch(keys: string[], reads: [string, string][]): FetchReply {
  Atomics.store(flag, 0, 0);
  send({ type: 'fetch', id: currentId, keys, reads });
  Atomics.wait(flag, 0, 0);
  const reply = receiveMessageOnPort(data.fetchPort);
  if (!reply) throw new Error('fetch woke without a reply');
  return reply.message as FetchReply;
}

const executor = new GuestExecutor(new WorkerStateCache(data.uid, syncFetch));

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'invoke':
      currentId = message.id;
      send(executor.invoke(message));
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
