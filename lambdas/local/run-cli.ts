import { CommanderError } from 'commander';
import { UserFacingError } from '../core/errors';

/**
 * Runs a command-line entry: a UserFacingError becomes one `error: …` line and exit code 1,
 * commander's own exits keep their code, and anything else is a bug and keeps its stack trace.
 */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof UserFacingError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
