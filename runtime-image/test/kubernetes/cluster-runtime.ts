// A real `glass runtime --cluster` process against the shared control plane, and the
// namespaces the tests work in.
import { randomBytes } from 'node:crypto';
import { runGlass, type CliProcess } from '../support/cli-process.js';
import type { SharedControlPlane } from '../support/control-plane.js';
import { call } from '../support/runtime-server.js';
import { waitFor } from '../support/wait.js';

export interface ClusterRuntime {
  glass: CliProcess;
  base: string;
}

/**
 * Starts `glass runtime --port 0 --cluster CLUSTER ...` and resolves once it listens (not
 * once it is ready: tests see /ready go from 503 to 200). `args` and `env` add to the call.
 */
export async function startClusterRuntime(
  options: { cluster?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<ClusterRuntime> {
  const glass = runGlass(
    [
      'runtime',
      '--port',
      '0',
      '--workers',
      '2',
      '--cluster',
      options.cluster ?? 'glass',
      ...(options.args ?? []),
    ],
    options.env,
  );
  const listening = JSON.parse(await glass.line(/"msg":"runtime listening"/)) as { port: number };
  return { glass, base: `http://127.0.0.1:${listening.port}` };
}

/** The flags that point a runtime at the shared control plane and a namespace. */
export function planeArgs(plane: SharedControlPlane, namespace: string): string[] {
  return ['--kubeconfig', plane.kubeconfigPath, '--namespace', namespace];
}

/** A namespace of the test's own, with a random suffix (other test files share the API server). */
export async function createNamespace(plane: SharedControlPlane, prefix: string): Promise<string> {
  const namespace = `${prefix}-${randomBytes(3).toString('hex')}`;
  await plane.kubectlOk(['create', 'namespace', namespace]);
  return namespace;
}

export async function deleteNamespace(plane: SharedControlPlane, namespace: string): Promise<void> {
  // No kubelet, so nothing lingers: the namespace controller removes it all in the background.
  await plane.kubectlOk(['delete', 'namespace', namespace, '--wait=false']);
}

export async function waitUntilReady(base: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `${base}/ready to answer 200`,
    async () => (await call(base, 'GET', '/ready')).status === 200,
    timeoutMs,
  );
}

/** Waits until `path` answers `status` (and `text`, if given); returns the answer's text. */
export async function waitForAnswer(
  base: string,
  path: string,
  expected: { status: number; text?: string },
  timeoutMs = 20_000,
): Promise<string> {
  let last = '';
  try {
    await waitFor(
      `${path} to answer ${expected.status}${expected.text === undefined ? '' : ` ${expected.text}`}`,
      async () => {
        const answer = await call(base, 'GET', path);
        last = `${answer.status} ${answer.text}`;
        return (
          answer.status === expected.status &&
          (expected.text === undefined || answer.text === expected.text)
        );
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer: ${last}`);
  }
  return last.slice(last.indexOf(' ') + 1);
}

/** One sample's value from /metrics, or undefined when the series is absent. */
export async function metric(
  base: string,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const text = (await call(base, 'GET', '/metrics')).text;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(line.indexOf('{') + 1, line.indexOf('}'));
    if (wanted.every((l) => labelText.split(',').includes(l))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}
