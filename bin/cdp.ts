#!/usr/bin/env -S npx tsx
/**
 * The offline CLI: runs the same core as the Lambdas, on local files.
 * Each sub-command lives in lambdas/local/commands/<name>.ts and registers itself here.
 */
import { Command } from 'commander';
import { commands } from '../lambdas/local/commands/index';
import { runCli } from '../lambdas/local/run-cli';

const program = new Command()
  .name('cdp')
  .description('cdp-audiences offline tools: the cloud pipeline, run on your own files.')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

await runCli(async () => {
  await program.parseAsync(process.argv);
});
