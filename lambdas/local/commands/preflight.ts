import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { UserFacingError } from '../../core/errors';
import { DEFAULT_MAX_BAD_SHARE } from '../../core/ingest/ingest-file';
import {
  preflightTraining,
  type PreflightProblem,
  type PreflightResult,
} from '../../core/training/preflight';
import { parseTrainingConfig, TrainingConfigError } from '../../core/training/training-config';
import { formatTable, n } from '../table';
import type { Console } from './ingest';
import type { RegisterCommand } from './index';

/**
 * `cdp preflight <folder>`: checks a folder holding training.json and the Personalize CSVs the way
 * the training workflow does before it spends money. Prints every problem with its file, line and
 * reason. Exit status 0 when training can start, 1 when it cannot.
 */

export interface PreflightRun {
  readonly status: 0 | 1;
  /** Absent when training.json itself could not be read. */
  readonly result?: PreflightResult;
  readonly problems: readonly PreflightProblem[];
}

export const registerPreflight: RegisterCommand = (program) => {
  program
    .command('preflight')
    .description(
      'Check training.json and the Personalize CSVs of a folder before paying for training: headers, types, minimums, queries.',
    )
    .argument(
      '<folder>',
      'the folder with training.json, interactions.csv, items.csv and users.csv, e.g. data/sample/personalize',
    )
    .option(
      '--max-bad-share <percent>',
      'fail when a file has more bad rows than this share',
      percentOf,
      100 * DEFAULT_MAX_BAD_SHARE,
    )
    .action(async (folder: string, options: { maxBadShare: number }) => {
      const run = await preflightFolder(folder, { maxBadShare: options.maxBadShare / 100 }, console);
      process.exitCode = run.status;
    });
};

export async function preflightFolder(
  folder: string,
  options: { maxBadShare?: number },
  out: Console,
): Promise<PreflightRun> {
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) {
    throw new UserFacingError(`${folder}: no such folder`);
  }
  const configFile = path.join(folder, 'training.json');
  const text = await readFile(configFile, 'utf8').catch(() => {
    throw new UserFacingError(
      `${configFile}: missing; the folder needs a training.json (see data/sample/personalize)`,
    );
  });
  let parsed;
  try {
    parsed = parseTrainingConfig(text, 'training.json');
  } catch (error) {
    if (!(error instanceof TrainingConfigError)) throw error;
    const problems = error.issues.map((issue): PreflightProblem => ({
      file: 'training.json',
      where: issue.path || '(top level)',
      reason: issue.message,
      severity: 'error',
    }));
    print(problems, out);
    out.error(`training cannot start: ${problems.length} problem(s) in training.json`);
    return { status: 1, problems };
  }
  for (const part of parsed.ignored) out.log(`training.json: ${part} is ignored (retired solution layout)`);
  const result = await preflightTraining(new LocalObjectStore({ root: folder }), parsed.config, {
    ...(options.maxBadShare === undefined ? {} : { maxBadShare: options.maxBadShare }),
  });
  for (const line of formatTable(
    ['file', 'rows', 'good', 'bad'],
    result.counts.files.map((f) => [f.file, n(f.rows), n(f.good), n(f.bad)]),
    new Set([1, 2, 3]),
  )) {
    out.log(line);
  }
  out.log(
    `${n(result.counts.interactions)} interactions, ${n(result.counts.users)} users (${n(result.counts.usersWithTwoInteractions)} with 2 or more), ${n(result.counts.items)} items`,
  );
  print(result.problems, out);
  const errors = result.problems.filter((p) => p.severity === 'error').length;
  const warnings = result.problems.length - errors;
  if (result.ok) {
    out.log(
      `training can start${warnings > 0 ? `; ${warnings} bad row problem(s) will be left out of the import` : ''}`,
    );
  } else {
    out.error(`training cannot start: ${errors} problem(s)`);
  }
  return { status: result.ok ? 0 : 1, result, problems: result.problems };
}

/** `interactions.csv line 812, TIMESTAMP: looks like epoch milliseconds; …` */
export function formatProblem(problem: PreflightProblem): string {
  const place = [problem.line ? `line ${problem.line}` : '', problem.where ?? ''].filter(Boolean).join(', ');
  const label = problem.severity === 'warning' ? 'warning: ' : '';
  return `${label}${problem.file}${place ? ` ${place}` : ''}: ${problem.reason}`;
}

function print(problems: readonly PreflightProblem[], out: Console): void {
  for (const problem of problems) out.error(formatProblem(problem));
}

function percentOf(value: string): number {
  const percent = Number(value);
  if (value.trim() === '' || !(percent >= 0 && percent <= 100))
    throw new InvalidArgumentError('expected a percentage from 0 to 100');
  return percent;
}
