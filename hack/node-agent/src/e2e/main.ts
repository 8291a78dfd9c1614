// `make e2e-local`: Glass's whole path on a real control plane with no Docker and no kubelet.
// A control plane, a Redis and the node agent of its own, in a network namespace of its own:
// helm install, kubectl apply the sample Faaslets, curl through the router pod, affinity, and
// kill -9 of a runtime pod under load. Prints its figures; exits non-zero on any failed check.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { NodeAgent } from '../agent.js';
import { AgentConfig } from '../config.js';
import { checkAffinity } from './affinity.js';
import { rollingRestart } from './rolling-restart.js';
import { ClusterView } from './cluster-view.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { printDiagnostics } from './diagnostics.js';
import { applyFaaslets, checkAnswers } from './faaslets.js';
import { printFigures, type Figures } from './figures.js';
import { installGlass, RELEASE } from './install-glass.js';
import { checkLiveness } from './liveness.js';
import { checkPodCredentials } from './pod-credentials.js';
import { killRuntimePod } from './pod-kill.js';
import { RedisServer } from './redis-server.js';
import { runOk } from '@glass/runtime/test-support/run';
import { insideSandbox, POD_CIDR, reexecInSandbox, setUpLoopback } from './sandbox.js';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../../../..');
const NAMESPACE = 'glass-system';
const TIMEOUT_S = Number(process.env.GLASS_E2E_TIMEOUT ?? '300');

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
  plane?: ControlPlane;
  redis?: RedisServer;
  agent?: NodeAgent;
}

async function steps(
  parts: Parts,
  workDir: string,
  agentLog: string,
  figures: Figures,
): Promise<void> {
  say('control plane: starting (hack/control-plane.sh up)');
  const planeDir = join(workDir, 'control-plane');
  mkdirSync(planeDir);
  const plane = (parts.plane = await startControlPlane(REPO_ROOT, planeDir));
  figures.controlPlaneMs = performance.now() - started;
  const redis = (parts.redis = await RedisServer.start());
  say(`redis-server on ${redis.url}; node agent: starting on ${POD_CIDR}`);
  const config = AgentConfig.parse({
    kubeconfig: plane.kubeconfig,
    repoRoot: REPO_ROOT,
    podCidr: POD_CIDR,
    stateDir: join(workDir, 'agent'),
  });
  const log = pino({ name: 'glass-node-agent' }, pino.destination({ dest: agentLog, sync: true }));
  const agent = (parts.agent = await NodeAgent.start(Object.freeze(config), log));
  const view = new ClusterView(plane.kubeconfig, NAMESPACE);
  say('helm install glass charts/glass');
  const installed = await installGlass(plane, view, {
    repoRoot: REPO_ROOT,
    workDir,
    redisUrl: redis.url,
  });
  figures.installMs = installed.readyMs;
  say(
    `GlassCluster Ready: router at ${installed.routerUrl}, runtime pods ${installed.runtimePods.map((p) => `${p.name}@${p.ip ?? ''}`).join(', ')}`,
  );
  await checkPodCredentials(agent, plane, NAMESPACE);
  say('pods act as their own ServiceAccounts, with exactly their RBAC');
  say('kubectl apply -f crds/samples/{counter,kv,echo-wasi}.yaml and a global-durability counter');
  figures.firstCurl = await applyFaaslets(plane, {
    repoRoot: REPO_ROOT,
    workDir,
    namespace: NAMESPACE,
    ...installed,
  });
  await checkAnswers(installed.routerUrl);
  say('answers through the router: correct; checking affinity');
  figures.affinity = await checkAffinity(installed.routerUrl, installed.runtimePods);
  say('affinity: holds; kill -9 of a runtime pod under load');
  figures.kill = await killRuntimePod(agent, view, installed.routerUrl, installed.runtimePods);
  say('pod kill: survived, nothing acknowledged lost; kubectl rollout restart under load');
  figures.rollout = await rollingRestart(plane, installed.routerUrl, NAMESPACE);
  say('rolling restart: every acknowledged cart add kept, no call failed');
  const live = await checkLiveness(agent, NAMESPACE);
  say(`liveness probes pass: ${live.join(', ')}`);
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

/** Undoes what was started, newest first; every step is tried even when one fails. */
async function cleanUp(parts: Parts): Promise<boolean> {
  let clean = true;
  const attempt = async (what: string, action: () => Promise<void>): Promise<void> => {
    try {
      await action();
    } catch (error) {
      clean = false;
      console.error(`e2e: cleaning up, ${what} failed: ${(error as Error).message}`);
    }
  };
  const { plane, agent, redis } = parts;
  if (plane)
    await attempt('helm uninstall', async () => {
      await plane.helmOk(['uninstall', RELEASE, '--namespace', NAMESPACE]);
    });
  if (agent) {
    await attempt('stopping the node agent', async () => {
      const pids = agent.pods().flatMap((p) => Object.values(p.pids));
      await agent.stop();
      const left = pids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      if (left.length > 0) throw new Error(`pod processes still running: ${left.join(', ')}`);
      console.log(`e2e: node agent stopped; all ${pids.length} pod processes are gone`);
    });
  }
  if (redis) await attempt('stopping redis-server', () => redis.stop());
  if (plane) await attempt('hack/control-plane.sh down', () => plane.down());
  return clean;
}

async function main(): Promise<number> {
  if (!insideSandbox()) {
    // Outside the namespace, where a first build of the binaries can reach the network.
    await runOk(join(REPO_ROOT, 'hack', 'k8s-binaries.sh'), []);
    return reexecInSandbox();
  }
  await setUpLoopback();
  const workDir = mkdtempSync(join(tmpdir(), 'glass-e2e-'));
  const agentLog = join(workDir, 'agent.log');
  const parts: Parts = {};
  const figures: Figures = {};
  let passed = true;
  try {
    await bounded(steps(parts, workDir, agentLog, figures));
  } catch (error) {
    passed = false;
    abandoned = true;
    console.error(`\ne2e: FAILED: ${(error as Error).message}`);
    await printDiagnostics(parts.plane, parts.agent, agentLog).catch((e: unknown) => {
      console.error(`e2e: diagnostics failed: ${String(e)}`);
    });
  }
  // The figures as they stood when the run ended, not what a step abandoned by a timeout adds.
  const shown: Figures = { ...figures };
  const clean = await cleanUp(parts);
  shown.totalMs = performance.now() - started;
  printFigures(shown);
  if (passed && clean) {
    rmSync(workDir, { recursive: true, force: true });
    console.log('\ne2e-local: PASS');
    return 0;
  }
  console.error(`\ne2e-local: FAIL (pod logs and the agent log are kept in ${workDir})`);
  return 1;
}

process.exit(await main());
