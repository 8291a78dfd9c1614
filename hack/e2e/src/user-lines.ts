// Steps 3-4 as the README has them, verbatim:
//   kubectl apply -f crds/samples/counter.yaml
//   kubectl port-forward svc/glass-router 8080:80 & curl "localhost:8080/invoke/add?value=5"
// timed from the apply to the first good answer through the port-forward.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Cluster } from './cluster.js';
import { call, describeAnswer } from './http.js';
import { check, waitFor } from './wait.js';

const LOCAL_PORT = 8080;

export interface UserLines {
  /** From `kubectl apply` to the first good curl through `kubectl port-forward`, in ms. */
  applyToCurlMs: number;
  answers: string[];
}

/** `kubectl port-forward svc/glass-router 8080:80`, resolved once it says it is forwarding. */
async function portForward(cluster: Cluster): Promise<ChildProcess> {
  const child = spawn(
    join(cluster.binDir, 'kubectl'),
    ['--kubeconfig', cluster.kubeconfig, 'port-forward', 'svc/glass-router', `${LOCAL_PORT}:80`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const forwarding = new Promise<void>((resolve) => {
    const seen = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes(`Forwarding from 127.0.0.1:${LOCAL_PORT}`)) resolve();
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
  });
  const exited = once(child, 'exit').then(() => {
    throw new Error(`kubectl port-forward exited: ${output.trim()}`);
  });
  const timeout = new Promise<never>((_resolve, reject) =>
    setTimeout(() => {
      reject(new Error(`kubectl port-forward did not forward within 30 s: ${output.trim()}`));
    }, 30_000).unref(),
  );
  try {
    await Promise.race([forwarding, exited, timeout]);
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return child;
}

export async function runUserLines(cluster: Cluster, repoRoot: string): Promise<UserLines> {
  const applied = performance.now();
  await cluster.kubectlOk(['apply', '-f', 'crds/samples/counter.yaml'], undefined, repoRoot);
  // The Faaslet is on its way to the runtime pods; a port-forward to a router that answers 404
  // `unknown_faaslet` meanwhile is what the user sees too, so the curl is repeated until good.
  const forward = await waitFor('kubectl port-forward svc/glass-router 8080:80', 60_000, () =>
    portForward(cluster),
  );
  try {
    const url = `http://localhost:${LOCAL_PORT}/invoke/add?value=5`;
    const first = await waitFor(
      `a first good curl "${url}"`,
      60_000,
      async () => {
        const answer = await call(url);
        return answer.status === 200 ? answer : undefined;
      },
      100,
    );
    const applyToCurlMs = performance.now() - applied;
    const second = await call(url);
    check(
      second.status === 200 && Number(second.text) === Number(first.text) + 5,
      `${describeAnswer('the second curl', second)}; the first answered ${first.text}`,
    );
    return { applyToCurlMs, answers: [first.text, second.text] };
  } finally {
    forward.kill('SIGTERM');
  }
}
