import type { Command } from 'commander';
import { RuntimeConfig } from '../config/runtime-config.js';
import { createLogger } from '../logger.js';
import { serveRuntime } from '../runtime/serve.js';
import { addRedisOptions, redisConfigInput } from './redis-flags.js';
import { describeZodError } from '@glass/crds';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerRuntimeCommand(program: Command): void {
  const command = program
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
    .option('--log-level <level>', 'debug, info, warn, error or silent', 'info');
  addRedisOptions(command).action(async (flags: Record<string, unknown>) => {
    let redisInput: Record<string, unknown>;
    try {
      redisInput = redisConfigInput(flags);
    } catch (error) {
      program.error(`glass runtime: ${(error as Error).message}`);
    }
    const parsed = RuntimeConfig.safeParse({
      ...flags,
      faaslets: [...(flags.faaslets as string[]), ...(flags.faaslet as string[])],
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
      void running.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
