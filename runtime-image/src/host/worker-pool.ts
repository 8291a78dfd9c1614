import { GuestWorker, type Dispatched, type WorkerOutcome } from './guest-worker.js';
import type {
  FaasletDefinition,
  FetchReply,
  InvokeRequest,
  StateKey,
  VersionedEntry,
} from './protocol.js';

export interface WorkerPoolOptions {
  /** Worker threads kept running. */
  size: number;
  /** Extra threads started while every worker is stuck in a long invocation. */
  maxSpares: number;
  /** Invocations queued on one worker at once: enough to pipeline, few enough to spread. */
  window: number;
  /** A worker whose current invocation has run this long gets no new work. */
  stuckMs: number;
  /** A spare worker idle this long is stopped. */
  spareIdleMs: number;
  fetch(keys: StateKey[], reads: [StateKey, string][]): FetchReply | Promise<FetchReply>;
  now?: () => number;
  /** Makes worker ids (and so the versions they assign) unique beyond this process. */
  uidPrefix: string;
  onWorkerExit?: (uid: string, reason: string) => void;
}

/** How long a conflict keeps a namespace from spreading over workers. */
const CONTENDED_MS = 1000;

interface Waiting {
  item: Dispatched;
  staleKeys: StateKey[];
}

/**
 * Guest worker threads and the invocations queued for them. The main thread never runs
 * guest code: a guest that loops forever occupies one worker until its deadline, when that
 * worker is terminated and replaced, while the others (and spares) keep serving.
 */
export class WorkerPool {
  private readonly workers: GuestWorker[] = [];
  private readonly starting = new Set<Promise<void>>();
  /** Workers still loading the Faaslets: a load or unload meanwhile must reach them too. */
  private readonly startingWorkers = new Set<GuestWorker>();
  /** Every revision loaded and not retired, by revision: what a new worker loads. */
  private readonly definitions = new Map<number, FaasletDefinition>();
  private readonly waiting: Waiting[] = [];
  private readonly affinity = new Map<string, GuestWorker>();
  /** Namespaces that saw a conflict lately: spreading them over workers only adds conflicts. */
  private readonly contendedUntil = new Map<string, number>();
  /** One deadline timer per worker, for the invocation at the head of its queue. */
  private readonly timers = new Map<GuestWorker, { timer: NodeJS.Timeout; head: Dispatched }>();
  private readonly now: () => number;
  private nextWorker = 0;
  private nextId = 0;
  private closed = false;
  private readonly spareSweep: NodeJS.Timeout;

