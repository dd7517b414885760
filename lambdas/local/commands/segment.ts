import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UserFacingError } from '../../core/errors';
import { runSegmentJob } from '../segmentation/segment-job';
import { n } from '../table';
import type { Console } from './to-pinpoint';
import type { RegisterCommand } from './index';

/**
 * `cdp segment`: the batch segment job of Personalize's USER_SEGMENTATION recipes, answered by the
 * local model on Personalize-format datasets. Writes `<out>/<queries file name>.out`, which
 * `cdp to-pinpoint` and the activation workflow read.
 */

export interface SegmentOptions {
  readonly queries: string;
  readonly out: string;
  readonly numResults: number;
}

export const registerSegment: RegisterCommand = (program) => {
  program
    .command('segment')
    .description(
      'Answer a batch segment job input (item-attribute or item affinity queries) with the local segmentation model.',
    )
    .argument('<folder>', 'folder with interactions.csv and items.csv in Personalize format')
    .requiredOption(
      '--queries <file>',
      'the batch segment job input: JSON lines of {"itemAttributes": …} or {"itemId": …}',
    )
    .requiredOption('--out <dir>', 'folder for <queries file name>.out')
    .option('--num-results <n>', 'users per query, best first', positiveInteger, 1000)
    .action(async (folder: string, options: SegmentOptions) => {
      process.exitCode = await segment(folder, options, console);
    });
};

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < 1)
    throw new InvalidArgumentError('expected a whole number of 1 or more');
  return number;
}

/** Runs the command and returns its exit status (errors are thrown as UserFacingError). */
export async function segment(folder: string, options: SegmentOptions, out: Console): Promise<number> {
  const interactionsFile = path.join(folder, 'interactions.csv');
  const itemsFile = path.join(folder, 'items.csv');
  if (!(await isFile(interactionsFile))) throw new UserFacingError(`${interactionsFile}: no such file`);
  if (!(await isFile(options.queries))) throw new UserFacingError(`${options.queries}: no such file`);
  const text = await readFile(options.queries, 'utf8');
  const hasItems = await isFile(itemsFile);
  if (!hasItems && text.includes('"itemAttributes"'))
    throw new UserFacingError(
      `${itemsFile}: no such file, and itemAttributes queries need the item attributes`,
    );
  const result = await runSegmentJob({
    interactions: {
      name: interactionsFile,
      bytes: createReadStream(interactionsFile, { highWaterMark: 1 << 20 }),
    },
    items: hasItems ? { name: itemsFile, bytes: createReadStream(itemsFile) } : undefined,
    queries: { name: options.queries, text },
    numResults: options.numResults,
    onStage: (stage, seconds) => out.error(`${stage.padEnd(5)} ${seconds.toFixed(1)} s`),
  });
  for (const query of result.queries)
    if (query.warning) out.error(`${options.queries} line ${query.line}: ${query.warning}`);
  const target = path.join(options.out, `${path.basename(options.queries)}.out`);
  await writeWhole(target, result.lines.map((line) => `${line}\n`).join(''));
  out.log(
    `${n(result.queries.length)} segment(s) of up to ${n(options.numResults)} users from ${n(result.interactions)} interactions ` +
      `(${n(result.users)} users, ${n(result.items)} items): ${target}`,
  );
  return 0;
}

/** Written aside and renamed, so a failed run never leaves an `.out` that looks whole. */
async function writeWhole(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = path.join(path.dirname(file), `.cdp-partial-${path.basename(file)}`);
  try {
    await writeFile(partial, content);
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
