// The figures the e2e prints: from `helm install` to a Ready GlassCluster, from `kubectl apply`
// of a Faaslet to its first good curl, the error window after a container kill and a runtime
// container's start to ready, with what they rest on.
import type { Affinity } from './affinity.js';
import type { ContainerSecurity } from './container-security.js';
import type { FirstCurl } from './faaslets.js';
import type { GoDeploy } from './go-deploy.js';
import type { NoHelm } from './no-helm.js';
import type { PodKill } from './pod-kill.js';
import type { RollingRestart } from './rolling-restart.js';
import type { ClusterScale } from './scale-cluster.js';
import type { UserLines } from './user-lines.js';

export interface Figures {
  clusterMs?: number;
  installMs?: number;
  security?: ContainerSecurity;
  userLines?: UserLines;
  redisMs?: number;
  go?: GoDeploy;
  firstCurl?: FirstCurl;
  noHelm?: NoHelm;
  affinity?: Affinity;
  kill?: PodKill;
  rollout?: RollingRestart;
  scale?: ClusterScale;
  totalMs?: number;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The kill -9 step: the kubelet's restart, the pod's return, the load's errors and its sum. */
function killLines(kill: PodKill): string[] {
  const lines = [
    `  kill -9 of ${kill.victim}'s runtime container: restarted by the kubelet after ${s(kill.restartedMs)}, pod ready after ${s(kill.readyMs)}, back on the router's ring after ${s(kill.ringMs)}`,
    `  runtime container start → pod ready     ${s(kill.readyMs - kill.restartedMs)}`,
    `  error window after the kill            ${s(kill.errorWindowMs)} (${kill.load.failedAttempts} failed attempts, all retried to success)`,
  ];
  if (kill.load.failureSamples.length > 0)
    lines.push(`    failures seen: ${kill.load.failureSamples.join(' | ')}`);
  lines.push(
    `  acknowledged increments ${kill.load.acknowledged}; counter ${kill.before} before, ${kill.counter} after on every runtime pod: nothing acknowledged lost`,
    `  increments per pod ${JSON.stringify(kill.load.answeredBy)}`,
  );
  return lines;
}

/** The kubectl scale step: the times to 3 pods and back to 2, and the load's sum. */
function scaleLines(scale: ClusterScale): string[] {
  return [
    `  kubectl scale glasscluster/glass --replicas=3 under load: 3 runtime pods ready ${s(scale.upReadyMs)}, all 3 on the router's ring ${s(scale.upRingMs)} (${scale.added} added)`,
    `  kubectl scale glasscluster/glass --replicas=2 under load: ${scale.removed} gone, 2 on the ring ${s(scale.downMs)}`,
    `  scale 2 → 3 → 2: ${scale.load.acknowledged} cart adds acknowledged, ${scale.apples} in the carts, ${scale.load.failedAttempts} failed attempts`,
  ];
}

export function printFigures(f: Figures): void {
  const lines = ['', 'e2e-local figures'];
  if (f.clusterMs !== undefined)
    lines.push(`  hack/cluster.sh up, images loaded      ${s(f.clusterMs)}`);
  if (f.installMs !== undefined)
    lines.push(`  helm install → GlassCluster Ready, pods ready ${s(f.installMs)}`);
  if (f.security)
    lines.push(
      `  in ${f.security.pod}: id -u ${f.security.uid}; touch /app: "${f.security.appWrite}"; touch /tmp: ${f.security.tmpWrite}`,
    );
  if (f.userLines)
    lines.push(
      `  kubectl apply -f crds/samples/counter.yaml → first good curl through kubectl port-forward ${s(f.userLines.applyToCurlMs)} (answers ${f.userLines.answers.join(', ')})`,
    );
  if (f.go)
    lines.push(
      `  glass deploy --apply of the ${(f.go.moduleBytes / 1e6).toFixed(1)} MB Go counter → first good answer ${s(f.go.deployToAnswerMs)}`,
    );
  if (f.redisMs !== undefined)
    lines.push(`  helm upgrade with Redis → new runtime pods ready ${s(f.redisMs)}`);
  for (const [faaslet, ms] of Object.entries(f.firstCurl ?? {})) {
    lines.push(`  kubectl apply → first good curl: ${faaslet.padEnd(15)} ${s(ms)}`);
  }
  if (f.affinity) {
    lines.push(`  placement: 20/20 calls on namespace counter answered by ${f.affinity.pod}`);
    lines.push(
      `  affinity: 40 users of a stateless Faaslet over pods ${JSON.stringify(f.affinity.spread)}`,
    );
  }
  if (f.kill) lines.push(...killLines(f.kill));
  if (f.rollout) {
    const { rollout } = f;
    lines.push(
      `  kubectl rollout restart of the runtimes under load: ${s(rollout.rolloutMs)}; ${rollout.load.acknowledged} cart adds acknowledged, ${rollout.apples} in the carts, ${rollout.load.failedAttempts} failed attempts`,
    );
  }
  if (f.scale) lines.push(...scaleLines(f.scale));
  if (f.noHelm)
    lines.push(
      `  without helm: kubectl apply -k crds/ → a good curl through the router ${s(f.noHelm.linesToCurlMs)}`,
    );
  if (f.totalMs !== undefined)
    lines.push(`  total                                  ${s(f.totalMs)}`);
  console.log(lines.join('\n'));
}
