import type { Command } from 'commander';
import { registerDemoCommand } from './demo-command.js';
import { registerDeployCommand } from './deploy-command.js';
import { registerRuntimeCommand } from './runtime-command.js';
import { routerCommand } from './router-command.js';
import { upCommand } from './up-command.js';

/** Each subcommand lives in its own file; this list is the only place that names them all. */
export function registerCommands(program: Command): void {
  registerRuntimeCommand(program);
  registerDemoCommand(program);
  program.addCommand(routerCommand());
  program.addCommand(upCommand());
  registerDeployCommand(program);
}
