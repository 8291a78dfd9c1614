// Containers from the images `make image` builds, run with the machine's podman. Tests start
// their containers under names of their own and remove exactly those. A missing podman or image
// fails the test with how to get it; nothing here skips.
import { randomBytes } from 'node:crypto';
import { run, runOk, type Run } from '../support/run.js';
import { waitFor } from '../support/wait.js';

export const GLASS_IMAGE = 'localhost/glass:dev';
export const REDIS_IMAGE = 'localhost/glass-redis:dev';

/** `podman ARGS...` to its end; a missing podman is an error that says how to get it. */
export async function podman(args: string[]): Promise<Run> {
  try {
    return await run('podman', args);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('podman not found: apt-get install podman (or run make setup)');
    }
    throw error;
  }
}

/** As podman, but fails with its stderr unless it exits 0; resolves with stdout. */
export async function podmanOk(args: string[]): Promise<string> {
  await podman(['--version']);
  return runOk('podman', args);
}

/** Fails, saying to run `make image`, unless the local store holds `image`. */
export async function requireImage(image: string): Promise<void> {
  const exists = await podman(['image', 'exists', image]);
  if (exists.code !== 0) {
    throw new Error(`${image} is not in podman's local store: run make image (hack/image.sh)`);
  }
}

export interface Container {
  name: string;
  /** `podman exec NAME ARGS...` to its end. */
  exec(args: string[]): Promise<Run>;
  logs(): Promise<string>;
  /** `podman rm -f` of this container (and its anonymous volumes). */
  remove(): Promise<void>;
}

/** `podman run -d --name <unique> ARGS...`: `args` are what comes after the name. */
export async function runDetached(args: string[]): Promise<Container> {
  const name = `glass-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  await podmanOk(['run', '-d', '--name', name, ...args]);
  return {
    name,
    exec: (command) => podman(['exec', name, ...command]),
    logs: async () => {
      const logs = await podman(['logs', name]);
      return logs.stdout + logs.stderr;
    },
    remove: async () => {
      await podman(['rm', '-f', '-v', name]);
    },
  };
}

/** Waits until GET `url` answers 200; the container's log goes into the failure. */
export async function waitForHttp(
  url: string,
  container: Container,
  timeoutMs = 90_000,
): Promise<void> {
  try {
    await waitFor(
      `${url} to answer 200`,
      async () => {
        try {
          return (await fetch(url)).status === 200;
        } catch {
          return false;
        }
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; container log:\n${await container.logs()}`);
  }
}
