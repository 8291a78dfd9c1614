// Figure 4: how many live instances one process holds, and its RSS (a child process, so
// the figure is not mixed with the benchmark's own memory).
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { spawnNode, stop } from './children.js';
import type { Census } from './instance-census.js';
import { row, type BenchRow } from './report.js';

/** The goal; V8's default address-space reservations allow about 13,000 wasm memories. */
const INSTANCES = 10_000;
const MAX_RSS_MIB = 512;
const MIB = 1024 * 1024;

/** `count` live instances of `guest` in a child process of their own, and its RSS. */
export async function census(count: number, guest = 'counter'): Promise<Census> {
  const script = fileURLToPath(new URL('instance-census.js', import.meta.url));
  const child = spawnNode(script, [String(count), guest], ['--expose-gc']);
  try {
    // 'close', not 'exit': by then the child's stdout has been read to its end.
    const [code] = (await once(child.process, 'close')) as [number | null];
    if (code !== 0)
      throw new Error(`instance census ended with ${String(code)}: ${child.stderr()}`);
    return JSON.parse(child.stdout()) as Census;
  } finally {
    await stop(child);
  }
}

export async function liveInstances(): Promise<BenchRow[]> {
  const { instances, rssBefore, rssAfter, seconds } = await census(INSTANCES);
  const rssMiB = rssAfter / MIB;
  const met = instances >= INSTANCES && rssMiB <= MAX_RSS_MIB;
  return [
    row({
      name: `live counter instances one process holds (made in ${seconds.toFixed(2)} s)`,
      value: instances,
      baseline: undefined,
      unit: 'instances',
      goal: `>= ${INSTANCES}`,
      met,
    }),
    row({
      name: `RSS of that process (${(rssBefore / MIB).toFixed(0)} MiB before the instances)`,
      value: rssMiB,
      baseline: undefined,
      unit: 'MiB',
      goal: `<= ${MAX_RSS_MIB} MiB`,
      met,
    }),
    row({
      name: 'RSS per live instance (delta / instances)',
      value: (rssAfter - rssBefore) / 1024 / instances,
      baseline: undefined,
      unit: 'KiB',
      goal: undefined,
    }),
  ];
}
