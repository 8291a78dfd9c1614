// The global tier's figures (issue 3), each beside its baseline from this same run, against a
// redis-server this suite starts on a free loopback port (AOF off: both sides pay the same
// Redis, and fsync would only add the disk's latency to each):
// 1. single-key increment latency through the global tier (cached read + one commit script)
//    vs a raw ioredis INCR round trip, sequential; also through the whole invoker;
// 2. increments/s with 64 in flight on a global namespace (pipelined commits) vs the same on a
//    local namespace.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { API_VERSION, FAASLET_KIND, Faaslet } from '@glass/crds';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { bytesText, textBytes } from '../host/ascii.js';
import { GlassRuntime } from '../runtime/glass-runtime.js';
import { GlobalTier } from '../state/global-tier.js';
import { RedisSettings } from '../state/redis-config.js';
import { freePort, stop, type Child } from './children.js';
import { guestBytes } from './fixtures.js';
import { interleaved, median, row, type BenchRow, type BenchSuite } from './report.js';

const ROUNDS = 7;
const LATENCY_OPS = 400;
const THROUGHPUT_OPS = 4000;
const IN_FLIGHT = 64;
const LATENCY_GOAL = 1.5;
const silent = pino({ level: 'silent' });

function redisBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, 'redis-server'), constants.X_OK);
      return join(dir, 'redis-server');
    } catch {
      // not here
    }
  }
  throw new Error('redis-server not found: apt-get install redis-server');
}

async function startRedis(): Promise<{ child: Child; url: string; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'glass-bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  const proc = spawn(redisBinary(), [...args, '--appendonly', 'no'], { stdio: 'ignore' });
  const child: Child = { process: proc, stdout: () => '', stderr: () => '' };
  // Commands queue until the server is up; the timeout covers one that never comes up.
  const probe = new Redis({ port, retryStrategy: () => 50 });
  // Refused until the server listens: expected, and retried; without a listener ioredis
  // prints each one as an unhandled error.
  probe.on('error', () => undefined);
  const timeout = setTimeout(() => {
    probe.disconnect();
  }, 10_000);
  try {
    await probe.ping();
  } finally {
    clearTimeout(timeout);
    probe.disconnect();
  }
  return { child, url: `redis://127.0.0.1:${port}`, dir };
}

function counterFaaslet(name: string, durability: 'local' | 'global'): Faaslet {
  return Faaslet.parse({
    apiVersion: API_VERSION,
    kind: FAASLET_KIND,
    metadata: { name },
    spec: {
      module: { configMapRef: { name: 'counter-module', key: 'module.wasm' } },
      limits: { maxConcurrency: 1000 },
      state: { namespace: name, durability },
    },
  });
}

/** µs of one call. */
async function timed(once: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await once();
  return (performance.now() - started) * 1000;
}

/**
 * Median µs per call of `a` and of `b`, calls alternating one by one (which goes first
 * alternates too): load from elsewhere on the machine lands on both sides alike.
 */
function alternating(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number]> {
  return interleaved(
    ROUNDS * LATENCY_OPS,
    () => timed(a),
    () => timed(b),
  );
}

/** Ops/s of `ops` calls with `IN_FLIGHT` outstanding. */
async function throughput(ops: number, once: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next++ < ops) await once();
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return ops / ((performance.now() - started) / 1000);
}

/** The global tier alone: a read from the pod's copy, then the commit script. */
function tierIncrement(tier: GlobalTier, key: string): () => Promise<unknown> {
  let sequence = 0;
  return async () => {
    const [, value, version] = tier.peek(key) ?? (await tier.fetch([key]))[0] ?? [key, null, ''];
    // The runtime's own text helpers, as a guest's increment reaches the tier through them.
    const next = Number(value === null ? 0 : bytesText(value)) + 1;
    const outcome = await tier.commit({
      reads: [[key, version]],
      writes: [[key, textBytes(String(next)), `bench.t.${++sequence}`]],
    });
    if (!outcome.ok) throw new Error('a sequential increment conflicted');
  };
}

function invokeAdd(runtime: GlassRuntime, faaslet: string): () => Promise<unknown> {
  const target = runtime.registry.resolve(faaslet, 'add');
  return async () => runtime.invoker.invoke(target, new Uint8Array(0), ['1']);
}

async function measure(url: string): Promise<BenchRow[]> {
  const raw = new Redis(url);
  const tier = await GlobalTier.connect(RedisSettings.parse({ url }), silent);
  const global = await GlobalTier.connect(RedisSettings.parse({ url }), silent);
  const runtime = new GlassRuntime({ workers: 2, log: silent, global });
  await runtime.start();
  try {
    const module = guestBytes('counter');
    await runtime.loadFaaslet(counterFaaslet('bench-global', 'global'), module);
    await runtime.loadFaaslet(counterFaaslet('bench-local', 'local'), module);
    const incr = (): Promise<unknown> => raw.incr('bench:incr');
    const viaTier = tierIncrement(tier, 'bench/tier');
    const globalAdd = invokeAdd(runtime, 'bench-global');
    const localAdd = invokeAdd(runtime, 'bench-local');
    // A pod that has served the key has it cached: the fast lane (ADR 6) then runs global
    // invocations on the main thread too, instead of yielding the cold first ones to workers.
    await runtime.readState('bench-global/counter');
    // Warm every path (connections, scripts, caches, JIT) before anything counts.
    for (let i = 0; i < 500; i++) await viaTier();
    await throughput(1000, globalAdd);
    await throughput(1000, localAdd);
    const [tierUs, incrUs] = await alternating(viaTier, incr);
    const [invokeUs, incrUs2] = await alternating(globalAdd, incr);
    const [localUs] = await alternating(localAdd, incr);
    const [globalPerS, localPerS] = await interleaved(
      ROUNDS,
      () => throughput(THROUGHPUT_OPS, globalAdd),
      () => throughput(THROUGHPUT_OPS, localAdd),
    );
    const incrRounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) incrRounds.push(await throughput(THROUGHPUT_OPS, incr));
    const incrPerS = median(incrRounds);
    const goal = `<= ${LATENCY_GOAL}x`;
    return [
      row({
        name: 'global increment, one key (cached read + commit script) vs raw ioredis INCR',
        value: tierUs,
        baseline: incrUs,
        unit: 'µs',
        goal,
        met: tierUs / incrUs <= LATENCY_GOAL,
      }),
      row({
        name: 'global increment through the invoker (guest + commit) vs raw ioredis INCR',
        value: invokeUs,
        baseline: incrUs2,
        unit: 'µs',
        goal: undefined,
      }),
      row({
        name: '  the same on a local namespace',
        value: localUs,
        baseline: undefined,
        unit: 'µs',
        goal: undefined,
      }),
      row({
        name: `global increments/s, ${IN_FLIGHT} in flight (pipelined commits) vs local-only`,
        value: globalPerS,
        baseline: localPerS,
        unit: '/s',
        goal: undefined,
      }),
      row({
        name: `  raw ioredis INCR/s, ${IN_FLIGHT} in flight, for scale`,
        value: incrPerS,
        baseline: undefined,
        unit: '/s',
        goal: undefined,
      }),
    ];
  } finally {
    await runtime.close();
    await tier.close();
    raw.disconnect();
  }
}

export const globalSuite: BenchSuite = {
  title: 'global: Redis-backed increments, latency and throughput',
  async run() {
    const redis = await startRedis();
    try {
      return await measure(redis.url);
    } finally {
      await stop(redis.child);
      rmSync(redis.dir, { recursive: true, force: true });
    }
  },
};
