// The real Kubernetes control plane the tests run against (hack/control-plane.sh): one shared by
// every test file of a mocha run (the runtime's, the router's and the operator's), and fresh
// ones for the few tests that need a cluster of their own (one without the CRDs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { run, type Run } from './run.js';
import { REPO_ROOT } from './runtime-server.js';

export { REPO_ROOT, run, type Run };

const SCRIPT = join(REPO_ROOT, 'hack', 'control-plane.sh');

export interface ControlPlane {
  kubeconfig: string;
  /** kubectl against this control plane; throws with its stderr unless it exits 0. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Stops it by the PIDs in its state dir and removes the state dir. */
  down(): Promise<void>;
}

/**
 * Starts a control plane of its own (minutes the first time, when the binaries are built; about
 * ten seconds after). A missing prerequisite fails with the script's message saying how to get it.
 */
export async function startControlPlane(): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'glass-runtime-cp-'));
  const env = { GLASS_CONTROL_PLANE_DIR: dir };
  const down = async (): Promise<void> => {
    const result = await run(SCRIPT, ['down'], { env });
    rmSync(dir, { recursive: true, force: true });
    if (result.code !== 0) throw new Error(`hack/control-plane.sh down failed: ${result.stderr}`);
  };
  const up = await run(SCRIPT, ['up'], { env });
  if (up.code !== 0) {
    await down().catch(() => undefined);
    throw new Error(
      `hack/control-plane.sh up failed (exit ${String(up.code)}); this test needs a real control plane (see hack/README.md):\n${up.stderr}`,
    );
  }
  const kubeconfig = join(dir, 'kubeconfig');
  const kubectlBin = join(readFileSync(join(dir, 'bin-dir'), 'utf8').trim(), 'kubectl');
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const result = await run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  return { kubeconfig, kubectl, down };
}

/** `up` builds missing binaries (minutes, once); with warm binaries it is ready in ~10 s. */
export const CONTROL_PLANE_TIMEOUT_MS = 45 * 60_000;

export const CRD_FILES = ['faaslets.glass.dev.yaml', 'glassclusters.glass.dev.yaml'].map((f) =>
  join(REPO_ROOT, 'crds', f),
);

/** The control plane every test file of a mocha run shares (ADR 53), with the CRDs installed. */
export interface SharedControlPlane {
  dir: string;
  kubeconfigPath: string;
  binDir: string;
  kubeConfig: KubeConfig;
  /** The built kubectl against this control plane; resolves with the exit code, never rejects. */
  kubectl(args: string[], input?: string): Promise<Run>;
  /** As kubectl, but fails with kubectl's stderr unless it exits 0. */
  kubectlOk(args: string[], input?: string): Promise<string>;
}

let shared: Promise<SharedControlPlane> | undefined;
let sharedDir: string | undefined;

/** The control plane of this mocha run, started on first use; the CRDs are installed. */
export function controlPlane(): Promise<SharedControlPlane> {
  shared ??= startShared();
  return shared;
}

async function startShared(): Promise<SharedControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'glass-cp-'));
  sharedDir = dir;
  const env = { GLASS_CONTROL_PLANE_DIR: dir };
  const up = await run(SCRIPT, ['up'], { env });
  if (up.code !== 0) {
    throw new Error(
      `hack/control-plane.sh up failed (exit ${String(up.code)}); the tests need a real control plane (see hack/README.md):\n${up.stderr}`,
    );
  }
  const kubeconfigPath = join(dir, 'kubeconfig');
  const binDir = readFileSync(join(dir, 'bin-dir'), 'utf8').trim();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const kubectl = (args: string[], input?: string): Promise<Run> =>
    run(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, ...args], { input });
  const kubectlOk = async (args: string[], input?: string): Promise<string> => {
    const result = await kubectl(args, input);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
    return result.stdout;
  };
  const plane = { dir, kubeconfigPath, binDir, kubeConfig, kubectl, kubectlOk };
  await kubectlOk(['apply', '--server-side', ...CRD_FILES.flatMap((f) => ['-f', f])]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/faaslets.glass.dev',
    'crd/glassclusters.glass.dev',
  ]);
  return plane;
}

/** Stops the shared control plane by the PIDs in its state dir; `down` removes the dir. */
function downSharedSync(): void {
  if (sharedDir === undefined) return;
  const dir = sharedDir;
  sharedDir = undefined;
  spawnSync(SCRIPT, ['down'], { env: { ...process.env, GLASS_CONTROL_PLANE_DIR: dir } });
  rmSync(dir, { recursive: true, force: true });
}

async function downShared(): Promise<void> {
  if (sharedDir === undefined) return;
  const dir = sharedDir;
  sharedDir = undefined;
  shared = undefined;
  const result = await run(SCRIPT, ['down'], { env: { GLASS_CONTROL_PLANE_DIR: dir } });
  rmSync(dir, { recursive: true, force: true });
  if (result.code !== 0) throw new Error(`hack/control-plane.sh down failed: ${result.stderr}`);
}

// A root-level hook (this module is evaluated while mocha loads the test files): after the
// whole run, whatever failed, the shared control plane goes. The exit handler covers a run
// that ends without reaching root hooks.
after(async function () {
  this.timeout(120_000);
  await downShared();
});
process.once('exit', downSharedSync);
