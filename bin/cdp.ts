#!/usr/bin/env -S npx tsx
/**
 * The offline CLI: runs the same core as the Lambdas, on local files.
 * Each sub-command lives in lambdas/local/commands/<name>.ts and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { UserFacingError } from '../lambdas/core/errors';
import { commands } from '../lambdas/local/commands/index';

const program = new Command()
  .name('cdp')
  .description('cdp-audiences offline tools: the cloud pipeline, run on your own files.')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof UserFacingError) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
