/** Log entries one invocation may write, nested calls included. */
export const MAX_LOGS = 100;
/** Bytes of log text one invocation may write, nested calls included. */
export const MAX_LOG_TOTAL_BYTES = 64 * 1024;

/**
 * What one invocation may spend, shared by every nested `call` it makes: a nested call gets
 * a context of its own but this same object, so calling oneself buys no fresh budget.
 */
export class InvocationBudget {
  logsLeft = MAX_LOGS;
  logBytesLeft = MAX_LOG_TOTAL_BYTES;
  /** Host calls so far: the fast lane reads the clock on every few of them. */
  hostCalls = 0;

  /**
   * @param fuel on the fast lane: the fuel no running instance holds (each instance's fuel
   * global is loaded from it on entry and written back on exit); undefined on workers.
   * @param deadline on the fast lane, the `performance.now()` after which host calls give up
   * and the invocation yields to a worker; Infinity on workers (the pool's timer stops them).
   */
  constructor(
    public fuel: number | undefined,
    readonly deadline: number,
  ) {}
}

/** The budget of an invocation on a worker: no fuel, no wall-clock check here. */
export const workerBudget = (): InvocationBudget => new InvocationBudget(undefined, Infinity);
