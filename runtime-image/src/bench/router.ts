// The router's figures (issue 4), each beside its baseline from this same run:
// requests/s through `glass router` vs straight to the one runtime behind it (same autocannon
// settings, both servers child processes), median latency of one connection through the router
// vs direct, and ring lookup time vs hashing the key alone.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { Client } from 'undici';
import { HashRing, sha256 } from '../router/ring.js';
import { freePort, spawnNode, stop, waitForOk, type Child } from './children.js';
import { repoPath } from './fixtures.js';
import { median, row, type BenchRow, type BenchSuite } from './report.js';

const CONNECTIONS = 32;
const WARMUP_S = 2;
const DURATION_S = 5;
const ROUNDS = 3;
const LATENCY_REQUESTS = 2000;
const PATH = '/invoke/counter/get';
const MAIN = repoPath('runtime-image/dist/src/cli/main.js');

async function load(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx answers under load`);
  }
  return result.requests.average;
}

interface Servers {
  children: Child[];
  direct: string;
  routed: string;
}

async function startServers(): Promise<Servers> {
  const [runtimePort, routerPort] = [await freePort(), await freePort()];
  const runtime = spawnNode(MAIN, [
    ...['runtime', '--port', String(runtimePort), '--log-level', 'warn'],
    ...['--faaslets', repoPath('crds/samples/counter.yaml')],
  ]);
  const router = spawnNode(MAIN, [
    ...['router', '--port', String(routerPort), '--host', '127.0.0.1'],
    ...['--backend', `http://127.0.0.1:${runtimePort}`],
  ]);
  const servers = {
    children: [runtime, router],
    direct: `http://127.0.0.1:${runtimePort}`,
    routed: `http://127.0.0.1:${routerPort}`,
  };
  try {
    await waitForOk(runtime, `${servers.direct}/ready`);
    await waitForOk(router, `${servers.routed}${PATH}`);
  } catch (error) {
    await Promise.all(servers.children.map(stop));
    throw error;
  }
  return servers;
}

async function throughput(servers: Servers): Promise<BenchRow> {
  await load(servers.direct + PATH, WARMUP_S);
  await load(servers.routed + PATH, WARMUP_S);
  const direct: number[] = [];
  const routed: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    direct.push(await load(servers.direct + PATH, DURATION_S));
    routed.push(await load(servers.routed + PATH, DURATION_S));
  }
  const value = median(routed);
  const baseline = median(direct);
  return row({
    name: `requests/s through the router vs direct to its one runtime (GET ${PATH}, ${CONNECTIONS} connections)`,
    value,
    baseline,
    unit: 'req/s',
    goal: '>= 0.7x',
    met: value / baseline >= 0.7,
  });
}

/** Latency in µs of each of `count` requests, one after another on one keep-alive connection. */
async function latencies(url: string, count: number): Promise<number[]> {
  const client = new Client(url);
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      const res = await client.request({ method: 'GET', path: PATH });
      await res.body.dump();
      out.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  } finally {
    await client.close();
  }
  return out;
}

async function addedLatency(servers: Servers): Promise<BenchRow[]> {
  await latencies(servers.direct, LATENCY_REQUESTS / 4);
  await latencies(servers.routed, LATENCY_REQUESTS / 4);
  const direct: number[] = [];
  const routed: number[] = [];
  // Interleaved blocks, so a noisy neighbour hurts both sides alike.
  for (let block = 0; block < 4; block++) {
    direct.push(...(await latencies(servers.direct, LATENCY_REQUESTS / 4)));
    routed.push(...(await latencies(servers.routed, LATENCY_REQUESTS / 4)));
  }
  const [via, straight] = [median(routed), median(direct)];
  return [
    row({
      name: 'median latency through the router vs direct (1 connection, sequential)',
      value: via,
      baseline: straight,
      unit: 'µs',
      goal: undefined,
    }),
    row({
      name: 'added median latency of the router hop',
      value: via - straight,
      baseline: undefined,
      unit: 'µs',
      goal: undefined,
    }),
  ];
}

/** ns per call of `fn` over `keys`, the median of 5 rounds after a warm-up round. */
function nsPerOp(keys: string[], fn: (key: string) => unknown): number {
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round < 6; round++) {
    const started = process.hrtime.bigint();
    for (const key of keys) if (fn(key) !== undefined) sink++;
    if (round > 0) rounds.push(Number(process.hrtime.bigint() - started) / keys.length);
  }
  if (sink < 0) throw new Error('unreachable');
  return median(rounds);
}

function ringLookups(): BenchRow[] {
  const keys = Array.from({ length: 100_000 }, () => `user-${randomUUID()}`);
  const hashOnly = nsPerOp(keys, (k) => sha256(k)[0]);
  return [3, 100].map((pods) => {
    const ring = new HashRing(
      Array.from({ length: pods }, (_, i) => `10.0.${i >> 8}.${i & 255}:8080`),
    );
    return row({
      name: `ring lookup, ${pods} pods x 150 virtual nodes, vs SHA-256 of the key alone`,
      value: nsPerOp(keys, (k) => ring.owner(k)),
      baseline: hashOnly,
      unit: 'ns/op',
      goal: undefined,
    });
  });
}

export const routerSuite: BenchSuite = {
  title: 'router: through the router vs direct, added latency, ring lookup',
  async run() {
    const rows = ringLookups();
    const servers = await startServers();
    try {
      rows.push(await throughput(servers));
      rows.push(...(await addedLatency(servers)));
    } finally {
      await Promise.all(servers.children.map(stop));
    }
    return rows;
  },
};
