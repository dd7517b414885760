import { UserFacingError } from '../errors';
import { fmix32, hashId } from './id-bytes';

/**
 * The hold-out control group: a fixed share of an audience that is not targeted, so the campaign's
 * effect can be measured against it.
 *
 * The side a user falls on is a pure function of (user ID, audience key): no randomness, so a
 * re-delivered job, a re-run, and next week's job for the same query keep every user on the same side.
 * The audience key is the query part of the audience name, without the job name, on purpose: a user
 * held out of "genres-action" stays held out in every job that builds "genres-action".
 */

/** Buckets per 100 %: percentages with up to two decimals are exact. */
const BUCKETS = 10_000;

/** A compiled hold-out rule for one audience. */
export interface HoldoutRule {
  /** Seed derived from the audience key. */
  readonly seed: number;
  /** Users whose bucket is below this are held out. */
  readonly threshold: number;
}

/** Validates a hold-out percentage (0 ≤ p < 100, at most two decimals) and returns its threshold. */
export function holdoutThreshold(percent: number): number {
  if (!Number.isFinite(percent) || percent < 0 || percent >= 100) {
    throw new UserFacingError(`hold-out percentage ${percent} must be at least 0 and below 100`);
  }
  return Math.round(percent * (BUCKETS / 100));
}

/** The hold-out rule for an audience key and percentage. */
export function holdoutRule(audienceKey: string, percent: number): HoldoutRule {
  const [h1, h2] = hashId(audienceKey);
  return { seed: fmix32(h1 ^ Math.imul(h2, 0x9e3779b1)), threshold: holdoutThreshold(percent) };
}

/**
 * The bucket (0 … 9,999) of a user, from the hash of its ID. h2 is already a finalized (fmix32) hash
 * of the ID; mixing it again with the audience seed makes the buckets of different audiences independent.
 */
export function holdoutBucket(h2: number, seed: number): number {
  return (fmix32(h2 ^ seed) >>> 0) % BUCKETS;
}

/** True when the user (by ID hash) belongs to the hold-out group. */
export function isHeldOutHash(h2: number, rule: HoldoutRule): boolean {
  return rule.threshold > 0 && holdoutBucket(h2, rule.seed) < rule.threshold;
}

/** True when the user belongs to the hold-out group of the audience; for callers with string IDs. */
export function isHeldOut(userId: string, audienceKey: string, percent: number): boolean {
  const [, h2] = hashId(userId);
  return isHeldOutHash(h2, holdoutRule(audienceKey, percent));
}
