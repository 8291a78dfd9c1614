// `make e2e-local`: Glass's whole path on a real single-node Kubernetes (hack/cluster.sh: a
// control plane, containerd, kubelet, kube-proxy, CoreDNS) running the image built from the
// Dockerfile (`make image`). The README's lines verbatim apart from the image value: helm
// install, kubectl apply, kubectl port-forward and curl; then affinity, kill -9 of a runtime
// container under load, a rolling restart, kubectl scale of the GlassCluster to 3 and back to 2
// under load, and the path without helm. Prints its figures;
// exits non-zero on any failed check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@glass/runtime/test-support/run';
import { checkAffinity } from './affinity.js';
import { startCluster, type Cluster } from './cluster.js';
import { ClusterView } from './cluster-view.js';
import { checkContainerSecurity } from './container-security.js';
import { printDiagnostics } from './diagnostics.js';
import { deployGoCounter } from './go-deploy.js';
import { applyFaaslets, checkAnswers, GLOBAL_FAASLET } from './faaslets.js';
import { printFigures, type Figures } from './figures.js';
import { enableRedis, GLASS_IMAGE, installGlass, REDIS_IMAGE, RELEASE } from './install-glass.js';
import { checkLiveness } from './liveness.js';
import { runNoHelmLines } from './no-helm.js';
import { checkPodCredentials } from './pod-credentials.js';
import { killRuntimePod } from './pod-kill.js';
import { rollingRestart } from './rolling-restart.js';
import { scaleCluster } from './scale-cluster.js';
import { runUserLines } from './user-lines.js';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
/** The README's lines name no namespace: they land in the kubeconfig's, `default`. */
const NAMESPACE = 'default';
const TIMEOUT_S = Number(process.env.GLASS_E2E_TIMEOUT ?? '900');
const IMAGES = [GLASS_IMAGE, REDIS_IMAGE].map((i) => `${i.repository}:${i.tag}`);

const started = performance.now();
/** Set when the run has failed: steps still running in the background then stay quiet. */
let abandoned = false;
const say = (message: string): void => {
  if (abandoned) return;
  console.log(
    `e2e [${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`,
  );
};

interface Parts {
  cluster?: Cluster;
}

/** The images come from `make image`; the e2e never builds them behind the user's back. */
async function requireImages(): Promise<void> {
  for (const image of IMAGES) {
    const exists = await run('podman', ['image', 'exists', image]).catch(() => ({ code: -1 }));
    if (exists.code !== 0)
      throw new Error(`image ${image} not found in podman's store: run 'make image' first`);
  }
}

