// CPU time a benchmark child has used, from /proc (Linux only). On these 2-core machines the
// load generator, the proxies and the runtimes share the cores, so CPU per request explains a
// throughput ratio better than the ratio alone.
import { readdirSync, readFileSync } from 'node:fs';
import type { Child } from './children.js';

function taskIds(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`);
}

/** ns on CPU of every thread of `pid`, from the first field of each task's schedstat. */
function processCpuNs(pid: number): number {
  return taskIds(pid).reduce((sum, task) => {
    const stat = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8');
    return sum + Number(stat.split(' ')[0]);
  }, 0);
}

/** The PIDs of the processes `pid` started (not threads), from each task's `children` list. */
export function childPids(pid: number): number[] {
  return taskIds(pid).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
      .split(' ')
      .filter((word) => word.trim() !== '')
      .map(Number),
  );
}

function treeCpuNs(pid: number): number {
  return childPids(pid).reduce((sum, child) => sum + treeCpuNs(child), processCpuNs(pid));
}

/**
 * CPU ns used so far by a child and the processes it started (nginx serves from a worker
 * process under its master), all threads; undefined where /proc cannot tell.
 */
export function cpuNs(child: Child): number | undefined {
  const pid = child.process.pid;
  if (pid === undefined) return undefined;
  try {
    return treeCpuNs(pid);
  } catch {
    return undefined;
  }
}
