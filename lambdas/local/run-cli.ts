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
    process.exit(exitCodeFor(error));
  }
}

/** The exit code `runCli` gives a command: what it set in `process.exitCode`, or its error's. */
export async function exitCodeOf(main: () => Promise<void>): Promise<number> {
  try {
    await main();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode;
  if (error instanceof UserFacingError) {
    console.error(`error: ${error.message}`);
    return 1;
  }
  throw error;
}
