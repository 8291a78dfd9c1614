// The figures the e2e prints: the time from `kubectl apply` of a Faaslet to its first good curl,
// and the error window after the pod kill, with what they rest on.
import type { Affinity } from './affinity.js';
import type { FirstCurl } from './faaslets.js';
import type { PodKill } from './pod-kill.js';
import type { RollingRestart } from './rolling-restart.js';

export interface Figures {
  controlPlaneMs?: number;
  installMs?: number;
  firstCurl?: FirstCurl;
  affinity?: Affinity;
  kill?: PodKill;
  rollout?: RollingRestart;
  totalMs?: number;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function printFigures(f: Figures): void {
  const lines = ['', 'e2e-local figures'];
  if (f.controlPlaneMs !== undefined)
    lines.push(`  control plane up                       ${s(f.controlPlaneMs)}`);
  if (f.installMs !== undefined)
    lines.push(`  helm install → cluster Ready, pods ready ${s(f.installMs)}`);
  for (const [faaslet, ms] of Object.entries(f.firstCurl ?? {})) {
    lines.push(`  kubectl apply → first good curl: ${faaslet.padEnd(15)} ${s(ms)}`);
  }
  if (f.affinity) {
    lines.push(`  placement: 20/20 calls on namespace counter answered by ${f.affinity.pod}`);
    lines.push(
      `  affinity: 40 users of a stateless Faaslet over pods ${JSON.stringify(f.affinity.spread)}`,
    );
  }
  if (f.kill) {
    const { kill } = f;
    lines.push(
      `  kill -9 ${kill.victim}: Failed after ${s(kill.failedMs)}, replacement ${kill.replacement} ready after ${s(kill.replacementReadyMs)}, router ring updated after ${s(kill.ringMs)}`,
    );
    lines.push(
      `  error window after the kill            ${s(kill.errorWindowMs)} (${kill.load.failedAttempts} failed attempts, all retried to success)`,
    );
    if (kill.load.failureSamples.length > 0)
      lines.push(`    failures seen: ${kill.load.failureSamples.join(' | ')}`);
    lines.push(
      `  acknowledged increments ${kill.load.acknowledged}; counter ${kill.before} before, ${kill.counter} after on every runtime pod: nothing acknowledged lost`,
    );
    lines.push(`  increments per pod ${JSON.stringify(kill.load.answeredBy)}`);
  }
  if (f.rollout) {
    const { rollout } = f;
    lines.push(
      `  kubectl rollout restart of the runtimes under load: ${s(rollout.rolloutMs)}; ${rollout.load.acknowledged} cart adds acknowledged, ${rollout.apples} in the carts, ${rollout.load.failedAttempts} failed attempts`,
    );
  }
  if (f.totalMs !== undefined)
    lines.push(`  total                                  ${s(f.totalMs)}`);
  console.log(lines.join('\n'));
}
