// The operator's figures (issue 5), against a real control plane (hack/control-plane.sh) and
// the real `glass-operator` process: the median time from creating a Faaslet to seeing it
// Ready, over 50 created one after another, beside the time from creating a ConfigMap to
// seeing it on a watch (the floor of any create → observe loop on this API server); and the
// time for 500 Faaslets created at once to all be Ready, beside creating 500 ConfigMaps the
// same way, with the operator's RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { parse } from 'yaml';
import { freePort, spawnNode, stop, waitForOk, type Child } from './children.js';
import { guestBytes, repoPath } from './fixtures.js';
import { median, row, type BenchRow, type BenchSuite } from './report.js';

const SEQUENTIAL = 50;
const AT_ONCE = 500;
/** Client-side creates in flight at once (kubectl apply of a big file sends one at a time). */
const CREATE_CONCURRENCY = 16;
const READY_TIMEOUT_MS = 300_000;
const SCRIPT = repoPath('hack/control-plane.sh');
const OPERATOR = repoPath('operator/dist/src/main.js');
const GROUP = '/apis/glass.dev/v1alpha1';

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (${String(code)}):\n${output}`));
    });
  });
}

interface KubeconfigFile {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

/** Just enough of a Kubernetes client for the benchmark: JSON over one keep-alive agent. */
class Api {
  readonly server: string;
  readonly agent: Agent;

  constructor(kubeconfig: string) {
    const file = parse(readFileSync(kubeconfig, 'utf8')) as KubeconfigFile;
    const [cluster, user] = [file.clusters[0]?.cluster, file.users[0]?.user];
    if (!cluster || !user) throw new Error(`${kubeconfig}: no cluster or user`);
    const pem = (data: string): string => Buffer.from(data, 'base64').toString();
    this.server = cluster.server;
    this.agent = new Agent({
      connections: 64,
      connect: {
        ca: pem(cluster['certificate-authority-data']),
        cert: pem(user['client-certificate-data']),
        key: pem(user['client-key-data']),
      },
    });
  }

  async post(path: string, body: unknown): Promise<void> {
    const response = await request(this.server + path, {
      method: 'POST',
      dispatcher: this.agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`POST ${path}: ${response.statusCode} ${text}`);
  }

  async getJson<T>(path: string): Promise<T> {
    const response = await request(this.server + path, { dispatcher: this.agent });
    if (response.statusCode !== 200) {
      throw new Error(`GET ${path}: ${response.statusCode} ${await response.body.text()}`);
    }
    return (await response.body.json()) as T;
  }

  /**
   * Lists `path`, then watches it from there, calling `onObject` for every object seen. The
   * server ends watches on its own (a custom resource's storage is rebuilt when its CRD
   * changes, just after it is created): then it lists and watches again, as an informer
   * does. Resolves once the first watch is open; the returned function ends it.
   */
  async watch(path: string, onObject: (object: WatchedObject) => void): Promise<() => void> {
    let stopped = false;
    let controller = new AbortController();
    const connect = async (): Promise<void> => {
      const list = await this.getJson<{
        metadata: { resourceVersion: string };
        items: WatchedObject[];
      }>(path);
      list.items.forEach(onObject);
      controller = new AbortController();
      const query = `watch=true&resourceVersion=${list.metadata.resourceVersion}`;
      const response = await request(`${this.server}${path}?${query}`, {
        dispatcher: this.agent,
        signal: controller.signal,
        bodyTimeout: 0,
      });
      let pending = '';
      response.body.setEncoding('utf8');
      response.body.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const event = JSON.parse(line) as { type: string; object: WatchedObject };
          if (event.type !== 'ERROR') onObject(event.object);
        }
      });
      let ended = false;
      const again = (): void => {
        if (ended || stopped) return;
        ended = true;
        setTimeout(() => void connect().catch(again), 50);
      };
      response.body.on('error', again);
      response.body.on('end', again);
    };
    await connect();
    return () => {
      stopped = true;
      controller.abort();
    };
  }
}

interface WatchedObject {
  metadata?: { name?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const isReady = (o: WatchedObject): boolean =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Runs `task` for 0..n-1 with at most `limit` at once. */
async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

/** Resolves when `names` have all been seen (by `seen`), or fails after the timeout. */
function waitForNames(seen: Map<string, number>, names: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const check = (): void => {
      if (names.every((n) => seen.has(n))) resolve();
      else if (performance.now() - started > READY_TIMEOUT_MS)
        reject(new Error(`${what}: ${names.filter((n) => !seen.has(n)).length} never came`));
      else setTimeout(check, 5);
    };
    check();
  });
}

function faaslet(name: string): unknown {
  return {
    apiVersion: 'glass.dev/v1alpha1',
    kind: 'Faaslet',
    metadata: { name },
    spec: {
      cluster: 'glass',
      module: { configMapRef: { name: 'counter-module', key: 'module.wasm' } },
    },
  };
}

const configMap = (name: string, binaryData?: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: binaryData ? undefined : { n: name },
  binaryData,
});

/** kB of resident memory of a process now (VmRSS) and at its peak (VmHWM), from /proc. */
function memoryKb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function measure(api: Api, ns: string, operator: Child): Promise<BenchRow[]> {
  const idle = memoryKb(operator.process.pid ?? 0);
  const base = `/api/v1/namespaces/${ns}`;
  const faaslets = `${GROUP}/namespaces/${ns}/faaslets`;
  const readyAt = new Map<string, number>();
  const cmSeenAt = new Map<string, number>();
  const endFaaslets = await api.watch(faaslets, (o) => {
    const name = o.metadata?.name ?? '';
    if (isReady(o) && !readyAt.has(name)) readyAt.set(name, performance.now());
  });
  const endConfigMaps = await api.watch(`${base}/configmaps`, (o) => {
    const name = o.metadata?.name ?? '';
    if (!cmSeenAt.has(name)) cmSeenAt.set(name, performance.now());
  });
  try {
    const toReady: number[] = [];
    const toSeen: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const cm = `seq-cm-${i}`;
      let t0 = performance.now();
      await api.post(`${base}/configmaps`, configMap(cm));
      await waitForNames(cmSeenAt, [cm], 'ConfigMap seen');
      toSeen.push((cmSeenAt.get(cm) ?? 0) - t0);
      const name = `seq-${i}`;
      t0 = performance.now();
      await api.post(faaslets, faaslet(name));
      await waitForNames(readyAt, [name], 'Faaslet Ready');
      toReady.push((readyAt.get(name) ?? 0) - t0);
    }

    const cms = Array.from({ length: AT_ONCE }, (_, i) => `burst-cm-${i}`);
    let t0 = performance.now();
    await pool(AT_ONCE, CREATE_CONCURRENCY, (i) =>
      api.post(`${base}/configmaps`, configMap(cms[i] ?? '')),
    );
    await waitForNames(cmSeenAt, cms, 'ConfigMaps seen');
    const cmBurstMs = performance.now() - t0;

    const names = Array.from({ length: AT_ONCE }, (_, i) => `burst-${i}`);
    t0 = performance.now();
    await pool(AT_ONCE, CREATE_CONCURRENCY, (i) => api.post(faaslets, faaslet(names[i] ?? '')));
    await waitForNames(readyAt, names, 'Faaslets Ready');
    const burstMs = performance.now() - t0;
    const memory = memoryKb(operator.process.pid ?? 0);

    return [
      row({
        name: `Faaslet create → Ready (median of ${SEQUENTIAL}, one at a time) vs ConfigMap create → seen on a watch`,
        value: median(toReady),
        baseline: median(toSeen),
        unit: 'ms',
        goal: undefined,
      }),
      row({
        name: `${AT_ONCE} Faaslets created at once → all Ready vs ${AT_ONCE} ConfigMaps created → all seen (${CREATE_CONCURRENCY} creates in flight)`,
        value: burstMs,
        baseline: cmBurstMs,
        unit: 'ms',
        goal: undefined,
      }),
      row({
        name: `operator RSS after ${AT_ONCE + SEQUENTIAL} Faaslets Ready vs idle at start (VmRSS)`,
        value: memory.rss / 1024,
        baseline: idle.rss / 1024,
        unit: 'MiB',
        goal: undefined,
      }),
      row({
        name: 'operator peak RSS during the run (VmHWM)',
        value: memory.peak / 1024,
        baseline: undefined,
        unit: 'MiB',
        goal: undefined,
      }),
    ];
  } finally {
    endFaaslets();
    endConfigMaps();
  }
}

async function withControlPlane<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'glass-bench-cp-'));
  const env = { GLASS_CONTROL_PLANE_DIR: dir };
  try {
    await run(SCRIPT, ['up'], env);
    return await use(dir);
  } finally {
    await run(SCRIPT, ['down'], env).catch((error: unknown) => {
      console.error((error as Error).message);
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runSuite(): Promise<BenchRow[]> {
  return withControlPlane(async (dir) => {
    const kubeconfig = join(dir, 'kubeconfig');
    const kubectl = join(readFileSync(join(dir, 'bin-dir'), 'utf8').trim(), 'kubectl');
    const crds = ['faaslets', 'glassclusters'].map((p) => repoPath(`crds/${p}.glass.dev.yaml`));
    await run(
      kubectl,
      ['--kubeconfig', kubeconfig, 'apply', '--server-side', ...crds.flatMap((f) => ['-f', f])],
      {},
    );
    await run(
      kubectl,
      [
        '--kubeconfig',
        kubeconfig,
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/faaslets.glass.dev',
        'crd/glassclusters.glass.dev',
      ],
      {},
    );
    const api = new Api(kubeconfig);
    const ns = 'bench';
    await api.post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    const module = Buffer.from(guestBytes('counter')).toString('base64');
    await api.post(
      `/api/v1/namespaces/${ns}/configmaps`,
      configMap('counter-module', { 'module.wasm': module }),
    );
    await api.post(`${GROUP}/namespaces/${ns}/glassclusters`, {
      apiVersion: 'glass.dev/v1alpha1',
      kind: 'GlassCluster',
      metadata: { name: 'glass' },
      spec: {},
    });
    const port = await freePort();
    const operator = spawnNode(OPERATOR, [
      ...['--kubeconfig', kubeconfig, '--no-leader-elect', '--log-level', 'warn'],
      ...['--health-port', String(port), '--health-host', '127.0.0.1'],
    ]);
    try {
      await waitForOk(operator, `http://127.0.0.1:${port}/readyz`, 60_000);
      return await measure(api, ns, operator);
    } finally {
      await stop(operator);
      await api.agent.close();
    }
  });
}

export const operatorSuite: BenchSuite = {
  title: 'operator: Faaslet to Ready on a real control plane',
  run: runSuite,
};
