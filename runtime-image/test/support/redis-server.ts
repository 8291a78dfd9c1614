// A real `redis-server` for tests: its own process on a free loopback port, its own temp dir,
// AOF on where durability is tested, and kill -9 / restart on the same port and dir.
// There is no Redis mock anywhere: a missing binary fails the test with how to get it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface RedisServerOptions {
  /** `--appendonly yes --appendfsync always`: every acknowledged write is on disk. */
  appendOnly?: boolean;
  /** `--requirepass`. */
  password?: string;
  /** Serve TLS only (`--port 0 --tls-port N`) with this certificate, key and CA. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/** Every server started by this process, so even a failed test leaves none behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
});

export function findRedisServer(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error('redis-server not found: apt-get install redis-server');
}

/** A port that was free a moment ago (the server then binds it, so a clash fails loudly). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One RESP `PING` over a plain socket: true once the server answers (even with NOAUTH). */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // -LOADING means the AOF is still being replayed: not up yet.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly binary: string,
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts a server on a free loopback port with a fresh temp dir. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const binary = findRedisServer();
    const dir = await mkdtemp(join(tmpdir(), 'glass-redis-'));
    const server = new RedisServer(binary, await freePort(), dir, options);
    await server.launch();
    return server;
  }

  /** `redis://` (or `rediss://` with TLS) on loopback, without credentials. */
  get url(): string {
    return `${this.options.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the server printed (its log goes to stdout). */
  output(): string {
    return this.log;
  }

  private args(): string[] {
    const { appendOnly, password, tls } = this.options;
    const args = ['--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--logfile', ''];
    args.push('--daemonize', 'no', '--databases', '4');
    if (tls) {
      args.push('--port', '0', '--tls-port', String(this.port));
      args.push('--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile);
      args.push('--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no');
    } else {
      args.push('--port', String(this.port));
    }
    if (appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    if (password !== undefined) args.push('--requirepass', password);
    return args;
  }

  private async launch(): Promise<void> {
    const logStart = this.log.length;
    const child = spawn(this.binary, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
    });
    const append = (chunk: Buffer): void => {
      this.log += chunk.toString();
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    // A TLS-only server does not speak plain RESP: wait for its log line instead.
    const up = async (): Promise<boolean> =>
      this.options.tls
        ? this.log.slice(logStart).includes('Ready to accept connections')
        : pings(this.port);
    const deadline = performance.now() + 15_000;
    while (!(await up())) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`redis-server exited before it was ready:\n${this.log}`);
      }
      if (performance.now() > deadline) {
        throw new Error(`redis-server not ready on port ${this.port} in 15 s:\n${this.log}`);
      }
      await delay(20);
    }
  }

  /** `kill -9`: no shutdown save, no goodbye to clients. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    await exited;
  }

  /** SIGSTOP: the server keeps its connections and answers nothing, as a hung Redis would. */
  freeze(): void {
    if (this.child?.pid !== undefined) process.kill(this.child.pid, 'SIGSTOP');
  }

  /** SIGCONT after `freeze`: the server answers again. */
  thaw(): void {
    if (this.child?.pid !== undefined) process.kill(this.child.pid, 'SIGCONT');
  }

  /** Starts again on the same port and dir: with AOF on, it replays what it acknowledged. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Kills the server and removes its dir. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
