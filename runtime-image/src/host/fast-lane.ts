import { setTimeout as delay } from 'node:timers/promises';
import { instrumentFuel } from '../wasm/fuel.js';
import { UnsupportedInstruction } from '../wasm/instructions.js';
import { collectGarbage } from './collect-garbage.js';
import { GuestExecutor } from './executor.js';
import type { CallValues, FaasletDefinition, InvokeOutcome } from './protocol.js';
import { OUT_OF_FUEL, type StateView } from './worker-cache.js';

/** How long after a load the fast lane starts metering the module (see `prepare`). */
const PREPARE_DELAY_MS = 25;

/**
 * Fuel per call on the main thread: about 1 ms for the tightest loop measured here (a
 * one-instruction loop body costs ~3.7 ns with its check), much less for real code, where
 * an iteration is charged its body's instruction count.
 */
export const FAST_LANE_FUEL = 300_000;
/**
 * Wall-clock bound of one call on the main thread, nested calls included. Fuel bounds the
 * guest's own code; host calls check this clock, so neither holds the HTTP thread for long.
 */
export const FAST_LANE_MAX_MS = 5;
/**
 * Fuel and wall clock for starting one instance ahead of the calls, once per revision (see
 * `prepare`). A Go reactor's `_initialize` costs ~13 M units, mostly memory zeroing paid by
 * length; a start-up that spins instead stops after ~60 ms of main-thread time, once per load.
 */
const STARTUP_FUEL = 20_000_000;
const STARTUP_MAX_MS = 50;
/** Consecutive yields after which an export skips the lane for a while. */
const YIELD_STREAK = 3;
const COOL_OFF_MS = 30_000;

/**
 * Runs short invocations on the main thread, with no thread hand-off (ADR 6). Modules carry
 * fuel metering, so a guest is stopped after FAST_LANE_FUEL; it then yields, and the
 * invocation runs again on a worker with its full deadline. That is safe because nothing an
 * invocation does is visible before its commit. An export that keeps yielding skips the lane.
 */
export class FastLane {
  private readonly executor: GuestExecutor;
  private readonly streaks = new Map<string, { yields: number; skipUntil: number }>();
  /** The revision of each Faaslet the lane should hold: the last one prepared. */
  private readonly wanted = new Map<string, number>();
  private nextId = 0;
  /** Calls that ran here to the end, yielded to a worker, or skipped the lane (cooling off). */
  readonly stats = { ran: 0, yielded: 0, skipped: 0 };

  constructor(
    view: StateView,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.executor = new GuestExecutor(view, {
      fuel: FAST_LANE_FUEL,
      wallClockMs: FAST_LANE_MAX_MS,
    });
  }

  /**
   * Meters and compiles the module, off the first call's path; false when it cannot be
   * metered or a newer revision of the Faaslet (or its unload) came first. Any older revision
   * leaves the lane at once: until this one is ready, the Faaslet's calls run on workers.
   */
  async prepare(definition: FaasletDefinition, cappedBytes: Uint8Array): Promise<boolean> {
    const { name, revision } = definition;
    const wanted = this.wanted.get(name);
    if (wanted !== undefined && wanted > revision) return false;
    this.wanted.set(name, revision);
    this.executor.unload(name);
    if (definition.abi !== 'glass') return false;
    // Metering is milliseconds of main-thread JS for a 100 KB module, and its compile takes a
    // core: both wait until the module's first calls (on workers) have had the CPU.
    await delay(PREPARE_DELAY_MS);
    if (this.wanted.get(name) !== revision) return false;
    let metered: Uint8Array;
    try {
      metered = instrumentFuel(cappedBytes, FAST_LANE_FUEL);
    } catch (error) {
      if (error instanceof UnsupportedInstruction) return false;
      throw error;
    }
    const module = await WebAssembly.compile(metered);
    // A slow compile of an older revision must not replace a newer one, nor revive an unload.
    if (this.wanted.get(name) !== revision) return false;
    await this.executor.load({ ...definition, module });
    // An instance whose start-up costs more than one call may spend here (a Go runtime)
    // would yield on every new instance and leave the lane for good; started here once, off
    // the call path, it serves the lane's calls from then on.
    this.executor.warm(revision, STARTUP_FUEL, STARTUP_MAX_MS);
    return true;
  }

  unload(name: string): void {
    this.wanted.delete(name);
    this.executor.unload(name);
  }

  /** The outcome, or undefined when the invocation must run on a worker. */
  tryInvoke(
    definition: FaasletDefinition,
    exportName: string,
    input: Uint8Array,
    args: string[],
    scope: { namespace: string; values?: CallValues } = { namespace: definition.namespace.text },
  ): InvokeOutcome | undefined {
    const { namespace, values } = scope;
    // Only the very revision asked for: never an older module after a swap.
    if (!this.executor.hasRevision(definition.revision)) return undefined;
    const key = `${definition.name}/${exportName}`;
    const streak = this.streaks.get(key);
    if (streak && streak.skipUntil > this.now()) {
      this.stats.skipped++;
      return undefined;
    }
    const outcome = this.executor.invoke({
      type: 'invoke',
      id: ++this.nextId,
      faaslet: definition.name,
      revision: definition.revision,
      export: exportName,
      input,
      args,
      namespace,
      ...(values && { values }),
      invalidate: [],
      clearCache: false,
    });
    if (outcome.type !== 'yield') {
      this.stats.ran++;
      if (streak) this.streaks.delete(key);
      if (outcome.type === 'failed' && outcome.kind === 'memory-limit') collectGarbage();
      return outcome;
    }
    this.stats.yielded++;
    // Only running out of fuel says the export is long; a value not yet in this process or
    // a callee on workers only says nothing about the next call.
    if (outcome.reason !== OUT_OF_FUEL) return undefined;
    const yields = (streak?.yields ?? 0) + 1;
    const skipUntil = yields >= YIELD_STREAK ? this.now() + COOL_OFF_MS : 0;
    this.streaks.set(key, { yields: yields >= YIELD_STREAK ? 0 : yields, skipUntil });
    return undefined;
  }
}
