// `glass-operator` as a real child process: started with this Node, ended by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { eventually } from './wait.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const running = new Set<ChildProcess>();

export interface OperatorProcess {
  child: ChildProcess;
  pid: number;
  identity: string;
  /** The health/metrics port, once it logged "operator started". */
  port: number;
  output(): string;
  /** The sum of a metric's series from /metrics (e.g. glass_operator_leader); 0 when absent. */
  metric(name: string): Promise<number>;
  /** The status code of GET /readyz. */
  readyz(): Promise<number>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string | null>;
  /** Sends `signal` by PID and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts an operator against `kubeconfig` and waits for its "operator started" line. */
export async function startOperator(
  kubeconfig: string,
  identity: string,
  extraArgs: string[] = [],
): Promise<OperatorProcess> {
  const args = [
    ...['--kubeconfig', kubeconfig, '--identity', identity],
    ...['--health-port', '0', '--health-host', '127.0.0.1', '--lease-namespace', 'default'],
    // Test module servers listen on loopback, which is refused unless allowed (ADR 0081).
    ...['--module-fetch-allow-cidr', '127.0.0.0/8'],
    ...['--log-level', 'info', ...extraArgs],
  ];
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = once(child, 'exit');
  child.once('exit', () => running.delete(child));
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (text += c));
  const port = await eventually(
    `operator ${identity} to log "operator started"`,
    () => {
      if (child.exitCode !== null) throw new Error(`operator exited early:\n${text}`);
      const line = text.split('\n').find((l) => l.includes('"operator started"'));
      return line === undefined ? undefined : (JSON.parse(line) as { port: number }).port;
    },
    30_000,
  );
  const pid = child.pid ?? 0;
  return {
    child,
    pid,
    identity,
    port,
    output: () => text,
    async metric(name) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      const series = (await response.text())
        .split('\n')
        .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return series.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    },
    async readyz() {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      await response.arrayBuffer();
      return response.status;
    },
    exited: exited.then(() => child.exitCode ?? child.signalCode),
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, signal);
      await exited;
    },
  };
}

/** Ends (SIGKILL, by PID) every operator a test started and did not end itself. */
export async function killAllOperators(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = once(child, 'exit');
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await exited;
    }),
  );
}

process.once('exit', () => {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
});
