// `kubectl apply -f` the sample Faaslets (the files a user applies), and later one with global
// durability, time each from the apply to its first good answer through the router, then check
// that each one answers correctly.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';
import type { PodView } from './cluster-view.js';
import { call, describeAnswer, type CallOptions } from './http.js';
import { check, waitFor } from './wait.js';

export const GLOBAL_FAASLET = 'counter-global';
/** The samples in crds/samples, each a file of that name. */
export const SAMPLES = ['counter', 'kv', 'echo-wasi', 'cart'];

/** The counter module again, its state in Redis: what the pod-kill step writes to. */
const GLOBAL_FAASLET_YAML = `apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: ${GLOBAL_FAASLET}}
spec:
  cluster: glass
  module: {configMapRef: {name: counter-module, key: module.wasm}}
  abi: glass
  limits: {timeout: 5s, memory: 64Mi}
  state: {durability: global}
`;

interface Probe {
  faaslet: string;
  path: string;
  options: CallOptions;
  expect: (text: string) => boolean;
}

/** A call per Faaslet that changes nothing, and what its answer must be. */
const PROBES: Probe[] = [
  { faaslet: 'counter', path: '/invoke/counter/get', options: {}, expect: (t) => /^\d+$/.test(t) },
  {
    faaslet: 'kv',
    path: '/invoke/kv/get',
    options: { body: '{"key":"probe"}' },
    expect: (t) => t === '{"key":"probe","value":null}',
  },
  {
    faaslet: 'echo-wasi',
    path: '/invoke/echo-wasi/_start',
    options: { body: 'ping' },
    expect: (t) => t === 'ping',
  },
  {
    faaslet: 'cart',
    path: '/invoke/cart/list',
    options: {},
    expect: (t) => t.startsWith('{'),
  },
  {
    faaslet: GLOBAL_FAASLET,
    path: `/invoke/${GLOBAL_FAASLET}/get`,
    options: {},
    expect: (t) => /^\d+$/.test(t),
  },
];

async function probeOnce(baseUrl: string, probe: Probe): Promise<boolean> {
  const answer = await call(`${baseUrl}${probe.path}`, {
    method: 'POST',
    ...probe.options,
    headers: { 'X-User-ID': 'first-curl' },
  });
  return answer.status === 200 && probe.expect(answer.text);
}

/** Milliseconds from the apply to the first good answer through the router, per Faaslet. */
export type FirstCurl = Record<string, number>;

/**
 * Applies the named Faaslets (samples by their file, GLOBAL_FAASLET from the text above) and
 * waits until each answers through the router and on every runtime pod.
 */
export async function applyFaaslets(
  cluster: Cluster,
  faaslets: readonly string[],
  options: {
    repoRoot: string;
    workDir: string;
    namespace: string;
    routerUrl: string;
    runtimePods: PodView[];
  },
): Promise<FirstCurl> {
  const files = [];
  for (const name of faaslets) {
    if (name !== GLOBAL_FAASLET) {
      files.push(join(options.repoRoot, 'crds', 'samples', `${name}.yaml`));
      continue;
    }
    const globalFile = join(options.workDir, `${GLOBAL_FAASLET}.yaml`);
    await writeFile(globalFile, GLOBAL_FAASLET_YAML);
    files.push(globalFile);
  }
  const probes = PROBES.filter((p) => faaslets.includes(p.faaslet));
  const applied = performance.now();
  await cluster.kubectlOk(['apply', '-n', options.namespace, ...files.flatMap((f) => ['-f', f])]);
  const firstCurl: FirstCurl = {};
  await Promise.all(
    probes.map(async (probe) => {
      await waitFor(
        `a first good answer from Faaslet ${probe.faaslet} through the router`,
        60_000,
        async () => ((await probeOnce(options.routerUrl, probe)) ? true : undefined),
        100,
      );
      firstCurl[probe.faaslet] = performance.now() - applied;
    }),
  );
  // Every runtime pod serves every Faaslet before the checks, which may land on any of them.
  for (const pod of options.runtimePods) {
    for (const probe of probes) {
      await waitFor(`pod ${pod.name} to serve ${probe.faaslet}`, 30_000, async () =>
        (await probeOnce(`http://${pod.ip ?? ''}:8080`, probe)) ? true : undefined,
      );
    }
  }
  return firstCurl;
}

/** The sample Faaslets answer what they should through the router. */
export async function checkAnswers(routerUrl: string): Promise<void> {
  const user = { 'X-User-ID': 'answers' };
  const post = (path: string, body?: string) =>
    call(`${routerUrl}${path}`, { method: 'POST', headers: user, ...(body ? { body } : {}) });
  const first = await post('/invoke/counter/add?value=10');
  check(first.status === 200, describeAnswer('counter add?value=10', first));
  const second = await post('/invoke/counter/add?value=10');
  check(
    second.status === 200 && Number(second.text) === Number(first.text) + 10,
    `counter add?value=10 twice answers n then n+10: ${first.text}, ${second.text}`,
  );
  const put = await post('/invoke/kv/put', '{"key":"greeting","value":"hi"}');
  check(put.status === 200 && put.text === '{"ok":true}', describeAnswer('kv put', put));
  const get = await post('/invoke/kv/get', '{"key":"greeting"}');
  check(get.text === '{"key":"greeting","value":"hi"}', describeAnswer('kv get after put', get));
  const echo = await post('/invoke/echo-wasi/_start', 'hello glass');
  check(echo.status === 200 && echo.text === 'hello glass', describeAnswer('echo-wasi', echo));
}
