#!/usr/bin/env node
// `glass-operator`: reconciles GlassClusters and Faaslets against the current kubeconfig.
import { hostname } from 'node:os';
import { Command } from 'commander';
import { pino } from 'pino';
import { describeZodError } from '@glass/crds';
import { OperatorConfig } from './config.js';
import { Manager } from './manager.js';

const program: Command = new Command('glass-operator')
  .description('the Glass controller manager: GlassCluster and Faaslet reconcilers')
  .option('--kubeconfig <path>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
  .option(
    '--identity <name>',
    'this replica in the leader Lease (default: $POD_NAME or the host name)',
  )
  .option('--health-port <port>', '/healthz, /readyz and /metrics (0 picks one)', '8081')
  .option('--health-host <host>', 'address for the health server', '0.0.0.0')
  .option('--no-leader-elect', 'run without a Lease (one replica only)')
  .option(
    '--lease-namespace <ns>',
    'namespace of the leader Lease (default: $POD_NAMESPACE or default)',
  )
  .option('--lease-name <name>', 'name of the leader Lease', 'glass-operator')
  .option('--lease-duration-ms <ms>', 'how long a Lease holds without renewal', '15000')
  .option('--retry-period-ms <ms>', 'how often the leader renews and the others try', '2000')
  .option('--concurrency <n>', 'reconciles at once per controller', '4')
  .option('--log-level <level>', 'debug, info, warn, error or silent', 'info')
  .option(
    '--no-network-policies',
    'write no NetworkPolicies for GlassClusters (by default each gets ingress policies in its namespace)',
  )
  .option(
    '--allowed-image <image>',
    'an image (with tag or digest) or a repository (any tag) a GlassCluster may run; repeatable; none given: any image',
    (value: string, previous: string[]) => [...previous, value],
    [],
  )
  .option(
    '--module-fetch-allow-cidr <cidr>',
    'a loopback, link-local or private range spec.module.url may be fetched from (repeatable; default none)',
    (value: string, previous: string[]) => [...previous, value],
    [],
  )
  .option(
    '--module-fetch-max-bytes <n>',
    'largest module fetched from a URL',
    String(64 * 1024 * 1024),
  )
  .action(async (flags: Record<string, unknown>) => {
    const { moduleFetchAllowCidr, allowedImage, ...rest } = flags;
    const parsed = OperatorConfig.safeParse({
      ...rest,
      allowedImages: allowedImage,
      moduleFetchAllowCidrs: moduleFetchAllowCidr,
      identity: flags.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
      leaseNamespace: flags.leaseNamespace ?? process.env.POD_NAMESPACE,
    });
    if (!parsed.success) program.error(`glass-operator: ${describeZodError(parsed.error)}`);
    const config = Object.freeze(parsed.data);
    const log = pino({ name: 'glass-operator', level: config.logLevel });
    let manager: Manager;
    try {
      manager = new Manager(config, log);
    } catch (error) {
      // No credentials, or an unreadable kubeconfig: a startup error for a person to fix.
      program.error(`glass-operator: ${(error as Error).message}`);
    }
    const port = await manager.start();
    log.info({ port, identity: config.identity }, 'operator started');
    const stop = (): void => {
      void manager.stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

await program.parseAsync(process.argv);
