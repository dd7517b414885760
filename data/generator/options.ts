/** The generator's command-line options, checked into a typed options object. */
import { UserFacingError } from '../../lambdas/core/errors';
import type { GenerateOptions } from './write-world';

export const DEFAULTS = { seed: 42, users: 2_000, interactions: 50_000 } as const;

/** Sizes beyond these would take hours and fill a disk; the bounds catch a stray extra zero. */
const MAX_USERS = 10_000_000;
const MAX_INTERACTIONS = 1_000_000_000;

/** The options as commander hands them over: strings, or undefined when not given. */
export interface RawGenerateOptions {
  readonly seed?: string;
  readonly users?: string;
  readonly interactions?: string;
  readonly out?: string;
}

/** A whole number from the command line; `1_000_000` is accepted for readability. */
function wholeNumber(
  flag: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const text = raw.trim().replaceAll('_', '');
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UserFacingError(
      `${flag} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')} (got '${raw}')`,
    );
  }
  return value;
}

export function parseGenerateOptions(raw: RawGenerateOptions, defaultOutDir: string): GenerateOptions {
  const outDir = raw.out ?? defaultOutDir;
  if (outDir.trim() === '')
    throw new UserFacingError(`--out must name a folder, e.g. --out tmp/big-sample (got '')`);
  return {
    seed: wholeNumber('--seed', raw.seed, DEFAULTS.seed, 0, 0xffff_ffff),
    users: wholeNumber('--users', raw.users, DEFAULTS.users, 1, MAX_USERS),
    interactions: wholeNumber('--interactions', raw.interactions, DEFAULTS.interactions, 0, MAX_INTERACTIONS),
    outDir,
  };
}
