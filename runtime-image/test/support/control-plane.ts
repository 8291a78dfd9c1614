// A real Kubernetes control plane for runtime-image tests: hack/control-plane.sh `up` in a temp
// state dir, `down` (which ends exactly the PIDs it started) when the test is done.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './runtime-server.js';

const SCRIPT = join(REPO_ROOT, 'hack', 'control-plane.sh');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; resolves with its exit code and output, never rejects on exit codes. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
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
