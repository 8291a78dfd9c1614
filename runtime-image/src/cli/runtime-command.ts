import { Option, type Command } from 'commander';
import { RuntimeConfigChecked } from '../config/runtime-config.js';
import { createLogger } from '../logger.js';
import { serveRuntime } from '../runtime/serve.js';
import { addRedisOptions, redisConfigInput } from './redis-flags.js';
import { addAdminTokenOptions } from './admin-token-flags.js';
import { describeZodError } from '@glass/crds';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerRuntimeCommand(program: Command): void {
  const command = program
    .command('runtime')
    .description(
      'run a runtime pod: the Faaslets in the given YAML files and folders, and (--cluster) those of a GlassCluster in Kubernetes, over HTTP',
    )
    .requiredOption('--port <port>', 'HTTP port (0 picks a free one)')
    // Loopback on a laptop; Glass's image sets GLASS_HOST=0.0.0.0, so that `docker run -p` reaches
    // a runtime started there without --host (ADR 113). A typed --host wins over both.
    .addOption(
      new Option('--host <host>', 'address to listen on').env('GLASS_HOST').default('127.0.0.1'),
    )
    .option(
      '--faaslets <path...>',
      'YAML files or folders (read recursively) with Faaslets and ConfigMaps',
      [],
    )
    .option('--faaslet <path>', 'one more YAML file or folder (repeatable)', collect, [])
    .option(
      '--cluster <name>',
      'also serve the Faaslets of this GlassCluster, watched in Kubernetes (loaded, swapped, unloaded as they change)',
    )
    .addOption(
      new Option(
        '--namespace <namespace>',
        'namespace of --cluster (default: the kubeconfig context namespace, else default)',
      ).env('POD_NAMESPACE'),
    )
    .option(
      '--kubeconfig <path>',
      'kubeconfig for --cluster (default: KUBECONFIG, ~/.kube/config, else the pod service account)',
    )
    .addOption(
      new Option('--pod-name <name>', 'name sent in X-Glass-Pod (default host:port)').env(
        'POD_NAME',
      ),
    )
    .option(
      '--members-file <path>',
      'JSON file listing the runtime pods ([{name, url}]), followed as it changes: which namespaces this pod owns',
    )
    .option(
      '--peers-service <name>',
      'with --cluster: the runtime Service whose ready endpoints are the runtime pods (namespace ownership)',
    )
    .option('--virtual-nodes <n>', 'ring points per pod (the router must use the same)', '150')
    .option(
      '--handoff-timeout-ms <ms>',
      'how long a pod that gains a namespace waits for its previous owner to hand it over',
      '5000',
    )
    .option('--workers <n>', 'guest worker threads', '2')
    .option('--max-body-bytes <n>', 'largest request body', String(1024 * 1024))
    .option(
      '--module-fetch-allow-cidr <cidr>',
      'a loopback, link-local or private range spec.module.url may be fetched from (repeatable; default none)',
      collect,
      [],
    )
    .option(
      '--module-fetch-max-bytes <n>',
      'largest module fetched from a URL',
      String(64 * 1024 * 1024),
    )
    .option(
      '--allowed-state-namespaces <patterns>',
      "comma-separated state namespace patterns (* is any run) Faaslets may name; '' allows none (default: any)",
    )
    .option('--log-level <level>', 'debug, info, warn, error or silent', 'info');
  addAdminTokenOptions(command);
  addRedisOptions(command).action(async (flags: Record<string, unknown>) => {
    let redisInput: Record<string, unknown>;
    try {
      redisInput = redisConfigInput(flags);
    } catch (error) {
      program.error(`glass runtime: ${(error as Error).message}`);
    }
    const {
      cluster,
      namespace,
      kubeconfig,
      moduleFetchAllowCidr,
      allowedStateNamespaces,
      ...rest
    } = flags;
    // POD_NAMESPACE is in every pod's environment; only flags typed without --cluster are a mistake.
    const typed = ['kubeconfig', 'namespace'].filter(
      (f) => command.getOptionValueSource(f) === 'cli',
    );
    if (cluster === undefined && typed.length > 0) {
      program.error(`glass runtime: --${typed.join(' and --')} only make sense with --cluster`);
    }
    const parsed = RuntimeConfigChecked.safeParse({
      ...rest,
      faaslets: [...(flags.faaslets as string[]), ...(flags.faaslet as string[])],
      moduleFetchAllowCidrs: moduleFetchAllowCidr,
      ...(typeof allowedStateNamespaces === 'string' && {
        allowedStateNamespaces: allowedStateNamespaces.split(',').filter((p) => p !== ''),
      }),
      ...(cluster !== undefined && { kubernetes: { cluster, namespace, kubeconfig } }),
      ...redisInput,
    });
    if (!parsed.success) {
      program.error(`glass runtime: ${describeZodError(parsed.error)}`);
    }
    const config = Object.freeze(parsed.data);
    const log = createLogger(config.logLevel, 'glass-runtime');
    let running: Awaited<ReturnType<typeof serveRuntime>>;
    try {
      running = await serveRuntime(config, log);
    } catch (error) {
      // Startup failures (Redis unreachable, wrong password) end the process non-zero; they
      // are not usage errors, so no help text.
      log.fatal((error as Error).message);
      process.stderr.write(`glass runtime: ${(error as Error).message}\n`);
      process.exit(1);
    }
    const stop = (): void => {
      log.info('draining');
      // Under `glass up`: the supervisor takes this pod out of the membership now (ADR 0103).
      process.send?.({ glass: 'leaving' });
      void running.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
