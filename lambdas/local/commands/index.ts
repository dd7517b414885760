import type { Command } from 'commander';

/** A CLI sub-command: adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every sub-command of `cdp`, in help order. */
export const commands: RegisterCommand[] = [];
