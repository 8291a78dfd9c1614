#!/usr/bin/env node
// The `glass` executable: one binary, one subcommand per process role.
import { Command } from 'commander';
import { registerCommands } from './commands.js';

const program = new Command('glass')
  .description('Glass: WebAssembly Faaslets with state close to the code')
  .showHelpAfterError();
registerCommands(program);
await program.parseAsync(process.argv);
