// `glass router`: the consistent-hash router in front of runtime pods, listed by `--backend`
// or read from a Service's EndpointSlices (`--kubernetes-service`).
import { Command, Option } from 'commander';
import { createLogger } from '../logger.js';
import { parseConfig, RouterFlags, type RouterSettings } from '../router/config.js';
import { openMembership } from '../router/membership-from-flags.js';
import type { Logger } from 'pino';
import { FaasletCatalog } from '../placement/faaslet-catalog.js';
import { startRouter } from '../router/router.js';
import { addAdminTokenOptions } from './admin-token-flags.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The router's flags, shared by `glass router` and (for the router it embeds) `glass up`. */
export function addRouterSettingOptions(command: Command): Command {
  return command
    .option('--virtual-nodes <n>', 'virtual nodes per pod on the hash ring', '150')
    .option(
      '--keys <list>',
      'routing-key sources in order: user-id,session,function,client-ip',
      'user-id,session,function,client-ip',
    )
    .option(
      '--trusted-proxy <cidr>',
      'peer whose X-Forwarded-For is believed (repeatable)',
      collect,
      [],
    )
    .option('--health-interval <duration>', 'time between /ready probes of each pod', '1s')
    .option('--probe-timeout <duration>', 'deadline of one /ready probe', '1s')
    .option('--unhealthy-threshold <n>', 'consecutive failures that eject a pod', '3')
    .option('--healthy-threshold <n>', 'consecutive good probes that readmit a pod', '2')
    .option('--max-body <quantity>', 'largest request body buffered for retries', '1Mi')
    .option('--upstream-timeout <duration>', 'deadline for a pod to answer', '60s')
    .option('--max-attempts <n>', 'pods tried per request at most', '3')
    .option('--header-timeout <duration>', 'a client sends its request headers within this', '10s')
    .option('--request-timeout <duration>', 'a client sends its whole request within this', '30s')
    .option(
      '--idle-timeout <duration>',
      'an idle keep-alive client connection closes after this',
      '65s',
    )
    .option('--max-connections <n>', 'client connections open at once', '10000')
    .option(
      '--max-buffered <quantity>',
      'request body bytes held at once, all requests together',
      '64Mi',
    )
    .option(
      '--balance-factor <x>',
      'calls that touch no state go past a pod above this times the mean load (0: strict key affinity)',
      '1.25',
    );
}

/** Commander's camelCase options, renamed to the schema's field names where they differ. */
export function settingsInput(opts: Record<string, unknown>): Record<string, unknown> {
  const { trustedProxy, ...rest } = opts;
  return { ...rest, trustedProxies: trustedProxy };
}

/** Parses flags, or exits through commander with the problems listed (no stack trace). */
export function parseFlags<T>(command: Command, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    return command.error((err as Error).message);
  }
}

/** Runs the router the flags describe; `parseRouterArgs` swaps it for a capture. */
type RouterAction = (flags: RouterFlags, command: Command) => Promise<void>;

export function routerCommand(action: RouterAction = runRouter): Command {
  const command = new Command('router')
    .description('consistent-hash router in front of runtime pods')
    .addOption(new Option('--port <port>', 'port to listen on').default('8080'))
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--log-level <level>', 'debug, info, warn, error or silent', 'info')
    .option(
      '--backend <url>',
      'runtime pod base URL, e.g. http://10.0.0.5:8080 (repeatable)',
      collect,
    )
    .option(
      '--kubernetes-service <name>',
      'instead of --backend: the ready endpoints of this Service, from its EndpointSlices',
    )
    .option(
      '--backend-port <port>',
      "runtime port when a slice has no port named 'http' (default: 8080)",
    )
    .addOption(
      new Option('--namespace <namespace>', "the Service's namespace (default: kubeconfig's)").env(
        'POD_NAMESPACE',
      ),
    )
    .option(
      '--kubeconfig <path>',
      'credentials for --kubernetes-service (default: KUBECONFIG, then in-cluster)',
    )
    .option(
      '--cluster <name>',
      'with --kubernetes-service: follow the Faaslets of this GlassCluster, so each call goes to the owner of the namespace it touches',
    );
  addAdminTokenOptions(command);
  // Not async: a flag error must throw while commander parses (parseRouterArgs relies on it).
  return addRouterSettingOptions(command).action((opts: Record<string, unknown>) => {
    const flags = parseFlags(command, () => parseConfig(RouterFlags, settingsInput(opts)));
    return action(flags, command);
  });
}

/**
 * The flags `glass router ARGS` would run with, or a thrown CommanderError naming the bad
 * ones; nothing starts. The operator's tests check the arguments it gives router pods here.
 */
export function parseRouterArgs(args: readonly string[]): RouterFlags {
  let parsed: RouterFlags | undefined;
  const command = routerCommand((flags) => {
    parsed = flags;
    return Promise.resolve();
  })
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  command.parse([...args], { from: 'user' });
  if (parsed === undefined) throw new Error(`glass router ${args.join(' ')} ran no action`);
  return parsed;
}

/** With --cluster: the catalog follows that GlassCluster's Faaslets (ADR 0101). */
async function watchFaaslets(
  flags: RouterFlags,
  catalog: FaasletCatalog,
  log: Logger,
): Promise<{ stop(): Promise<void> } | undefined> {
  if (flags.cluster === undefined) return undefined;
  // Loaded only here: `glass up` shares this file and never needs the Kubernetes client.
  const { loadKubeTarget } = await import('../kubernetes/kube-config.js');
  const { FaasletWatch } = await import('../router/faaslet-watch.js');
  const { config, namespace } = loadKubeTarget(flags);
  const watch = new FaasletWatch(config, { namespace, cluster: flags.cluster }, catalog, log);
  await watch.start();
  return watch;
}

async function runRouter(flags: RouterFlags, command: Command): Promise<void> {
  const log = createLogger(flags.logLevel, 'glass-router');
  const membership = await openMembership(flags, log).catch((err: unknown) =>
    command.error((err as Error).message),
  );
  const settings: RouterSettings = flags;
  const catalog = new FaasletCatalog();
  const faaslets = await watchFaaslets(flags, catalog, log).catch((err: unknown) =>
    command.error((err as Error).message),
  );
  const router = await startRouter(settings, membership, { log, catalog });
  log.info(
    { listen: router.url, members: membership.describe?.() ?? { backends: flags.backend } },
    'router listening',
  );
  const stop = (signal: string): void => {
    log.info({ signal }, 'router stopping');
    Promise.all([router.close(), membership.close(), faaslets?.stop()]).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'router did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