async function steps(parts: Parts, workDir: string, figures: Figures): Promise<void> {
  await requireImages();
  say(`cluster: starting (hack/cluster.sh up), loading ${IMAGES.join(', ')}`);
  const cluster = (parts.cluster = await startCluster(REPO_ROOT, IMAGES));
  figures.clusterMs = performance.now() - started;
  const view = new ClusterView(cluster.kubeconfig, NAMESPACE);
  say(`helm install glass charts/glass --set image.repository=${GLASS_IMAGE.repository},...`);
  const installed = await installGlass(cluster, view, REPO_ROOT);
  figures.installMs = installed.readyMs;
  say(`GlassCluster Ready; runtime pods ${installed.runtimePods.map((p) => p.name).join(', ')}`);
  await checkPodCredentials(cluster, NAMESPACE, workDir);
  say('pods act as their own ServiceAccounts (their mounted tokens), with exactly their RBAC');
  const victim = installed.runtimePods[0]?.name ?? '';
  figures.security = await checkContainerSecurity(cluster, NAMESPACE, victim);
  say(`inside ${victim}: uid 65532, /app and / read-only, /tmp writable`);
  say('kubectl apply -f crds/samples/counter.yaml; kubectl port-forward svc/glass-router 8080:80');
  figures.userLines = await runUserLines(cluster, REPO_ROOT);
  say(`curl "localhost:8080/invoke/add?value=5" answered ${figures.userLines.answers.join(', ')}`);
  const options = { repoRoot: REPO_ROOT, workDir, namespace: NAMESPACE, ...installed };
  figures.firstCurl = await applyFaaslets(cluster, ['kv', 'echo-wasi', 'cart'], options);
  await checkAnswers(installed.routerUrl);
  say('the samples answer through the router Service; checking affinity');
  figures.affinity = await checkAffinity(installed.routerUrl, installed.runtimePods);
  say('affinity holds; glass deploy --apply of the ~2 MB Go counter');
  figures.go = await deployGoCounter(cluster, view, REPO_ROOT, installed.routerUrl);
  say(
    'the Go counter answers 10, then 20; helm upgrade --set redis.enabled=true (a Redis image built here)',
  );
  const withRedis = await enableRedis(cluster, view, REPO_ROOT);
  figures.redisMs = withRedis.readyMs;
  Object.assign(
    figures.firstCurl,
    await applyFaaslets(cluster, [GLOBAL_FAASLET], { ...options, ...withRedis }),
  );
  say('a global-durability counter answers; kill -9 of a runtime container under load');
  figures.kill = await killRuntimePod(cluster, view, withRedis.routerUrl, withRedis.runtimePods);
  say('container kill: survived, nothing acknowledged lost; kubectl rollout restart under load');
  figures.rollout = await rollingRestart(cluster, withRedis.routerUrl, NAMESPACE);
  say('rolling restart: every acknowledged cart add kept, no call failed');
  say(`kubectl scale glasscluster/glass --replicas=3 under load, then --replicas=2`);
  figures.scale = await scaleCluster(cluster, view, withRedis.routerUrl);
  say(`kubectl get glasscluster at 3 runtime pods:\n${figures.scale.table}`);
  say(
    `scale to 3 and back to 2: ${figures.scale.added} came, ${figures.scale.removed} went; every acknowledged cart add kept, no call failed`,
  );
  const live = await checkLiveness(cluster, NAMESPACE, [figures.kill.victim]);
  say(`no liveness probe failed but while its container was killed: ${live.join(', ')}`);
  say(
    'without helm: helm uninstall, then the README lines kubectl apply -k, npm run operator, ...',
  );
  figures.noHelm = await runNoHelmLines(cluster, view, REPO_ROOT);
  say(`kubectl get faaslets:\n${figures.noHelm.faaslets}`);
}

/** The steps, cut short by GLASS_E2E_TIMEOUT or by Ctrl-C / SIGTERM: then cleanup still runs. */
function bounded(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const cutShort = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the e2e took over ${TIMEOUT_S} s (GLASS_E2E_TIMEOUT)`));
    }, TIMEOUT_S * 1000);
    onSignal = (signal) => {
      reject(new Error(`interrupted by ${signal}`));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return Promise.race([work, cutShort]).finally(() => {
    clearTimeout(timer);
    if (onSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/** `hack/cluster.sh down` stops every pod and the node, and undoes what `up` changed. */
async function cleanUp(parts: Parts): Promise<boolean> {
  const { cluster } = parts;
  if (!cluster) return true;
  try {
    await cluster.helmOk(['uninstall', RELEASE, '--namespace', NAMESPACE]).catch(() => '');
    await cluster.down();
    return true;
  } catch (error) {
    console.error(`e2e: cleaning up, hack/cluster.sh down failed: ${(error as Error).message}`);
    return false;
  }
}

async function main(): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'glass-e2e-'));
  const parts: Parts = {};
  const figures: Figures = {};
  let passed = true;
  try {
    await bounded(steps(parts, workDir, figures));
  } catch (error) {
    passed = false;
    abandoned = true;
    console.error(`\ne2e: FAILED: ${(error as Error).message}`);
    await printDiagnostics(parts.cluster).catch((e: unknown) => {
      console.error(`e2e: diagnostics failed: ${String(e)}`);
    });
  }
  // The figures as they stood when the run ended, not what a step abandoned by a timeout adds.
  const shown: Figures = { ...figures };
  const clean = await cleanUp(parts);
  shown.totalMs = performance.now() - started;
  printFigures(shown);
  rmSync(workDir, { recursive: true, force: true });
  if (passed && clean) {
    console.log('\ne2e-local: PASS');
    return 0;
  }
  console.error('\ne2e-local: FAIL');
  return 1;
}

process.exit(await main());
