#!/usr/bin/env node
import { Command } from 'commander';
import { registerServeCommand } from './cli/serve-command.js';
import { registerTokenCommand } from './cli/token-command.js';

const program = new Command('parley').description(
  'Parley: self-hosted real-time messaging (Agora RTM 1.x and Signaling compatible)',
);
program.showHelpAfterError();
// Usage errors exit with 2, like most CLIs.
program.exitOverride((err) => {
  if (
    err.code === 'commander.helpDisplayed' ||
    err.code === 'commander.version' ||
    err.code === 'commander.help'
  )
    process.exit(0);
  process.exit(2);
});
registerServeCommand(program);
registerTokenCommand(program);
program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`parley: ${e.message}\n`);
  process.exit(1);
});
