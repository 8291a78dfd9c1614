// `glass up` (what `npm start` runs): a local Glass cluster in one command.
import { Command } from 'commander';
import { createLogger } from '../logger.js';
import { UpFlags } from '../local/config.js';
import { createLocalCluster, printTryLines, type LocalCluster } from '../local/up.js';
import { parseConfig } from '../router/config.js';
import { addRouterSettingOptions, parseFlags, settingsInput } from './router-command.js';

export function upCommand(): Command {
  const command = new Command('up')
    .description('run a local cluster: N runtime processes and a router on localhost')
    .option('--port <port>', 'router port', '8080')
    .option('--host <host>', 'loopback address for the router and the runtimes', '127.0.0.1')
    .option('--runtimes <n>', 'runtime processes', '3')
    .option('--faaslets <path...>', 'Faaslet YAML files or folders (default: crds/samples/*.yaml)')
    .option('--redis <url>', 'Redis URL for the global state tier (default: local tier only)')
    .option('--workers <n>', 'guest worker threads per runtime')
    .option('--runtime-log-level <level>', 'log level of the runtimes', 'warn')
    .option('--log-level <level>', 'log level of the router', 'warn');
  return addRouterSettingOptions(command).action(async (opts: Record<string, unknown>) => {
    await runUp(parseFlags(command, () => parseConfig(UpFlags, settingsInput(opts))));
  });
}

async function runUp(flags: UpFlags): Promise<void> {
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let up: LocalCluster | undefined;
  // An object, so the signal handler's change is visible to the code awaiting below.
  const state = { stopping: false };
  const stop = (signal: NodeJS.Signals): void => {
    if (state.stopping) {
      // A second Ctrl-C: no more patience.
      up?.supervisor.killNow();
      process.exit(130);
    }
    state.stopping = true;
    say(`glass up: ${signal}, stopping`);
    const done = up ? up.stop() : Promise.resolve();
    done.then(
      () => process.exit(0),
      (err: unknown) => {
        say(`glass up: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('exit', () => up?.supervisor.killNow());
  try {
    up = await createLocalCluster(flags, {
      say,
      childOutput: (label, line, stream) => {
        (stream === 'stdout' ? process.stdout : process.stderr).write(`${label} | ${line}\n`);
      },
      log: createLogger(flags.logLevel, 'glass-router'),
      cwd: process.cwd(),
    });
    say(
      `glass up: router ${up.router.url}, ${flags.runtimes} runtimes, Faaslets from ${up.faaslets.join(' ')}`,
    );
    await up.start();
  } catch (err) {
    if (state.stopping) return;
    process.stderr.write(`glass up: ${(err as Error).message}\n`);
    await up?.stop();
    process.exit(1);
  }
  if (!state.stopping) await printTryLines(up, say);
}
