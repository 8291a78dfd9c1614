// The router's figures (issues 4 and 12), each beside its baseline from this same run:
// requests/s through `glass router` vs straight to the one runtime behind it (same autocannon
// settings, both servers child processes), median latency of one connection through the router
// vs direct, ring lookup time vs hashing the key alone; then, under wrk, the router beside
// HAProxy and nginx in front of the same runtime, and a forwarded call vs a direct one.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashRing, sha256 } from '../router/ring.js';
import { anchorRows, type AnchorTools, type Fronted } from './anchors.js';
import { freePort, spawnNode, stop, waitForOk, type Child } from './children.js';
import { cpuNs } from './cpu.js';
import { repoPath } from './fixtures.js';
import { forwardedCallRows } from './forwarded-call.js';
import { latencies } from './latency.js';
import { median, row, type BenchRow, type BenchSuite } from './report.js';
import { requireTools } from './system-tools.js';

const CONNECTIONS = 32;
const WARMUP_S = 2;
const DURATION_S = 5;
const ROUNDS = 3;
const LATENCY_REQUESTS = 2000;
const PATH = '/invoke/counter/get';
const MAIN = repoPath('runtime-image/dist/src/cli/main.js');
const RELAY = repoPath('runtime-image/dist/src/bench/tcp-relay.js');

async function load(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx answers under load`);
  }
  return result.requests.average;
}

interface Servers extends Fronted {
  children: Child[];
}

async function startServers(): Promise<Servers> {
  const [runtimePort, routerPort, relayPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const runtime = spawnNode(MAIN, [
    ...['runtime', '--port', String(runtimePort), '--log-level', 'warn'],
    ...['--faaslets', repoPath('crds/samples/counter.yaml')],
  ]);
  const router = spawnNode(MAIN, [
    ...['router', '--port', String(routerPort), '--host', '127.0.0.1'],
    ...['--backend', `http://127.0.0.1:${runtimePort}`],
  ]);
  const relay = spawnNode(RELAY, [String(relayPort), String(runtimePort)]);
  const servers = {
    children: [runtime, router, relay],
    runtime,
    router,
    relay,
    runtimePort,
    direct: `http://127.0.0.1:${runtimePort}`,
    routed: `http://127.0.0.1:${routerPort}`,
    relayed: `http://127.0.0.1:${relayPort}`,
  };
  try {
    await waitForOk(runtime, `${servers.direct}/ready`);
    await waitForOk(router, `${servers.routed}${PATH}`);
    await waitForOk(relay, `${servers.relayed}${PATH}`);
  } catch (error) {
    await Promise.all(servers.children.map(stop));
    throw error;
  }
  return servers;
}

async function throughput(servers: Servers): Promise<BenchRow[]> {
  await load(servers.direct + PATH, WARMUP_S);
  await load(servers.routed + PATH, WARMUP_S);
  await load(servers.relayed + PATH, WARMUP_S);
  const direct: number[] = [];
  const routed: number[] = [];
  const relayed: number[] = [];
  let routerNs = 0;
  let runtimeNs = 0;
  let routedRequests = 0;
  let relayNs = 0;
  let relayedRequests = 0;
  for (let round = 0; round < ROUNDS; round++) {
    direct.push(await load(servers.direct + PATH, DURATION_S));
    const [router0, runtime0] = [cpuNs(servers.router), cpuNs(servers.runtime)];
    const rate = await load(servers.routed + PATH, DURATION_S);
    const [router1, runtime1] = [cpuNs(servers.router), cpuNs(servers.runtime)];
    routed.push(rate);
    routedRequests += rate * DURATION_S;
    routerNs += (router1 ?? NaN) - (router0 ?? NaN);
    runtimeNs += (runtime1 ?? NaN) - (runtime0 ?? NaN);
    const relay0 = cpuNs(servers.relay);
    const relayRate = await load(servers.relayed + PATH, DURATION_S);
    relayNs += (cpuNs(servers.relay) ?? NaN) - (relay0 ?? NaN);
    relayed.push(relayRate);
    relayedRequests += relayRate * DURATION_S;
  }
  const value = median(routed);
  const baseline = median(direct);
  const floor = median(relayed);
  const rows = [
    row({
      name: `requests/s through the router vs direct to its one runtime (GET ${PATH}, ${CONNECTIONS} connections)`,
      value,
      baseline,
      unit: 'req/s',
      goal: '>= 0.7x',
      met: value / baseline >= 0.7,
    }),
    row({
      name: "  through a bare TCP relay (copies bytes, parses nothing) vs direct: any proxy's ceiling here",
      value: floor,
      baseline,
      unit: 'req/s',
      goal: undefined,
    }),
  ];
  if (Number.isFinite(routerNs) && Number.isFinite(runtimeNs) && Number.isFinite(relayNs)) {
    rows.push(
      row({
        name: 'router CPU per proxied request vs the runtime CPU per request it served',
        value: routerNs / routedRequests / 1000,
        baseline: runtimeNs / routedRequests / 1000,
        unit: 'µs',
        goal: undefined,
      }),
      row({
        name: '  the TCP relay CPU per request, for scale',
        value: relayNs / relayedRequests / 1000,
        baseline: undefined,
        unit: 'µs',
        goal: undefined,
      }),
    );
  }
  return rows;
}

