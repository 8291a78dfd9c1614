// Warm invoke requests/s of the counter guest in Go, C and Rust beside the AssemblyScript
// counter: one `glass runtime` child serves all four on the namespace `counter`, and the same
// autocannon settings load each in turn, round after round, so drift hits all alike.
import { freePort, spawnNode, stop, waitForOk } from './children.js';
import { repoPath } from './fixtures.js';
import { median, row, type BenchRow } from './report.js';
import { load } from './warm-invoke.js';

const WARMUP_S = 2;
const DURATION_S = 5;
const ROUNDS = 3;
/** The goal of issue 13 for Go; the same bar is shown for C and Rust. */
const GOAL = 0.8;

const BASELINE = 'counter';
const LANGUAGES = [
  { language: 'Go', faaslet: 'counter-go' },
  { language: 'C', faaslet: 'counter-c' },
  { language: 'Rust', faaslet: 'counter-rust' },
];
const path = (faaslet: string): string => `/invoke/${faaslet}/add?value=1`;

export async function languageWarmInvoke(): Promise<BenchRow[]> {
  const port = await freePort();
  const glass = spawnNode(repoPath('runtime-image/dist/src/cli/main.js'), [
    'runtime',
    ...['--port', String(port), '--log-level', 'warn'],
    ...['--faaslets', repoPath('crds/samples/counter.yaml'), repoPath('crds/languages')],
  ]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(glass, `${base}/ready`, 60_000);
    const faaslets = [BASELINE, ...LANGUAGES.map((l) => l.faaslet)];
    // Warm-up also starts each language's instances (Go's runtime start-up is per instance).
    for (const faaslet of faaslets) await load(base + path(faaslet), WARMUP_S);
    const rates = new Map<string, number[]>(faaslets.map((f) => [f, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const faaslet of faaslets)
        rates.get(faaslet)?.push(await load(base + path(faaslet), DURATION_S));
    }
    const baseline = median(rates.get(BASELINE) ?? []);
    return LANGUAGES.map(({ language, faaslet }) => {
      const value = median(rates.get(faaslet) ?? []);
      return row({
        name: `warm invoke of the ${language} counter (GET ${path(faaslet)}) vs the AssemblyScript counter`,
        value,
        baseline,
        unit: 'req/s',
        goal: `>= ${GOAL}x`,
        met: value / baseline >= GOAL,
      });
    });
  } finally {
    await stop(glass);
  }
}
