// The e2e runs in a network namespace of its own. The API server refuses loopback addresses
// (127/8) as endpoints, and the router reads its runtime pods from EndpointSlices, so pods need
// ordinary addresses: inside the namespace, 10.244.0.0/16 is put on `lo`, where every one of
// its addresses is local and binds, and nothing of it is seen outside. The control plane,
// Redis, the agent and every pod run in there; the namespace goes when its last process does.
import { spawn } from 'node:child_process';
import { run, runOk } from '@glass/runtime/test-support/run';

export const POD_CIDR = '10.244.0.0/16';
const MARKER = 'GLASS_E2E_SANDBOX';

export const insideSandbox = (): boolean => process.env[MARKER] === '1';

/**
 * Runs this same script again in a new network namespace (a new user namespace too, when not
 * root) and resolves with its exit code. Output goes straight through.
 */
export async function reexecInSandbox(): Promise<number> {
  const root = process.getuid?.() === 0;
  const unshare = root ? ['--net'] : ['--user', '--map-root-user', '--net'];
  const probe = await run('unshare', [...unshare, 'true']).catch((error: unknown) => ({
    code: -1,
    stderr: (error as Error).message,
  }));
  if (probe.code !== 0) {
    console.error(
      `e2e: cannot create a network namespace (unshare ${unshare.join(' ')}: ${probe.stderr.trim()}). ` +
        'It needs util-linux, and root or unprivileged user namespaces (on Ubuntu 24.04: ' +
        'sysctl kernel.apparmor_restrict_unprivileged_userns=0); or run it as root.',
    );
    return 1;
  }
  const child = spawn('unshare', [...unshare, '--', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [MARKER]: '1' },
  });
  // Ctrl-C reaches the child through the terminal; here it only must not end this parent first.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', (signal) => child.kill(signal));
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.error(`e2e: unshare failed: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** In the new namespace: bring `lo` up and make the pod network local. */
export async function setUpLoopback(): Promise<void> {
  try {
    await runOk('ip', ['link', 'set', 'lo', 'up']);
    await runOk('ip', ['addr', 'add', POD_CIDR.replace('.0/', '.1/'), 'dev', 'lo']);
  } catch (error) {
    throw new Error(
      `cannot set up the sandbox's loopback (needs iproute2: apt-get install iproute2): ${(error as Error).message}`,
    );
  }
}
