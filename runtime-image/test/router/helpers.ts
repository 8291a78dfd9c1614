// Real processes for router tests: fixture backends, the `glass` CLI, and their cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Pool } from 'undici';
import { parseConfig, RouterSettings } from '../../src/router/config.js';
import type { Scheduler } from '../../src/router/health.js';
import { MemberSet } from '../../src/router/membership.js';
import { startRouter, type RunningRouter } from '../../src/router/router.js';

const here = dirname(fileURLToPath(import.meta.url));
export const BACKEND_JS = join(here, 'fixtures', 'backend.js');
export const MAIN_JS = join(here, '..', '..', 'src', 'cli', 'main.js');

const children = new Set<ChildProcess>();

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts `node args...` and resolves once its output matches `ready` (rejecting with the output
 * when it exits first or `timeoutMs` passes). The child (with environment `env`) is killed by
 * `killAll()`.
 */
export function spawnNode(
  args: string[],
  ready: RegExp,
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Spawned & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  children.add(child);
  let out = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    });
  });
  const spawned: Spawned = {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${String(ready)} from ${args.join(' ')}:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ ...spawned, match });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`${args.join(' ')} exited (${String(code)}) before ${String(ready)}:\n${out}`),
      );
    });
  });
}

export interface Backend extends Spawned {
  port: number;
  name: string;
  url: string;
}

/** A fixture backend process on loopback (on `port`, or a free one). */
export async function startBackend(port = 0): Promise<Backend> {
  const spawned = await spawnNode([BACKEND_JS, '--port', String(port)], /listening (\d+)/);
  const bound = Number(spawned.match[1]);
  return { ...spawned, port: bound, name: `127.0.0.1:${bound}`, url: `http://127.0.0.1:${bound}` };
}

/** Kills every child these helpers started that is still running. */
export async function killAll(): Promise<void> {
  const running = [...children];
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => {
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface Answer {
  status: number;
  pod: string | undefined;
  json: unknown;
}

/** One request through `pool`, its body read as JSON (or text when it is not JSON). */
export async function call(
  pool: Pool,
  path: string,
  init: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    headers?: Record<string, string>;
    body?: string | Buffer;
  } = {},
): Promise<Answer> {
  const res = await pool.request({
    method: init.method ?? 'GET',
    path,
    headers: init.headers ?? {},
    body: init.body ?? null,
  });
  const text = await res.body.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const pod = res.headers['x-glass-pod'];
  return { status: res.statusCode, pod: typeof pod === 'string' ? pod : undefined, json };
}

export { Pool };

/** A scheduler that never fires: tests call `table.probeAll()` when they want a probe round. */
export const manualProbes: Scheduler = { every: () => () => undefined };

export const silent = pino({ level: 'silent' });

/** An in-process router on a free loopback port in front of `members`. */
export async function startTestRouter(
  members: { name: string; url: string }[],
  settings: Record<string, unknown> = {},
  scheduler: Scheduler = manualProbes,
): Promise<RunningRouter & { membership: MemberSet }> {
  const membership = new MemberSet();
  for (const m of members) membership.add(m);
  // Strict key affinity unless a test asks for bounded load.
  const config = parseConfig(RouterSettings, {
    host: '127.0.0.1',
    port: 0,
    balanceFactor: 0,
    ...settings,
  });
  const router = await startRouter(config, membership, { log: silent, scheduler });
  return { ...router, membership };
}

/** A GET with node:http, which can pick the client's source address (`localAddress`). */
export function getFrom(
  url: string,
  options: { headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { headers: options.headers, localAddress: options.localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const pod = res.headers['x-glass-pod'];
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({
            status: res.statusCode ?? 0,
            pod: typeof pod === 'string' ? pod : undefined,
            json,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
