// Runs a command to its end and keeps its output: how the tests, and the e2e
// (as @glass/runtime/test-support/run), drive kubectl, helm and scripts.
import { spawn } from 'node:child_process';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin; absent: stdin is /dev/null. */
  input?: string;
  cwd?: string;
}

/** Resolves with the exit code and output; never rejects on a non-zero exit. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    if (child.stdin) {
      // A command that exits without reading its input must not fail the caller.
      child.stdin.once('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** As run, but fails with the command's stderr unless it exits 0. */
export async function runOk(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const name = command.split('/').pop() ?? command;
    throw new Error(
      `${name} ${args.join(' ')} failed (exit ${String(result.code)}):\n${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}
