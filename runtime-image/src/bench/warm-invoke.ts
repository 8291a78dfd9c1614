// Figure 2: warm invoke requests/s through `glass runtime` beside a bare koa handler that
// answers a constant: both are child processes, loaded by the same autocannon settings.
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import { freePort, spawnNode, stop, waitForOk, type Child } from './children.js';
import { repoPath } from './fixtures.js';
import { median, row, type BenchRow } from './report.js';

const CONNECTIONS = 32;
const WARMUP_S = 2;
const DURATION_S = 5;
const ROUNDS = 3;

const ENDPOINTS = [
  { kind: 'stateless', path: '/invoke/counter/get' },
  { kind: 'stateful', path: '/invoke/counter/add?value=1' },
];

/** Mean requests/s of one autocannon run; any error or non-2xx answer spoils the figure. */
export async function load(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx answers under load`);
  }
  return result.requests.average;
}

async function startServers(): Promise<{
  koa: Child;
  glass: Child;
  koaUrl: string;
  glassUrl: string;
}> {
  const [koaPort, glassPort] = [await freePort(), await freePort()];
  const koa = spawnNode(fileURLToPath(new URL('koa-baseline.js', import.meta.url)), [
    String(koaPort),
  ]);
  const glass = spawnNode(repoPath('runtime-image/dist/src/cli/main.js'), [
    'runtime',
    ...[
      '--port',
      String(glassPort),
      '--faaslets',
      repoPath('crds/samples/counter.yaml'),
      '--log-level',
      'warn',
    ],
  ]);
  const koaUrl = `http://127.0.0.1:${koaPort}`;
  const glassUrl = `http://127.0.0.1:${glassPort}`;
  try {
    await Promise.all([waitForOk(koa, `${koaUrl}/`), waitForOk(glass, `${glassUrl}/ready`)]);
  } catch (error) {
    await Promise.all([stop(koa), stop(glass)]);
    throw error;
  }
  return { koa, glass, koaUrl, glassUrl };
}

export async function warmInvoke(): Promise<BenchRow[]> {
  const servers = await startServers();
  try {
    const rows: BenchRow[] = [];
    for (const { kind, path } of ENDPOINTS) {
      await load(servers.koaUrl + path, WARMUP_S);
      await load(servers.glassUrl + path, WARMUP_S);
      const koa: number[] = [];
      const glass: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        koa.push(await load(servers.koaUrl + path, DURATION_S));
        glass.push(await load(servers.glassUrl + path, DURATION_S));
      }
      const value = median(glass);
      const baseline = median(koa);
      rows.push(
        row({
          name: `warm invoke ${kind} (GET ${path}) vs bare koa`,
          value,
          baseline,
          unit: 'req/s',
          goal: '>= 0.8x',
          met: value / baseline >= 0.8,
        }),
      );
    }
    return rows;
  } finally {
    await Promise.all([stop(servers.koa), stop(servers.glass)]);
  }
}
