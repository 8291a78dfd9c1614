// `node hack/node-agent/dist/src/main.js --kubeconfig <admin kubeconfig>`: the node agent on
// its own, until SIGINT or SIGTERM; then every pod process it started is stopped.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { pino } from 'pino';
import { NodeAgent } from './agent.js';
import { AgentConfig } from './config.js';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');

const program: Command = new Command('glass-node-agent')
  .description('a scheduler and kubelet for one node that runs Glass pods as local processes')
  .requiredOption('--kubeconfig <path>', 'admin kubeconfig of the control plane')
  .option('--node-name <name>', 'the Node to register', 'glass-e2e')
  .option(
    '--pod-cidr <cidr>',
    'pod addresses; every one must be local (see hack/README.md)',
    '10.244.0.0/16',
  )
  .option('--image <name...>', 'image repositories (last path segment) that are Glass', ['glass'])
  .option('--state-dir <dir>', 'per-pod kubeconfigs, HOME and logs', '.glass/node-agent')
  .option('--repo-root <dir>', 'the built checkout that stands in for the image', REPO_ROOT)
  .action(async (flags: Record<string, string | string[]>) => {
    const parsed = AgentConfig.safeParse({
      nodeName: flags.nodeName,
      kubeconfig: flags.kubeconfig,
      podCidr: flags.podCidr,
      imageNames: flags.image,
      stateDir: resolve(String(flags.stateDir)),
      repoRoot: resolve(String(flags.repoRoot)),
    });
    if (!parsed.success) program.error(`glass-node-agent: ${parsed.error.message}`);
    const log = pino({ name: 'glass-node-agent' });
    const agent = await NodeAgent.start(Object.freeze(parsed.data), log);
    const stop = (): void => {
      void agent.stop().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

await program.parseAsync(process.argv);
