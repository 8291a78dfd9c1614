/**
 * One Faaslet's idle instances in one worker: an invocation takes one (or a new one from the
 * compiled module when none is idle) and gives it back if it returned normally. Every
 * instance shares the worker's one import object, so creating one costs no closures.
 */
export class InstancePool {
  private readonly idle: WebAssembly.Instance[] = [];

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly imports: WebAssembly.Imports,
    /** Idle instances kept; one more returned is dropped for the GC. */
    private readonly maxIdle: number,
    /** Runs once on each new instance before its first call (a reactor's `_initialize`). */
    private readonly start?: (instance: WebAssembly.Instance) => void,
  ) {}

  /** Idle instances held now, for the instance-count metric. */
  get size(): number {
    return this.idle.length;
  }

  acquire(): WebAssembly.Instance {
    return this.idle.pop() ?? this.create();
  }

  /**
   * A new instance with its own memory; `acquire` uses it when no instance is idle.
   * `beforeStart` sees it before its start-up runs (the fast lane's warm-up sets its fuel).
   */
  create(beforeStart?: (instance: WebAssembly.Instance) => void): WebAssembly.Instance {
    const instance = new WebAssembly.Instance(this.module, this.imports);
    beforeStart?.(instance);
    this.start?.(instance);
    return instance;
  }

  /** Only an instance that returned normally may come back: a trapped one may be half-updated. */
  release(instance: WebAssembly.Instance): void {
    if (this.idle.length < this.maxIdle) this.idle.push(instance);
  }
}
