// One container as one local process: started with exactly the environment given (nothing of
// the agent's leaks in, as nothing of a node's leaks into a container), its stdout and stderr
// appended to a log file, stopped by its PID with SIGTERM, then SIGKILL after the grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';

export interface Exit {
  exitCode: number;
  /** The signal that ended it, e.g. SIGKILL; exitCode is then 128 + its number, as in a shell. */
  signal: string | undefined;
  finishedAt: Date;
}

export interface ProcessSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
}

export class ContainerProcess {
  readonly startedAt = new Date();
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly child: ChildProcess;

  constructor(spec: ProcessSpec) {
    const [command = '', ...args] = spec.argv;
    const log = openSync(spec.logFile, 'a');
    try {
      this.child = spawn(command, args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log); // the child holds its own copy of the descriptor
    }
    this.exited = new Promise<Exit>((resolve) => {
      const finish = (exitCode: number, signal: string | undefined): void => {
        this.exit ??= { exitCode, signal, finishedAt: new Date() };
        resolve(this.exit);
      };
      this.child.once('exit', (code, signal) => {
        finish(code ?? 128 + (signal ? constants.signals[signal] : 0), signal ?? undefined);
      });
      // A command that cannot start (no such file) never exits: report it as a failure.
      this.child.once('error', () => {
        finish(127, undefined);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Set once the process has ended. */
  get result(): Exit | undefined {
    return this.exit;
  }

  /** SIGTERM, then SIGKILL when it has not exited within the grace period. */
  async stop(graceMs: number): Promise<Exit> {
    if (this.exit) return this.exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.signal('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exit || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // it exited in the meantime
    }
  }
}