  constructor(private readonly options: WorkerPoolOptions) {
    this.now = options.now ?? (() => performance.now());
    this.spareSweep = setInterval(() => {
      this.retireIdleSpares();
    }, options.spareIdleMs).unref();
  }

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.size }, () => this.spawn()));
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /**
   * Loads a Faaslet's revision in every worker, beside any older revision of it, which keeps
   * serving the invocations that name it until it is retired. Resolves when all have it.
   */
  async load(definition: FaasletDefinition): Promise<void> {
    this.definitions.set(definition.revision, definition);
    const loaded = Promise.all(this.everyWorker().map((w) => w.load({ type: 'load', definition })));
    // A glass-ABI load is synchronous in the worker and precedes any invoke on the same port,
    // so waiting for the acknowledgements would only add two thread wake-ups to a first call.
    // A WASI load initialises @wasmer/wasi asynchronously: that one is awaited.
    if (definition.abi === 'wasi-command') await loaded;
    else void loaded.catch(() => undefined);
  }

  /** Drops one revision of a Faaslet from every worker (no invocation names it any more). */
  retire(definition: FaasletDefinition): void {
    this.definitions.delete(definition.revision);
    for (const worker of this.everyWorker()) worker.unload(definition.name, definition.revision);
  }

  /** Drops every revision of a Faaslet from every worker. */
  unload(name: string): void {
    for (const [revision, definition] of this.definitions) {
      if (definition.name === name) this.definitions.delete(revision);
    }
    for (const worker of this.everyWorker()) worker.unload(name);
  }

  /** The revisions of a Faaslet loaded in the workers now: one, except during a swap. */
  loadedRevisions(name: string): number[] {
    return [...this.definitions.values()].filter((d) => d.name === name).map((d) => d.revision);
  }

  private everyWorker(): GuestWorker[] {
    return [...this.workers, ...this.startingWorkers];
  }

  submit(
    request: Omit<InvokeRequest, 'type' | 'invalidate' | 'clearCache' | 'id'>,
    limits: { timeoutMs: number; namespace: string },
    staleKeys: StateKey[] = [],
  ): Promise<WorkerOutcome> {
    return new Promise((resolve) => {
      const item: Dispatched = {
        request: { ...request, id: ++this.nextId },
        timeoutMs: limits.timeoutMs,
        namespace: limits.namespace,
        settle: resolve,
        crashes: 0,
      };
      this.enqueue(item, staleKeys);
    });
  }

  /** A transaction on `namespace` conflicted: keep the namespace on one worker for a while. */
  noteConflict(namespace: string): void {
    this.contendedUntil.set(namespace, this.now() + CONTENDED_MS);
  }

  /** After a commit: every other worker learns the new values before its next invocation. */
  noteCommitted(fromUid: string | undefined, writes: VersionedEntry[]): void {
    if (writes.length === 0) return;
    for (const worker of this.workers) if (worker.uid !== fromUid) worker.noteForeignWrites(writes);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.spareSweep);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    const held = this.workers.splice(0).flatMap((w) => w.kill('runtime shutting down'));
    for (const item of [...held, ...this.waiting.splice(0).map((w) => w.item)]) {
      item.settle({ type: 'crashed', message: 'runtime shutting down' });
    }
    await Promise.all(this.starting);
  }

  private enqueue(item: Dispatched, staleKeys: StateKey[]): void {
    const worker = this.pick(item.namespace);
    if (worker) {
      this.send(worker, item, staleKeys);
      return;
    }
    this.waiting.push({ item, staleKeys });
    if (this.allStuck()) this.startSpare();
  }

  private send(worker: GuestWorker, item: Dispatched, staleKeys: StateKey[]): void {
    this.affinity.set(item.namespace, worker);
    worker.dispatch(item, staleKeys);
    this.armTimer(worker);
  }

  /**
   * The worker that ran this namespace last keeps it while it has room, so its cache stays
   * warm and its pipelined transactions do not conflict; otherwise the least busy one.
   */
  private pick(namespace: string): GuestWorker | undefined {
    const usable = (w: GuestWorker): boolean =>
      w.alive && w.outstanding.length < this.options.window && !w.isStuck(this.options.stuckMs);
    const preferred = this.affinity.get(namespace);
    if (preferred && usable(preferred)) return preferred;
    const contended = (this.contendedUntil.get(namespace) ?? 0) > this.now();
    if (preferred?.alive && contended && !preferred.isStuck(this.options.stuckMs)) return preferred;
    let best: GuestWorker | undefined;
    for (const worker of this.workers) {
      if (usable(worker) && (!best || worker.outstanding.length < best.outstanding.length))
        best = worker;
    }
    return best;
  }

  private allStuck(): boolean {
    return this.workers.every((w) => !w.alive || w.isStuck(this.options.stuckMs));
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      const worker = next && this.pick(next.item.namespace);
      if (!next || !worker) break;
      this.waiting.shift();
      this.send(worker, next.item, next.staleKeys);
    }
    if (this.waiting.length > 0 && this.allStuck()) this.startSpare();
  }

  private startSpare(): void {
    const limit = this.options.size + this.options.maxSpares;
    if (this.closed || this.workers.length + this.starting.size >= limit) return;
    void this.spawn();
  }

  private spawn(): Promise<void> {
    const worker = new GuestWorker(`${this.options.uidPrefix}.w${++this.nextWorker}`, this.now, {
      fetch: (keys, reads) => this.options.fetch(keys, reads),
      settled: () => {
        this.armTimer(worker);
        this.drain();
      },
      exited: (w, reason) => {
        this.onExit(w, reason);
      },
    });
    this.startingWorkers.add(worker);
    // In revision order, so each Faaslet's newest revision ends up the one nested calls reach.
    const definitions = [...this.definitions.values()].sort((a, b) => a.revision - b.revision);
    const ready = Promise.all(
      definitions.map((definition) => worker.load({ type: 'load', definition })),
    ).then(
      () => {
        this.startingWorkers.delete(worker);
        if (worker.alive && !this.closed) this.workers.push(worker);
        this.drain();
      },
      (error: unknown) => {
        this.startingWorkers.delete(worker);
        this.options.onWorkerExit?.(worker.uid, `failed to start: ${String(error)}`);
      },
    );
    const tracked = ready.finally(() => this.starting.delete(tracked));
    this.starting.add(tracked);
    return tracked;
  }

  /** Re-armed only when the head invocation changed: a dispatch behind it costs no timer. */
  private armTimer(worker: GuestWorker): void {
    const head = worker.outstanding[0];
    const existing = this.timers.get(worker);
    if (head && existing?.head === head) return;
    if (existing) clearTimeout(existing.timer);
    this.timers.delete(worker);
    if (!head || !worker.alive) return;
    const due = Math.max(0, worker.headSince + head.timeoutMs - this.now());
    const timer = setTimeout(() => {
      this.timers.delete(worker);
      if (worker.outstanding[0] === head) this.timeOut(worker, head);
      else this.armTimer(worker);
    }, due);
    this.timers.set(worker, { timer, head });
  }

  private timeOut(worker: GuestWorker, head: Dispatched): void {
    const held = worker.kill(`invocation ${head.request.faaslet}/${head.request.export} timed out`);
    for (const item of held) {
      // Only the head ran; the rest never started, and nothing commits outside the main thread.
      if (item === head) item.settle({ type: 'timeout' });
      else this.enqueue(item, []);
    }
  }

  private onExit(worker: GuestWorker, reason: string): void {
    const armed = this.timers.get(worker);
    if (armed) clearTimeout(armed.timer);
    this.timers.delete(worker);
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    for (const [namespace, w] of this.affinity) if (w === worker) this.affinity.delete(namespace);
    if (!this.closed) this.options.onWorkerExit?.(worker.uid, reason);
    for (const item of worker.outstanding.splice(0)) {
      item.crashes++;
      if (item.crashes >= 2) item.settle({ type: 'crashed', message: reason });
      else this.enqueue(item, []);
    }
    // Replace a serving worker; one that died while starting is not retried in a tight loop.
    const wasServing = index >= 0;
    if (
      wasServing &&
      !this.closed &&
      this.workers.length + this.starting.size < this.options.size
    ) {
      void this.spawn();
    }
  }

  private retireIdleSpares(): void {
    while (this.workers.length > this.options.size) {
      const idle = this.workers.find(
        (w) => w.outstanding.length === 0 && this.now() - w.idleSince > this.options.spareIdleMs,
      );
      if (!idle) return;
      this.workers.splice(this.workers.indexOf(idle), 1);
      idle.kill('spare worker idle');
    }
  }
}
