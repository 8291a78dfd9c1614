// `glass up` as the tests start it: the real CLI in a child process on a free port, ready once
// it prints its last line, with the runtimes' PIDs read from what it printed.
import { freePort, MAIN_JS, spawnNode, type Spawned } from '../router/helpers.js';

export interface GlassUp {
  up: Spawned;
  port: number;
  /** The router's base URL. */
  url: string;
  /** The latest PID of each runtime, by its address, from what `glass up` printed. */
  pids: () => Map<string, number>;
}

export function runtimePids(up: Spawned): Map<string, number> {
  const found = new Map<string, number>();
  for (const m of up.output().matchAll(/runtime-\d+ (127\.0\.0\.1:\d+) pid (\d+) ready/g))
    found.set(m[1] ?? '', Number(m[2]));
  return found;
}

/** `glass up --port <free port> ...args`. */
export async function startGlassUp(args: string[] = []): Promise<GlassUp> {
  const port = await freePort();
  const up = await spawnNode(
    [MAIN_JS, 'up', '--port', String(port), ...args],
    /Ctrl-C stops everything\./,
    60_000,
  );
  return { up, port, url: `http://127.0.0.1:${port}`, pids: () => runtimePids(up) };
}
