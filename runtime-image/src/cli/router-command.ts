// `glass router`: the consistent-hash router in front of a static list of runtime pods.
import { Command, Option } from 'commander';
import { createLogger } from '../logger.js';
import { parseConfig, RouterFlags, type RouterSettings } from '../router/config.js';
import { StaticMembership } from '../router/static-membership.js';
import { startRouter } from '../router/router.js';

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
    .option('--max-attempts <n>', 'pods tried per request at most', '3');
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

export function routerCommand(): Command {
  const command = new Command('router')
    .description('consistent-hash router in front of runtime pods')
    .addOption(new Option('--port <port>', 'port to listen on').default('8080'))
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--log-level <level>', 'debug, info, warn, error or silent', 'info')
    .option(
      '--backend <url>',
      'runtime pod base URL, e.g. http://10.0.0.5:8080 (repeatable)',
      collect,
    );
  return addRouterSettingOptions(command).action(async (opts: Record<string, unknown>) => {
    await runRouter(parseFlags(command, () => parseConfig(RouterFlags, settingsInput(opts))));
  });
}

async function runRouter(flags: RouterFlags): Promise<void> {
  const log = createLogger(flags.logLevel, 'glass-router');
  const membership = new StaticMembership(flags.backend);
  const settings: RouterSettings = flags;
  const router = await startRouter(settings, membership, { log });
  log.info({ listen: router.url, backends: flags.backend }, 'router listening');
  const stop = (signal: string): void => {
    log.info({ signal }, 'router stopping');
    router.close().then(
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
