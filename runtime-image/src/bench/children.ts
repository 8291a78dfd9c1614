// Child processes for the benchmarks: spawned with this Node, on loopback, ended by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Child {
  process: ChildProcess;
  /** What the child wrote to stdout so far. */
  stdout(): string;
  /** The end of what the child wrote to stderr, for the error when it ends early. */
  stderr(): string;
}

const STDERR_KEPT = 4000;
/** One readiness request; the next attempt opens a new connection. */
const ATTEMPT_MS = 1000;
const STDOUT_KEPT = 1024 * 1024;

export function spawnNode(script: string, args: string[], nodeFlags: string[] = []): Child {
  return spawnCommand(process.execPath, [...nodeFlags, script, ...args]);
}

/** Any program (the anchors: haproxy, nginx; the load generator wrk), output kept as above. */
export function spawnCommand(command: string, args: string[]): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout = (stdout + chunk).slice(-STDOUT_KEPT);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  return { process: child, stdout: () => stdout, stderr: () => stderr };
}

/** Waits until `url` answers 200; fails if the child ends first or it takes over `ms`. */
export async function waitForOk(child: Child, url: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(
        `child ${String(child.process.pid)} ended (${child.process.exitCode}): ${child.stderr()}`,
      );
    }
    try {
      // A bounded attempt: a `glass runtime` listens a moment before its request handler is
      // attached (while it reads --members-file), and a request in that window never answers.
      const response = await fetch(url, { signal: AbortSignal.timeout(ATTEMPT_MS) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet, or the attempt timed out.
    }
    await delay(50);
  }
  throw new Error(`${url} did not answer 200 within ${ms} ms: ${child.stderr()}`);
}

/** SIGTERM by PID, then SIGKILL if it has not ended within a second. */
export async function stop(child: Child): Promise<void> {
  const { process: proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const ended = once(proc, 'exit');
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 1000);
  await ended;
  clearTimeout(timer);
}
