// The e2e's cluster: a real single-node Kubernetes from `hack/cluster.sh` (control plane,
// containerd, kubelet, kube-proxy, CoreDNS), with the images `make image` built loaded into its
// node. `down` undoes all of it, whatever state `up` reached.
import { join } from 'node:path';
import { run, runOk, type Run } from '@glass/runtime/test-support/run';

export interface Cluster {
  kubeconfig: string;
  binDir: string;
  kubectl(args: string[], input?: string): Promise<Run>;
  /** kubectl that fails with its stderr unless it exits 0; run in `cwd` when given. */
  kubectlOk(args: string[], input?: string, cwd?: string): Promise<string>;
  /** helm, run in `cwd` (the repository root, for the README's relative paths). */
  helmOk(args: string[], cwd?: string): Promise<string>;
  /** `ctr` against the node's containerd, in the namespace the kubelet uses. */
  ctrOk(args: string[]): Promise<string>;
  down(): Promise<void>;
}

/** What `hack/cluster.sh env` prints: `export NAME=value` lines. */
function exportsOf(text: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of text.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) {
    // printf %q quotes only paths with unusual characters; ours have none, but unquote anyway.
    found[match[1] ?? ''] = (match[2] ?? '').replace(/^'(.*)'$/, '$1');
  }
  return found;
}

export async function startCluster(repoRoot: string, images: readonly string[]): Promise<Cluster> {
  const script = join(repoRoot, 'hack', 'cluster.sh');
  const down = async (): Promise<void> => {
    await runOk(script, ['down']);
  };
  const up = await run(script, ['up']);
  if (up.code !== 0) {
    await down().catch(() => undefined);
    throw new Error(
      `hack/cluster.sh up failed (exit ${String(up.code)}); see hack/README.md:\n${up.stderr}`,
    );
  }
  let kubeconfig: string | undefined;
  let binDir: string | undefined;
  try {
    for (const image of images) await runOk(script, ['load', image]);
    const env = exportsOf(await runOk(script, ['env']));
    kubeconfig = env.KUBECONFIG;
    binDir = env.GLASS_K8S_BIN_DIR;
    if (!kubeconfig || !binDir)
      throw new Error('hack/cluster.sh env printed no KUBECONFIG or GLASS_K8S_BIN_DIR');
  } catch (error) {
    await down().catch(() => undefined);
    throw error;
  }
  const containerdSocket = join(
    process.env.GLASS_CLUSTER_RUN ?? '/run/glass-cluster',
    'containerd',
    'containerd.sock',
  );
  const kubectl = join(binDir, 'kubectl');
  return {
    kubeconfig,
    binDir,
    kubectl: (args, input) => run(kubectl, ['--kubeconfig', kubeconfig, ...args], { input }),
    kubectlOk: (args, input, cwd) =>
      runOk(kubectl, ['--kubeconfig', kubeconfig, ...args], { input, ...(cwd && { cwd }) }),
    helmOk: (args, cwd) =>
      runOk(join(binDir, 'helm'), [...args, '--kubeconfig', kubeconfig], cwd ? { cwd } : {}),
    ctrOk: (args) =>
      runOk('ctr', ['--address', containerdSocket, '--namespace', 'k8s.io', ...args]),
    down,
  };
}
