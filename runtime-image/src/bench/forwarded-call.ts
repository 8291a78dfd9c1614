// The cost of a forwarded call vs a direct one (issue 12, ADR 101): a pod that does not own a
// call's namespace forwards it once to the owner. Three `glass runtime` processes follow one
// members file, as under `glass up`; the same call is sent straight to the owner of `counter`
// and to a pod that is not its owner, interleaved, in the same run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashRing } from '../router/ring.js';
import { freePort, spawnNode, stop, waitForOk, type Child } from './children.js';
import { cpuNs } from './cpu.js';
import { repoPath } from './fixtures.js';
import { latencies } from './latency.js';
import { median, row, type BenchRow } from './report.js';
import { runWrk, writeWrkScript, WRK_CONNECTIONS } from './wrk.js';

const RUNTIMES = 3;
const NAMESPACE = 'counter';
const PATH = '/invoke/counter/get';
const LATENCY_REQUESTS = 2000;
const WARMUP_S = 2;
const DURATION_S = 5;
const ROUNDS = 3;
const MAIN = repoPath('runtime-image/dist/src/cli/main.js');

interface Pod {
  name: string;
  url: string;
  child: Child;
}

/** Starts the runtimes, each named `127.0.0.1:PORT` as a runtime names itself by default. */
async function startPods(dir: string): Promise<Pod[]> {
  const ports: number[] = [];
  for (let i = 0; i < RUNTIMES; i++) ports.push(await freePort());
  const members = ports.map((p) => ({ name: `127.0.0.1:${p}`, url: `http://127.0.0.1:${p}` }));
  const membersFile = join(dir, 'members.json');
  writeFileSync(membersFile, JSON.stringify(members));
  const pods = members.map((m, i) => ({
    ...m,
    child: spawnNode(MAIN, [
      ...['runtime', '--port', String(ports[i]), '--log-level', 'warn'],
      ...['--faaslets', repoPath('crds/samples/counter.yaml'), '--members-file', membersFile],
    ]),
  }));
  try {
    for (const pod of pods) await waitForOk(pod.child, `${pod.url}/ready`);
  } catch (error) {
    await Promise.all(pods.map((p) => stop(p.child)));
    throw error;
  }
  return pods;
}

/** The pod's `glass_forwarded_calls_total`: proves the non-owner really forwarded. */
async function forwardedCount(pod: Pod): Promise<number> {
  const text = await (await fetch(`${pod.url}/metrics`)).text();
  const match = /^glass_forwarded_calls_total (\d+)/m.exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

async function latencyRows(owner: Pod, other: Pod): Promise<BenchRow[]> {
  const block = LATENCY_REQUESTS / 4;
  await latencies(owner.url, PATH, block);
  await latencies(other.url, PATH, block);
  const direct: number[] = [];
  const forwarded: number[] = [];
  // Interleaved blocks, so a noisy neighbour hurts both sides alike.
  for (let i = 0; i < 4; i++) {
    direct.push(...(await latencies(owner.url, PATH, block)));
    forwarded.push(...(await latencies(other.url, PATH, block)));
  }
  const [via, straight] = [median(forwarded), median(direct)];
  return [
    row({
      name: `median latency of GET ${PATH} sent to a non-owner (forwards once) vs to the owner (1 connection, sequential)`,
      value: via,
      baseline: straight,
      unit: 'µs',
      goal: undefined,
    }),
    row({
      name: '  added median latency of the forward',
      value: via - straight,
      baseline: undefined,
      unit: 'µs',
      goal: undefined,
    }),
  ];
}

/** wrk rounds alternating owner and non-owner; the non-owner's CPU per call it forwarded. */
async function throughputRows(
  owner: Pod,
  other: Pod,
  wrk: string,
  dir: string,
): Promise<BenchRow[]> {
  const script = writeWrkScript(dir);
  const run = (pod: Pod, seconds: number) => runWrk({ wrk, script, url: pod.url + PATH, seconds });
  await run(owner, WARMUP_S);
  await run(other, WARMUP_S);
  const [direct, forwarded] = [[] as number[], [] as number[]];
  let [ownerNs, ownerRequests, otherNs, otherRequests] = [0, 0, 0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    let before = cpuNs(owner.child);
    const straight = await run(owner, DURATION_S);
    ownerNs += (cpuNs(owner.child) ?? NaN) - (before ?? NaN);
    ownerRequests += straight.requests;
    direct.push(straight.requestsPerSecond);
    before = cpuNs(other.child);
    const via = await run(other, DURATION_S);
    otherNs += (cpuNs(other.child) ?? NaN) - (before ?? NaN);
    otherRequests += via.requests;
    forwarded.push(via.requestsPerSecond);
  }
  return [
    row({
      name: `wrk: requests/s sent to a non-owner vs to the owner (${RUNTIMES} runtimes, ${WRK_CONNECTIONS} connections)`,
      value: median(forwarded),
      baseline: median(direct),
      unit: 'req/s',
      goal: undefined,
    }),
    row({
      name: "  the non-owner's CPU per forwarded call vs the owner's per call it served directly",
      value: otherNs / otherRequests / 1000,
      baseline: ownerNs / ownerRequests / 1000,
      unit: 'µs',
      goal: undefined,
    }),
  ];
}

export async function forwardedCallRows(wrk: string, dir: string): Promise<BenchRow[]> {
  const pods = await startPods(dir);
  try {
    const ownerName = new HashRing(pods.map((p) => p.name)).owner(NAMESPACE);
    const owner = pods.find((p) => p.name === ownerName);
    const other = pods.find((p) => p.name !== ownerName);
    if (owner === undefined || other === undefined) throw new Error('no owner of counter');
    const rows = await latencyRows(owner, other);
    rows.push(...(await throughputRows(owner, other, wrk, dir)));
    const [hops, ownerHops] = [await forwardedCount(other), await forwardedCount(owner)];
    if (hops < LATENCY_REQUESTS || ownerHops !== 0) {
      throw new Error(
        `expected the non-owner to forward every call (${hops} forwarded) and the owner none (${ownerHops})`,
      );
    }
    return rows;
  } finally {
    await Promise.all(pods.map((p) => stop(p.child)));
  }
}
