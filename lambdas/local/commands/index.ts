import type { Command } from 'commander';
import { registerActivate } from './activate';
import { registerIngest } from './ingest';
import { registerPushScores } from './push-scores';
import { registerReplay } from './replay';
import { registerSegment } from './segment';
import { registerSegmentSink } from './segment-sink';
import { registerToPinpoint } from './to-pinpoint';

/** A CLI sub-command: adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every sub-command of `cdp`, in help order. */
export const commands: RegisterCommand[] = [
  registerIngest,
  registerToPinpoint,
  registerActivate,
  registerPushScores,
  registerReplay,
  registerSegmentSink,
  registerSegment,
];
