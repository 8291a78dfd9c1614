// Live Go instances one process holds, and its RSS: a Go reactor's instance keeps its own Go
// runtime (heap, scheduler, stacks) in its linear memory, so it costs far more than an
// AssemblyScript one. Measured like figure 4, in a child process of its own.
import { census } from './live-instances.js';
import { row, type BenchRow } from './report.js';

/** 4 workers' worth of the default maxInstances (64): what a busy pod may really hold. */
const INSTANCES = 256;
/** The pod memory a Go Faaslet's instances could have to themselves in a 512 MiB pod. */
const BUDGET_MIB = 512;
const MIB = 1024 * 1024;

export async function goLiveInstances(): Promise<BenchRow[]> {
  const { instances, rssBefore, rssAfter, seconds } = await census(INSTANCES, 'counter-go');
  const perInstance = (rssAfter - rssBefore) / instances;
  return [
    row({
      name: `live Go counter instances one process holds, each started and called once (made in ${seconds.toFixed(2)} s)`,
      value: instances,
      baseline: undefined,
      unit: 'instances',
      goal: `>= ${INSTANCES}`,
      met: instances >= INSTANCES,
    }),
    row({
      name: `RSS of that process (${(rssBefore / MIB).toFixed(0)} MiB before the instances)`,
      value: rssAfter / MIB,
      baseline: undefined,
      unit: 'MiB',
      goal: undefined,
    }),
    row({
      name: 'RSS per live Go instance (delta / instances)',
      value: perInstance / 1024,
      baseline: undefined,
      unit: 'KiB',
      goal: undefined,
    }),
    row({
      name: `Go instances that fit in ${BUDGET_MIB} MiB at that rate`,
      value: Math.floor((BUDGET_MIB * MIB) / perInstance),
      baseline: undefined,
      unit: 'instances',
      goal: undefined,
    }),
  ];
}
