// Guests in other languages beside AssemblyScript (issue 13): warm invoke of the Go, C and Rust
// counters vs the AssemblyScript one, the first call of the ~2 MB Go module vs the raw path,
// and what live Go instances cost. Each figure is measured beside its baseline in this run.
import { goFirstCall } from './go-first-call.js';
import { goLiveInstances } from './go-live-instances.js';
import { languageWarmInvoke } from './language-warm-invoke.js';
import type { BenchSuite } from './report.js';

export const languagesSuite: BenchSuite = {
  title: 'languages: Go, C and Rust guests beside AssemblyScript',
  async run() {
    return [
      ...(await goFirstCall()),
      ...(await goLiveInstances()),
      ...(await languageWarmInvoke()),
    ];
  },
};
