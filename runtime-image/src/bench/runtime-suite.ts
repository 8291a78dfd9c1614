// The runtime pod's four figures (issue 2), each beside what it is compared with, measured
// in this same run. runtime-image/src/bench/README.md says how to read them.
import { firstCallOfNewModule } from './first-call.js';
import { instanceAcquire } from './instance-acquire.js';
import { liveInstances } from './live-instances.js';
import type { BenchSuite } from './report.js';
import { warmInvoke } from './warm-invoke.js';

export const runtimeSuite: BenchSuite = {
  title: 'runtime: new instance, warm invoke, first call, live instances',
  async run() {
    return [
      ...(await instanceAcquire()),
      ...(await firstCallOfNewModule()),
      ...(await liveInstances()),
      ...(await warmInvoke()),
    ];
  },
};
