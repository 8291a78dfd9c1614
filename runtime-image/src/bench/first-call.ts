// Figure 3: the first call of a never-seen ~100 KB module in a running GlassRuntime, from
// having the bytes to having the answer, beside raw compile + instantiate + call in-process
// (under the same V8 flags: Glass compiles eagerly, ADR 9).
import { pino } from 'pino';
import { GlassRuntime } from '../runtime/glass-runtime.js';
import { faaslet, guestBytes, withNonce } from './fixtures.js';
import { median, row, type BenchRow } from './report.js';

const ROUNDS = 11;
const GOAL_MS = 5;

interface FirstCall {
  total: number;
  load: number;
  invoke: number;
}

/** Load (compile, check, cap memory, load into every worker) then invoke `run(1)`. */
async function firstCall(
  runtime: GlassRuntime,
  name: string,
  bytes: Uint8Array,
): Promise<FirstCall> {
  const started = performance.now();
  await runtime.loadFaaslet(faaslet(name), bytes);
  const loaded = performance.now();
  const target = runtime.registry.resolve(name, 'run');
  const result = await runtime.invoker.invoke(target, new Uint8Array(0), ['1']);
  const answered = performance.now();
  if (!/^-?\d+$/.test(new TextDecoder().decode(result.output))) {
    throw new Error(`${name}/run answered no number`);
  }
  runtime.unloadFaaslet(name);
  return { total: answered - started, load: loaded - started, invoke: answered - loaded };
}

async function rawFirstCall(bytes: Uint8Array): Promise<number> {
  const started = performance.now();
  const module = await WebAssembly.compile(bytes);
  const instance = new WebAssembly.Instance(module, {});
  const result = (instance.exports.run as (n: number) => number)(1);
  const elapsed = performance.now() - started;
  if (typeof result !== 'number') throw new Error('run answered no number');
  return elapsed;
}

export async function firstCallOfNewModule(): Promise<BenchRow[]> {
  const big = guestBytes('big');
  // A running pod: workers started and warm; every round's module has bytes no cache has seen.
  const runtime = new GlassRuntime({ workers: 2, log: pino({ level: 'silent' }) });
  await runtime.start();
  const run = Date.now().toString(36);
  try {
    const cold = await firstCall(runtime, 'big-warmup', withNonce(big, `${run}-warmup`));
    const host: FirstCall[] = [];
    const raw: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const hostBytes = withNonce(big, `${run}-host-${round}`);
      const rawBytes = withNonce(big, `${run}-raw-${round}`);
      if (round % 2 === 0) {
        host.push(await firstCall(runtime, `big-${round}`, hostBytes));
        raw.push(await rawFirstCall(rawBytes));
      } else {
        raw.push(await rawFirstCall(rawBytes));
        host.push(await firstCall(runtime, `big-${round}`, hostBytes));
      }
    }
    const value = median(host.map((h) => h.total));
    const size = `${(big.length / 1024).toFixed(0)} KiB`;
    const part = (name: string, ms: number): BenchRow =>
      row({ name, value: ms, baseline: undefined, unit: 'ms', goal: undefined });
    return [
      row({
        name: `first call of a never-seen ${size} module (load + invoke) vs raw compile+instantiate+call`,
        value,
        baseline: median(raw),
        unit: 'ms',
        goal: `<= ${GOAL_MS} ms`,
        met: value <= GOAL_MS,
      }),
      part(
        '  of which loadFaaslet (check, compile, load into workers)',
        median(host.map((h) => h.load)),
      ),
      part('  of which first invoke (worker: instantiate, run)', median(host.map((h) => h.invoke))),
      part('the same, very first module this runtime loaded (host code not warm yet)', cold.total),
    ];
  } finally {
    await runtime.close();
  }
}
