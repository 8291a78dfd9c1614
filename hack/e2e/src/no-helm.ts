// The README's other path, without helm, verbatim:
//   kubectl apply --server-side -k crds/
//   npm run operator &
//   kubectl apply -f crds/samples/glasscluster.yaml
//   kubectl apply -f crds/samples/counter.yaml
//   kubectl get faaslets
// then a call through the router the operator made. Runs after `helm uninstall`, in the same
// (default) namespace, so the objects of the helm path are cleared first.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Cluster } from './cluster.js';
import type { ClusterView } from './cluster-view.js';
import { call, describeAnswer } from './http.js';
import { CLUSTER, RELEASE } from './install-glass.js';
import { SAMPLES } from './faaslets.js';
import { check, waitFor } from './wait.js';

export interface NoHelm {
  /** From the first line to a good answer through the router, in ms. */
  linesToCurlMs: number;
  faaslets: string;
}

/** `npm run operator`, in its own process group so that stopping it stops node too. */
function startOperator(cluster: Cluster, repoRoot: string): ChildProcess {
  return spawn('npm', ['run', 'operator'], {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: cluster.kubeconfig },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
}

async function stopOperator(operator: ChildProcess): Promise<void> {
  if (operator.exitCode !== null || operator.pid === undefined) return;
  const exited = once(operator, 'exit');
  process.kill(-operator.pid, 'SIGTERM');
  await exited;
}

/** `helm uninstall`, and what the helm path applied by hand, gone before the other path. */
async function clearHelmPath(cluster: Cluster, view: ClusterView, repoRoot: string) {
  // No --wait: the GlassCluster's finalizer is the operator's, and helm removes the operator too.
  await cluster.helmOk(['uninstall', RELEASE, '--namespace', view.namespace]);
  const samples = SAMPLES.flatMap((s) => ['-f', `crds/samples/${s}.yaml`]);
  await cluster.kubectlOk(
    ['delete', '--ignore-not-found', '--wait', ...samples],
    undefined,
    repoRoot,
  );
  await cluster.kubectlOk(['delete', 'faaslets', '--all', '--wait']);
}

export async function runNoHelmLines(
  cluster: Cluster,
  view: ClusterView,
  repoRoot: string,
): Promise<NoHelm> {
  await clearHelmPath(cluster, view, repoRoot);
  const kubectl = (args: string[]) => cluster.kubectlOk(args, undefined, repoRoot);
  const started = performance.now();
  await kubectl(['apply', '--server-side', '-k', 'crds/']);
  const operator = startOperator(cluster, repoRoot);
  try {
    // The helm path's GlassCluster may still be terminating: the operator removes its finalizer.
    await waitFor(`the helm path's GlassCluster ${CLUSTER} to be gone`, 120_000, async () => {
      const left = await cluster.kubectl([
        'get',
        'glasscluster',
        CLUSTER,
        '--ignore-not-found',
        '-o',
        'name',
      ]);
      return left.stdout.trim() === '' ? true : undefined;
    });
    await kubectl(['apply', '-f', 'crds/samples/glasscluster.yaml']);
    await kubectl(['apply', '-f', 'crds/samples/counter.yaml']);
    const faaslets = await waitFor(
      'kubectl get faaslets to show counter READY',
      180_000,
      async () => {
        const out = await kubectl(['get', 'faaslets']);
        return /^counter\s+True\b/m.test(out) ? out : undefined;
      },
    );
    await waitFor(`GlassCluster ${CLUSTER} to be Ready`, 180_000, async () => {
      const { ready, message } = await view.readiness('glassclusters', CLUSTER);
      if (!ready) throw new Error(message);
      return true;
    });
    const ip = await kubectl([
      'get',
      'service',
      `${CLUSTER}-router`,
      '-o',
      'jsonpath={.spec.clusterIP}',
    ]);
    const url = `http://${ip}:80/invoke/add?value=5`;
    const answer = await waitFor(`a good answer from ${url}`, 120_000, async () => {
      const got = await call(url);
      return got.status === 200 ? got : undefined;
    });
    check(/^\d+$/.test(answer.text), describeAnswer(url, answer));
    const linesToCurlMs = performance.now() - started;
    await kubectl([
      'delete',
      '-f',
      'crds/samples/counter.yaml',
      '-f',
      'crds/samples/glasscluster.yaml',
      '--wait',
    ]);
    return { linesToCurlMs, faaslets: faaslets.trim() };
  } finally {
    await stopOperator(operator);
  }
}
