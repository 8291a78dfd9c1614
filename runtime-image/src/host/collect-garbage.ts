import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full GC now. Used only after a guest hit its memory limit: it leaves a large dead memory
 * behind, and collecting it at once gives the pod its memory back now rather than at the next
 * GC V8 happens to schedule. (`--expose-gc` set at run time applies to new contexts.)
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
