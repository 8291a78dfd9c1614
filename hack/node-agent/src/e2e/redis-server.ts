// The global state tier for the e2e: a redis-server of its own on a free loopback port, with
// no persistence (the data is thrown away), stopped by its PID at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { waitFor } from './wait.js';
import { run } from '@glass/runtime/test-support/run';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class RedisServer {
  private output = '';

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const append = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  }

  /** Starts a server on a free port, or on `port` again after a stop. */
  static async start(port?: number): Promise<RedisServer> {
    port ??= await freePort();
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => {
        reject(
          new Error(`redis-server did not start (${error.message}): apt-get install redis-server`),
        );
      });
    });
    await started;
    const server = new RedisServer(port, child);
    await waitFor(`redis-server on port ${String(port)}`, 15_000, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited:\n${server.output}`);
      const ping = await run('redis-cli', ['-p', String(port), 'ping']);
      return ping.stdout.includes('PONG') ? true : undefined;
    });
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
    await exited;
  }
}
