// The real control plane the operator tests run against: hack/control-plane.sh, started once
// per mocha run in a temp state dir, stopped by `down` (which ends exactly its own PIDs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = join(REPO_ROOT, 'hack', 'control-plane.sh');
export const CRD_FILES = ['faaslets.glass.dev.yaml', 'glassclusters.glass.dev.yaml'].map((f) =>
  join(REPO_ROOT, 'crds', f),
);

/** `up` builds missing binaries (minutes, once); with warm binaries it is ready in ~10 s. */
export const CONTROL_PLANE_TIMEOUT_MS = 45 * 60_000;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  dir: string;
  kubeconfigPath: string;
  binDir: string;
  kubeConfig: KubeConfig;
  /** The built kubectl against this control plane; resolves with the exit code, never rejects. */
  kubectl(args: string[], input?: string): Promise<Run>;
  /** As kubectl, but fails with kubectl's stderr unless it exits 0. */
  kubectlOk(args: string[], input?: string): Promise<string>;
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

let shared: Promise<ControlPlane> | undefined;
let sharedDir: string | undefined;

/** The control plane of this mocha run, started on first use; the CRDs are installed. */
export function controlPlane(): Promise<ControlPlane> {
  shared ??= start();
  return shared;
}

async function start(): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'glass-operator-cp-'));
  sharedDir = dir;
  const env = { GLASS_CONTROL_PLANE_DIR: dir };
  const up = await run(SCRIPT, ['up'], { env });
  if (up.code !== 0) {
    throw new Error(
      `hack/control-plane.sh up failed (exit ${String(up.code)}); the tests need a real control plane:\n${up.stderr}`,
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
  const plane: ControlPlane = { dir, kubeconfigPath, binDir, kubeConfig, kubectl, kubectlOk };
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

/** Stops the control plane by the PIDs in its state dir; `down` removes the dir. */
function downSync(): void {
  if (sharedDir === undefined) return;
  const dir = sharedDir;
  sharedDir = undefined;
  spawnSync(SCRIPT, ['down'], { env: { ...process.env, GLASS_CONTROL_PLANE_DIR: dir } });
  rmSync(dir, { recursive: true, force: true });
}

async function down(): Promise<void> {
  if (sharedDir === undefined) return;
  const dir = sharedDir;
  sharedDir = undefined;
  shared = undefined;
  const result = await run(SCRIPT, ['down'], { env: { GLASS_CONTROL_PLANE_DIR: dir } });
  rmSync(dir, { recursive: true, force: true });
  if (result.code !== 0) throw new Error(`hack/control-plane.sh down failed: ${result.stderr}`);
}

// A root-level hook (this module is evaluated while mocha loads the test files): after the
// whole run, whatever failed, the control plane goes. The exit handler covers a run that ends
// without reaching root hooks.
after(async function () {
  this.timeout(120_000);
  await down();
});
process.once('exit', downSync);
