import type { Command } from 'commander';
import { registerActivate } from './activate';
import { registerIngest } from './ingest';
import { registerPreflight } from './preflight';
import { registerPrivacy } from './privacy';
import { registerPushScores } from './push-scores';
import { registerRelay } from './relay';
import { registerReplay } from './replay';
import { registerRun } from './run';
import { registerScore } from './score';
import { registerSegment } from './segment';
import { registerSegmentSink } from './segment-sink';
import { registerToPinpoint } from './to-pinpoint';
import { registerTrain } from './train';

/** A CLI sub-command: adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every sub-command of `cdp`, in help order. */
export const commands: RegisterCommand[] = [
  registerRun,
  registerIngest,
  registerPreflight,
  registerToPinpoint,
  registerActivate,
  registerPushScores,
  registerReplay,
  registerSegmentSink,
  registerSegment,
  registerScore,
  registerRelay,
  registerTrain,
  registerPrivacy,
];
