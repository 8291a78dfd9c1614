// The e2e's own control plane (hack/control-plane.sh in a temp state dir): kube-apiserver,
// etcd and kube-controller-manager, with kubectl and helm built alongside them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk, type Run } from '@glass/runtime/test-support/run';

export interface ControlPlane {
  kubeconfig: string;
  binDir: string;
  kubectl(args: string[], input?: string): Promise<Run>;
  /** kubectl that fails with its stderr unless it exits 0. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  helmOk(args: string[]): Promise<string>;
  down(): Promise<void>;
}

export async function startControlPlane(repoRoot: string, dir: string): Promise<ControlPlane> {
  const script = join(repoRoot, 'hack', 'control-plane.sh');
  const env = { GLASS_CONTROL_PLANE_DIR: dir };
  const down = async (): Promise<void> => {
    await runOk(script, ['down'], { env });
  };
  const up = await run(script, ['up'], { env });
  if (up.code !== 0) {
    await down().catch(() => undefined);
    throw new Error(
      `hack/control-plane.sh up failed (exit ${String(up.code)}); see hack/README.md:\n${up.stderr}`,
    );
  }
  const kubeconfig = join(dir, 'kubeconfig');
  const binDir = readFileSync(join(dir, 'bin-dir'), 'utf8').trim();
  const kubectl = (args: string[], input?: string): Promise<Run> =>
    run(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { input });
  return {
    kubeconfig,
    binDir,
    kubectl,
    kubectlOk: (args, input) =>
      runOk(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { input }),
    helmOk: (args) => runOk(join(binDir, 'helm'), [...args, '--kubeconfig', kubeconfig]),
    down,
  };
}
