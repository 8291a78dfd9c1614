import type { Command } from 'commander';
import { RuntimeConfig } from '../config/runtime-config.js';
import { createLogger } from '../logger.js';
import { serveRuntime } from '../runtime/serve.js';
import { describeZodError } from '@glass/crds';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerRuntimeCommand(program: Command): void {
  program
    .command('runtime')
    .description('run a runtime pod: the Faaslets in the given YAML files and folders, over HTTP')
    .requiredOption('--port <port>', 'HTTP port (0 picks a free one)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--faaslets <path...>',
      'YAML files or folders (read recursively) with Faaslets and ConfigMaps',
      [],
    )
    .option('--faaslet <path>', 'one more YAML file or folder (repeatable)', collect, [])
    .option('--pod-name <name>', 'name sent in X-Glass-Pod (default host:port)')
    .option('--workers <n>', 'guest worker threads', '2')
    .option('--max-body-bytes <n>', 'largest request body', String(1024 * 1024))
    .option('--log-level <level>', 'debug, info, warn, error or silent', 'info')
    .action(async (flags: Record<string, unknown>) => {
      const parsed = RuntimeConfig.safeParse({
        ...flags,
        faaslets: [...(flags.faaslets as string[]), ...(flags.faaslet as string[])],
      });
      if (!parsed.success) {
        program.error(`glass runtime: ${describeZodError(parsed.error)}`);
      }
      const config = Object.freeze(parsed.data);
      const log = createLogger(config.logLevel, 'glass-runtime');
      const running = await serveRuntime(config, log);
      const stop = (): void => {
        log.info('draining');
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
