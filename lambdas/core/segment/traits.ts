import { hash } from 'node:crypto';
import { z } from 'zod';
import type { IdentifyEvent, PropensityModel } from './types';

/** The Segment trait names a model's score is written to. */
export interface ModelTraitNames {
  readonly score: string;
  readonly decile: string;
}

/** Every trait name we write, configurable so a workspace with its own naming scheme can keep it. */
export interface TraitNames {
  readonly churn: ModelTraitNames;
  readonly repurchase: ModelTraitNames;
  readonly scoredAt: string;
}

export const DEFAULT_TRAIT_NAMES: TraitNames = {
  churn: { score: 'churn_propensity', decile: 'churn_propensity_decile' },
  repurchase: { score: 'repurchase_propensity', decile: 'repurchase_propensity_decile' },
  scoredAt: 'propensity_scored_at',
};

const traitName = z.string().min(1).max(200);
const modelTraitNames = z.object({ score: traitName, decile: traitName });

/** Validates trait names given as configuration (e.g. JSON in an environment variable). */
export const traitNamesSchema: z.ZodType<TraitNames> = z.object({
  churn: modelTraitNames,
  repurchase: modelTraitNames,
  scoredAt: traitName,
});

/**
 * The score's decile band, 1 (lowest propensity) to 10 (highest): ceil(score × 10), so
 * 0.00–0.10 is 1, 0.10–0.20 is 2, …, 0.90–1.00 is 10 (0 itself is 1).
 *
 * These are bands of the score, not rank deciles of the population: a rank decile needs the
 * whole distribution (a sort or a second pass over millions of rows), while a band is computed
 * row by row while streaming, and means the same thing from one run to the next.
 */
export function decileOf(score: number): number {
  return Math.min(10, Math.max(1, Math.ceil(score * 10)));
}

/**
 * hash(userId, model, run, traits sent) shaped as a UUID (version 8, "custom"). The same event
 * always gets the same messageId, so a batch re-sent after a timeout or a replay is de-duplicated
 * by Segment instead of counted twice. The traits are part of it because Segment drops any event
 * whose messageId it saw in the last 24 hours: a corrected score re-sent under the same run must
 * get a new messageId, or the correction would be silently dropped.
 */
export function messageIdFor(
  userId: string,
  model: PropensityModel,
  run: string,
  traits: Readonly<Record<string, unknown>>,
): string {
  // Sorted, so the order traits were assembled in does not matter.
  const sent = Object.entries(traits).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // JSON keeps the parts unambiguous: ("a,b","c") and ("a","b,c") hash differently.
  const hex = hash('sha256', JSON.stringify([userId, model, run, sent]), 'hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What one scored row becomes in Segment. */
export interface IdentifyInput {
  readonly customerId: string;
  readonly score: number;
  readonly model: PropensityModel;
  readonly run: string;
  /** ISO 8601 time of scoring: the trait value and the event timestamp. */
  readonly scoredAt: string;
  readonly traitNames?: TraitNames;
}

/**
 * One `identify` per model row, carrying only that model's traits: Segment merges traits on the
 * profile, so the churn and repurchase files never have to be joined (a join of two unsorted
 * files of millions of customers needs either memory for one of them or a sort).
 */
export function buildIdentify(input: IdentifyInput): IdentifyEvent {
  const names = input.traitNames ?? DEFAULT_TRAIT_NAMES;
  const model = names[input.model];
  const traits = {
    [model.score]: input.score,
    [model.decile]: decileOf(input.score),
    [names.scoredAt]: input.scoredAt,
  };
  return {
    type: 'identify',
    userId: input.customerId,
    messageId: messageIdFor(input.customerId, input.model, input.run, traits),
    timestamp: input.scoredAt,
    traits,
  };
}
