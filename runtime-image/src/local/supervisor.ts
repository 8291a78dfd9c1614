// `glass up`'s runtime processes: start N, report each to the router once it answers /ready,
// restart one that dies (with backoff, on the same port so it gets its keys back), and stop
// them all by PID (docs/adr/0025).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import type { LocalProcessMembership } from '../router/local-membership.js';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A child that ran this long before dying starts the backoff over. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 200,
  maxMs: 10_000,
  resetAfterMs: 10_000,
};

/** Delay before restart number `crashes` (1-based) of a child that keeps dying: doubling, capped. */
export function restartDelay(crashes: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, crashes - 1));
}

export interface SupervisorOptions {
  count: number;
  /** The command line of child `index` on `port`: node executable + arguments. */
  command: (port: number) => { file: string; args: string[] };
  ports: number[];
  host: string;
  membership: LocalProcessMembership;
  backoff?: BackoffPolicy;
  readyTimeoutMs: number;
  /** Where the supervisor says what it does (one line each). */
  say: (line: string) => void;
  /** Where children's own output goes, a line at a time with the child's label. */
  childOutput: (label: string, line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ChildInfo {
  label: string;
  port: number;
  pid: number | undefined;
  ready: boolean;
  restarts: number;
}

interface Slot {
  label: string;
  port: number;
  child: ChildProcess | undefined;
  ready: boolean;
  restarts: number;
  crashes: number;
  startedAt: number;
  tail: string[];
  restartTimer: NodeJS.Timeout | undefined;
}

const TAIL_LINES = 30;
const STOP_GRACE_MS = 5000;

export class RuntimeSupervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private readonly backoff: BackoffPolicy;

  constructor(private readonly options: SupervisorOptions) {
    if (options.ports.length !== options.count) throw new Error('need one port per runtime');
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.slots = options.ports.map((port, i) => ({
      label: `runtime-${i + 1}`,
      port,
      child: undefined,
      ready: false,
      restarts: 0,
      crashes: 0,
      startedAt: 0,
      tail: [],
      restartTimer: undefined,
    }));
  }

  /** Starts every child and resolves once all are ready; rejects if one dies or times out. */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.launch(slot, true)));
  }

  children(): ChildInfo[] {
    return this.slots.map((s) => ({
      label: s.label,
      port: s.port,
      pid: s.child?.pid,
      ready: s.ready,
      restarts: s.restarts,
    }));
  }

  /** Stops every child: SIGTERM, then SIGKILL after a grace period; resolves when all exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((slot) => this.stopSlot(slot)));
  }

  /** Last resort for `process.on('exit')`: SIGKILL by PID whatever is still running. */
  killNow(): void {
    this.stopping = true;
    for (const slot of this.slots) {
      const pid = slot.child?.pid;
      if (pid !== undefined && isRunning(slot.child)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  private async launch(slot: Slot, initial: boolean): Promise<void> {
    const { file, args } = this.options.command(slot.port);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    slot.child = child;
    slot.ready = false;
    slot.startedAt = Date.now();
    child.on('error', (err) => {
      this.options.say(`${slot.label}: ${err.message}`);
    });
    this.pipeOutput(slot, child);
    // A runtime told to stop says so first: it leaves the membership at once, as a terminating
    // pod leaves its EndpointSlice, so its namespaces move while it can still hand them over.
    child.on('message', (message: unknown) => {
      if ((message as { glass?: unknown } | null)?.glass !== 'leaving' || slot.child !== child)
        return;
      this.options.membership.left(slot.port, this.options.host);
    });
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve(signal === null ? `code ${String(code)}` : `signal ${signal}`);
      });
    });
    void exited.then((how) => {
      this.exited(slot, child, how);
    });
    const ready = await Promise.race([
      this.waitReady(slot, child),
      exited.then((how) => new Error(`${slot.label} exited (${how}) before it was ready`)),
    ]);
    if (ready instanceof Error) {
      if (initial) throw new Error(`${ready.message}; its last output:\n${slot.tail.join('\n')}`);
      return;
    }
    if (slot.child !== child || this.stopping) return;
    slot.ready = true;
    this.options.membership.joined(slot.port, this.options.host);
    const restart = slot.restarts > 0 ? ` (restart ${slot.restarts})` : '';
    this.options.say(
      `${slot.label} ${this.options.host}:${slot.port} pid ${child.pid ?? '?'} ready${restart}`,
    );
  }

  private exited(slot: Slot, child: ChildProcess, how: string): void {
    if (slot.child !== child) return;
    const wasReady = slot.ready;
    slot.ready = false;
    slot.child = undefined;
    this.options.membership.left(slot.port, this.options.host);
    if (this.stopping) return;
    const ranFor = Date.now() - slot.startedAt;
    slot.crashes = ranFor >= this.backoff.resetAfterMs ? 1 : slot.crashes + 1;
    const delay = restartDelay(slot.crashes, this.backoff);
    const state = wasReady ? '' : ' before it was ready';
    this.options.say(
      `${slot.label} pid ${child.pid ?? '?'} exited (${how})${state}; restarting in ${delay} ms`,
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stopping) return;
      slot.restarts += 1;
      this.launch(slot, false).catch((err: unknown) => {
        this.options.say(`${slot.label} could not be restarted: ${String(err)}`);
      });
    }, delay);
  }

  private async waitReady(slot: Slot, child: ChildProcess): Promise<true | Error> {
    const deadline = Date.now() + this.options.readyTimeoutMs;
    const url = `http://${this.options.host}:${slot.port}/ready`;
    while (Date.now() < deadline && isRunning(child) && !this.stopping) {
      if (await answersReady(url)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (isRunning(child) && !this.stopping) {
      child.kill('SIGKILL');
      return new Error(
        `${slot.label} did not answer /ready within ${this.options.readyTimeoutMs} ms`,
      );
    }
    return new Error(`${slot.label} stopped before it was ready`);
  }

  private pipeOutput(slot: Slot, child: ChildProcess): void {
    for (const [stream, readable] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!readable) continue;
      createInterface({ input: readable, crlfDelay: Infinity }).on('line', (line) => {
        slot.tail.push(line);
        if (slot.tail.length > TAIL_LINES) slot.tail.shift();
        this.options.childOutput(slot.label, line, stream);
      });
    }
  }

  private async stopSlot(slot: Slot): Promise<void> {
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    const child = slot.child;
    if (!child || !isRunning(child)) return;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (isRunning(child)) child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

async function answersReady(url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}
