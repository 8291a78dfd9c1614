import { join } from 'node:path';
import type { Command } from 'commander';
import type { Faaslet } from '@glass/crds';
import { readFaasletManifests } from '../runtime/faaslet-files.js';
import { resolveModuleBytes } from '../runtime/module-bytes.js';
import { serveRuntime } from '../runtime/serve.js';
import { createLogger } from '../logger.js';
import { SAMPLES_DIR } from '../paths.js';

const NAMESPACE = 'demo';
const ADDS: [string, number][] = [
  ['adder-10', 10],
  ['adder-20', 20],
  ['adder-30', 30],
];

/** Three Faaslets of the counter module, each its own function, sharing one namespace. */
function demoFaaslet(sample: Faaslet, name: string): Faaslet {
  return {
    ...sample,
    metadata: { name },
    spec: {
      ...sample.spec,
      state: { ...sample.spec.state, namespace: NAMESPACE, durability: 'local' },
    },
  };
}

async function post(base: string, path: string, body: string): Promise<string> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
  return text;
}

/**
 * The classic Glass demo: a shared `counter` starts at 100, three Faaslets add 10, 20 and
 * 30 at the same time through a real runtime over HTTP, and the transactions make it 160.
 */
async function runDemo(): Promise<void> {
  const log = createLogger('warn', 'glass-demo');
  const running = await serveRuntime(
    {
      port: 0,
      host: '127.0.0.1',
      faaslets: [],
      workers: 2,
      maxBodyBytes: 1 << 20,
      logLevel: 'warn',
    },
    log,
  );
  try {
    const manifests = await readFaasletManifests([join(SAMPLES_DIR, 'counter.yaml')]);
    const sample = manifests.faaslets[0]?.faaslet;
    if (!sample)
      throw new Error(`no counter Faaslet in ${SAMPLES_DIR}counter.yaml: run npm run build`);
    const bytes = await resolveModuleBytes(sample, manifests.configMaps);
    for (const [name] of ADDS) await running.runtime.loadFaaslet(demoFaaslet(sample, name), bytes);
    const base = `http://127.0.0.1:${running.port}`;
    await fetch(`${base}/state/${NAMESPACE}/counter`, { method: 'PUT', body: '100' });
    console.log(`--- Initial State of 'counter': 100 ---`);
    await Promise.all(
      ADDS.map(async ([name, amount]) => {
        const after = await post(base, `/invoke/${name}/add`, String(amount));
        console.log(
          `Faaslet ${name}: add(${amount}) -> counter was ${Number(after) - amount}, now ${after}`,
        );
      }),
    );
    const final = await (await fetch(`${base}/state/${NAMESPACE}/counter`)).text();
    console.log(`--- Final State of 'counter': ${final} ---`);
  } finally {
    await running.close();
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the classic demo: three Faaslets add 10, 20 and 30 to a shared counter of 100')
    .action(runDemo);
}
