import { MessageChannel, Worker } from 'node:worker_threads';
import type {
  FetchReply,
  FromWorker,
  InvokeOutcome,
  InvokeRequest,
  StateKey,
  ToWorker,
  VersionedEntry,
  WorkerData,
} from './protocol.js';

/** An invocation handed to a worker and not yet answered. */
export interface Dispatched {
  request: Omit<InvokeRequest, 'type' | 'invalidate' | 'clearCache'>;
  timeoutMs: number;
  namespace: string;
  settle(outcome: WorkerOutcome): void;
  /** How many workers died under it; a request that kills two is failed, not retried forever. */
  crashes: number;
}

export type WorkerOutcome =
  | (InvokeOutcome & { workerUid: string })
  | { type: 'timeout' }
  | { type: 'crashed'; message: string };

/** Above this many pending invalidations, telling the worker to drop its cache is cheaper. */
const MAX_PENDING_INVALIDATIONS = 4096;

const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * V8 heap limits of one guest worker: a guest that makes its worker's heap run away (tables,
 * host-side copies) kills that worker alone, which is replaced, instead of the process (ADR
 * 71). Wasm memories are outside this heap; `limits.memory` caps them.
 */
const GUEST_WORKER_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 };

/**
 * The main thread's handle on one guest worker thread: what was sent to it, in order (the
 * worker runs invocations FIFO, so the oldest is the one running), and the state updates it
 * has not seen yet.
 */
export class GuestWorker {
  readonly outstanding: Dispatched[] = [];
  /** When the invocation at the head of `outstanding` started running, as far as we know. */
  headSince = 0;
  alive = true;
  idleSince: number;
  private readonly pendingInvalidations = new Set<StateKey>();
  private clearCache = false;
  private readonly worker: Worker;
  private readonly fetchFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly fetchPort;
  /** By revision: two revisions of one Faaslet may be loading at once. */
  private readonly loadWaiters = new Map<number, (error: string | undefined) => void>();
  private batch: InvokeRequest[] = [];

  constructor(
    readonly uid: string,
    private readonly now: () => number,
    private readonly events: {
      fetch(keys: StateKey[], reads: [StateKey, string][]): FetchReply | Promise<FetchReply>;
      settled(worker: GuestWorker): void;
      exited(worker: GuestWorker, reason: string): void;
    },
  ) {
    const channel = new MessageChannel();
    this.fetchPort = channel.port1;
    const data: WorkerData = { uid, fetchFlag: this.fetchFlag.buffer, fetchPort: channel.port2 };
    this.worker = new Worker(WORKER_URL, {
      workerData: data,
      transferList: [channel.port2],
      resourceLimits: GUEST_WORKER_LIMITS,
    });
    this.worker.on('message', (message: FromWorker) => {
      this.onMessage(message);
    });
    this.worker.on('error', (error) => {
      this.markDead(`worker error: ${error.message}`);
    });
    this.worker.on('exit', (code) => {
      this.markDead(`worker exited with code ${code}`);
    });
    this.idleSince = now();
  }

  load(message: Extract<ToWorker, { type: 'load' }>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.loadWaiters.set(message.definition.revision, (error) => {
        if (error) reject(new Error(error));
        else resolve();
      });
      this.worker.postMessage(message);
    });
  }

  unload(name: string, revision?: number): void {
    this.worker.postMessage({ type: 'unload', name, revision } satisfies ToWorker);
  }

  dispatch(item: Dispatched, staleKeys: StateKey[]): void {
    for (const key of staleKeys) this.pendingInvalidations.add(key);
    const message: InvokeRequest = {
      type: 'invoke',
      ...item.request,
      invalidate: [...this.pendingInvalidations],
      clearCache: this.clearCache,
    };
    this.pendingInvalidations.clear();
    this.clearCache = false;
    if (this.outstanding.length === 0) this.headSince = this.now();
    this.outstanding.push(item);
    // Everything dispatched in this event-loop turn leaves in one message.
    if (this.batch.length === 0)
      setImmediate(() => {
        this.flush();
      });
    this.batch.push(message);
  }

  private flush(): void {
    if (!this.alive || this.batch.length === 0) return;
    this.worker.postMessage({ type: 'invoke-batch', requests: this.batch } satisfies ToWorker);
    this.batch = [];
  }

  /** Another party committed these: the worker's cached copies are stale now. */
  noteForeignWrites(entries: VersionedEntry[]): void {
    if (this.clearCache) return;
    for (const [key] of entries) this.pendingInvalidations.add(key);
    if (this.pendingInvalidations.size > MAX_PENDING_INVALIDATIONS) {
      this.pendingInvalidations.clear();
      this.clearCache = true;
    }
  }

  isStuck(stuckMs: number): boolean {
    return this.outstanding.length > 0 && this.now() - this.headSince > stuckMs;
  }

  /** Ends the thread (a guest stuck in a loop can be stopped no other way) and returns what it held. */
  kill(reason: string): Dispatched[] {
    const held = this.outstanding.splice(0);
    this.markDead(reason);
    void this.worker.terminate();
    return held;
  }

  private markDead(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    for (const waiter of this.loadWaiters.values()) waiter(reason);
    this.loadWaiters.clear();
    this.events.exited(this, reason);
  }

  private onMessage(message: FromWorker): void {
    if (!this.alive) return;
    switch (message.type) {
      case 'fetch':
        void this.answerFetch(message.keys, message.reads);
        return;
      case 'loaded':
        this.loadWaiters.get(message.revision)?.(message.error);
        this.loadWaiters.delete(message.revision);
        return;
      case 'outcomes':
        for (const outcome of message.outcomes) this.settle(outcome);
        this.headSince = this.now();
        if (this.outstanding.length === 0) this.idleSince = this.headSince;
        this.events.settled(this);
    }
  }

  private settle(outcome: InvokeOutcome): void {
    // FIFO: the answer is almost always for the head.
    const index =
      this.outstanding[0]?.request.id === outcome.id
        ? 0
        : this.outstanding.findIndex((d) => d.request.id === outcome.id);
    const [item] = index >= 0 ? this.outstanding.splice(index, 1) : [];
    item?.settle({ ...outcome, workerUid: this.uid });
  }

  private async answerFetch(keys: StateKey[], reads: [StateKey, string][]): Promise<void> {
    const reply = await this.events.fetch(keys, reads);
    if (!this.alive) return;
    // Reply first, then bump the counter the worker waits on (see syncFetch in worker.ts).
    this.fetchPort.postMessage(reply);
    Atomics.add(this.fetchFlag, 0, 1);
    Atomics.notify(this.fetchFlag, 0);
  }
}
