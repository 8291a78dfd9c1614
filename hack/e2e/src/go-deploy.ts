// A Go module of about 2 MB (guests/go, built by `npm run build`) goes through `glass deploy
// --apply` with no --url: stored gzip-compressed in its ConfigMap (ADR 91), Ready, and served
// by the runtime pods: the classic add answers 10, then 20.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from '@glass/runtime/test-support/run';
import type { Cluster } from './cluster.js';
import type { ClusterView } from './cluster-view.js';
import { call, describeAnswer } from './http.js';
import { check, waitFor } from './wait.js';

const FAASLET = 'counter-go';

export interface GoDeploy {
  moduleBytes: number;
  /** From `glass deploy --apply` to the first good answer through the router, in ms. */
  deployToAnswerMs: number;
}

export async function deployGoCounter(
  cluster: Cluster,
  view: ClusterView,
  repoRoot: string,
  routerUrl: string,
): Promise<GoDeploy> {
  const module = join(repoRoot, 'guests', 'build', 'counter-go.wasm');
  const moduleBytes = statSync(module).size;
  const started = performance.now();
  await runOk(process.execPath, [
    join(repoRoot, 'runtime-image', 'bin', 'glass.js'),
    'deploy',
    module,
    '--name',
    FAASLET,
    '--apply',
    '--kubeconfig',
    cluster.kubeconfig,
    '--namespace',
    view.namespace,
  ]);
  await waitFor(`Faaslet ${FAASLET} to be Ready`, 120_000, async () => {
    const { ready, message } = await view.readiness('faaslets', FAASLET);
    if (!ready) throw new Error(message);
    return true;
  });
  const url = `${routerUrl}/invoke/${FAASLET}/add?value=10`;
  const headers = { 'X-User-ID': 'go' };
  const first = await waitFor(`a first answer from ${url}`, 60_000, async () => {
    const answer = await call(url, { method: 'POST', headers });
    return answer.status === 200 ? answer : undefined;
  });
  const deployToAnswerMs = performance.now() - started;
  const second = await call(url, { method: 'POST', headers });
  check(
    first.text === '10' && second.text === '20',
    `the Go counter answers 10, then 20: ${describeAnswer('first', first)}; ${describeAnswer('second', second)}`,
  );
  return { moduleBytes, deployToAnswerMs };
}