async function addedLatency(servers: Servers): Promise<BenchRow[]> {
  await latencies(servers.direct, PATH, LATENCY_REQUESTS / 4);
  await latencies(servers.routed, PATH, LATENCY_REQUESTS / 4);
  const direct: number[] = [];
  const routed: number[] = [];
  // Interleaved blocks, so a noisy neighbour hurts both sides alike.
  for (let block = 0; block < 4; block++) {
    direct.push(...(await latencies(servers.direct, PATH, LATENCY_REQUESTS / 4)));
    routed.push(...(await latencies(servers.routed, PATH, LATENCY_REQUESTS / 4)));
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

/** ns per call over `keys` of `a` and of `b`: medians of 7 rounds, alternating, after a warm-up. */
function pairedNsPerOp(
  keys: string[],
  a: (key: string) => unknown,
  b: (key: string) => unknown,
): [number, number] {
  const times: [number[], number[]] = [[], []];
  let sink = 0;
  for (let round = 0; round < 8; round++) {
    for (const [i, fn] of [a, b].entries()) {
      const started = process.hrtime.bigint();
      for (const key of keys) if (fn(key) !== undefined) sink++;
      if (round > 0) times[i]?.push(Number(process.hrtime.bigint() - started) / keys.length);
    }
  }
  if (sink < 0) throw new Error('unreachable');
  return [median(times[0]), median(times[1])];
}

function ringLookups(): BenchRow[] {
  const keys = Array.from({ length: 50_000 }, () => `user-${randomUUID()}`);
  return [3, 100].map((pods) => {
    const ring = new HashRing(
      Array.from({ length: pods }, (_, i) => `10.0.${String(i >> 8)}.${String(i & 255)}:8080`),
    );
    const [lookup, hashOnly] = pairedNsPerOp(
      keys,
      (k) => ring.owner(k),
      (k) => sha256(k)[0],
    );
    return row({
      name: `ring lookup, ${pods} pods x 150 virtual nodes, vs SHA-256 of the key alone`,
      value: lookup,
      baseline: hashOnly,
      unit: 'ns/op',
      goal: undefined,
    });
  });
}

export const routerSuite: BenchSuite = {
  title:
    'router: through the router vs direct, added latency, ring lookup, vs HAProxy and nginx, forwarded calls',
  async run() {
    // Before anything starts: without its anchors the suite's figures would mean little.
    const tools: AnchorTools = requireTools(['haproxy', 'nginx', 'wrk'] as const);
    const rows = ringLookups();
    const dir = mkdtempSync(join(tmpdir(), 'glass-bench-router-'));
    try {
      const servers = await startServers();
      try {
        rows.push(...(await throughput(servers)));
        rows.push(...(await addedLatency(servers)));
        rows.push(...(await anchorRows(servers, tools, dir, PATH)));
      } finally {
        await Promise.all(servers.children.map(stop));
      }
      rows.push(...(await forwardedCallRows(tools.wrk, dir)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
