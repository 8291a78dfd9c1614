// The operator refuses to start, saying what to fix, when it has no usable credentials:
// before, it retried forever against a guessed http://localhost:8080, or crashed with a stack.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Runs the operator with `args` in an environment with no kubeconfig and no service account. */
async function refusal(
  args: string[],
  home: string,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, '--health-port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 20_000);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stderr };
  } finally {
    clearTimeout(timer);
  }
}

describe('the operator without usable credentials', function () {
  this.timeout(30_000);
  let home: string;

  before(function () {
    home = mkdtempSync(join(tmpdir(), 'glass-operator-home-'));
  });
  after(function () {
    rmSync(home, { recursive: true, force: true });
  });

  it('exits 1 naming where credentials come from, when there are none', async function () {
    const { code, stderr } = await refusal([], home);
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      /^glass-operator: no Kubernetes credentials: give --kubeconfig or KUBECONFIG, or run in a pod with a service account/,
    );
  });

  it('exits 1 naming a --kubeconfig it cannot read', async function () {
    const { code, stderr } = await refusal(['--kubeconfig', join(home, 'missing')], home);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^glass-operator: cannot read the kubeconfig .*missing: ENOENT/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace');
  });

  it('exits 1 when the kubeconfig has no current context', async function () {
    const path = join(home, 'no-context.yaml');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const { code, stderr } = await refusal(['--kubeconfig', path], home);
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      /^glass-operator: the kubeconfig .*no-context\.yaml has no current context with a cluster/,
    );
  });
});
