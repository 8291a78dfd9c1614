// The router beside the anchors (issue 12): HAProxy and nginx, each one thread, hashing
// X-User-ID consistently, in front of the same runtime as the router, with wrk as the load
// generator. Same run, same runtime, rounds interleaved, so the ratios hold on a noisy machine.
import type { Anchor } from './anchor.js';
import { waitForOk, type Child } from './children.js';
import { cpuNs } from './cpu.js';
import { startHaproxy } from './haproxy.js';
import { startNginx } from './nginx.js';
import { median, row, type BenchRow } from './report.js';
import { runWrk, writeWrkScript, WRK_CONNECTIONS } from './wrk.js';

const WARMUP_S = 2;
const DURATION_S = 5;
const ROUNDS = 3;

/** What the router suite already runs: one runtime, the router and the TCP relay before it. */
export interface Fronted {
  runtime: Child;
  runtimePort: number;
  direct: string;
  router: Child;
  routed: string;
  relay: Child;
  relayed: string;
}

export interface AnchorTools {
  haproxy: string;
  nginx: string;
  wrk: string;
}

type TargetName = 'direct' | 'router' | 'haproxy' | 'nginx' | 'relay';

interface Target {
  name: TargetName;
  url: string;
  /** Whose CPU is charged to this target's requests: the proxy, or the runtime when direct. */
  process: Child;
}

interface Measured {
  rates: number[];
  cpuNs: number;
  requests: number;
}

/** Each target in turn per round, the first one moving by one each round; median requests/s. */
async function measure(
  targets: Target[],
  wrk: string,
  script: string,
): Promise<Map<TargetName, Measured>> {
  const out = new Map<TargetName, Measured>(
    targets.map((t) => [t.name, { rates: [], cpuNs: 0, requests: 0 }]),
  );
  for (const t of targets) await runWrk({ wrk, script, url: t.url, seconds: WARMUP_S });
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length] as Target;
      const m = out.get(target.name) as Measured;
      const before = cpuNs(target.process);
      const result = await runWrk({ wrk, script, url: target.url, seconds: DURATION_S });
      m.cpuNs += (cpuNs(target.process) ?? NaN) - (before ?? NaN);
      m.rates.push(result.requestsPerSecond);
      m.requests += result.requests;
    }
  }
  return out;
}

function rowsOf(measured: Map<TargetName, Measured>): BenchRow[] {
  const rate = (n: TargetName): number => median(measured.get(n)?.rates ?? []);
  const cpu = (n: TargetName): number => {
    const m = measured.get(n);
    return m === undefined ? NaN : m.cpuNs / m.requests / 1000;
  };
  const [router, haproxy] = [rate('router'), rate('haproxy')];
  const vsDirect = (name: string, n: TargetName): BenchRow =>
    row({ name, value: rate(n), baseline: rate('direct'), unit: 'req/s', goal: undefined });
  const perRequest = (name: string, n: TargetName, baseline?: number): BenchRow =>
    row({ name, value: cpu(n), baseline, unit: 'µs', goal: undefined });
  return [
    row({
      name: `wrk: requests/s through the router vs through HAProxy (${WRK_CONNECTIONS} connections, 1,000 X-User-IDs)`,
      value: router,
      baseline: haproxy,
      unit: 'req/s',
      goal: '>= 0.8x',
      met: router / haproxy >= 0.8,
    }),
    row({
      name: "wrk: router CPU per proxied request vs HAProxy's",
      value: cpu('router'),
      baseline: cpu('haproxy'),
      unit: 'µs',
      goal: '<= 1.5x',
      met: cpu('router') / cpu('haproxy') <= 1.5,
    }),
    vsDirect('  wrk: through HAProxy (1 thread, hdr(X-User-ID) consistent) vs direct', 'haproxy'),
    vsDirect('  wrk: through nginx (1 worker, hash $http_x_user_id consistent) vs direct', 'nginx'),
    vsDirect('  wrk: through the router vs direct', 'router'),
    vsDirect('  wrk: through the bare TCP relay vs direct', 'relay'),
    perRequest("  wrk: nginx CPU per request vs HAProxy's", 'nginx', cpu('haproxy')),
    perRequest("  wrk: TCP relay CPU per request vs HAProxy's", 'relay', cpu('haproxy')),
    perRequest('  wrk: runtime CPU per request, direct', 'direct'),
  ];
}

/** Starts HAProxy and nginx in `dir` before `servers.runtimePort`, measures, stops them. */
export async function anchorRows(
  servers: Fronted,
  tools: AnchorTools,
  dir: string,
  path: string,
): Promise<BenchRow[]> {
  const anchors: Anchor[] = [];
  try {
    const haproxy = await startHaproxy(tools.haproxy, dir, [servers.runtimePort]);
    anchors.push(haproxy);
    const nginx = await startNginx(tools.nginx, dir, [servers.runtimePort]);
    anchors.push(nginx);
    await waitForOk(haproxy.child, haproxy.url + path);
    await waitForOk(nginx.child, nginx.url + path);
    const script = writeWrkScript(dir);
    const targets: Target[] = [
      { name: 'direct', url: servers.direct + path, process: servers.runtime },
      { name: 'router', url: servers.routed + path, process: servers.router },
      { name: 'haproxy', url: haproxy.url + path, process: haproxy.child },
      { name: 'nginx', url: nginx.url + path, process: nginx.child },
      { name: 'relay', url: servers.relayed + path, process: servers.relay },
    ];
    return rowsOf(await measure(targets, tools.wrk, script));
  } finally {
    await Promise.all(anchors.map((a) => a.stop()));
  }
}
