import type { AudienceSink } from '../activation/audience-sink';
import { buildAudiences } from '../activation/build-audiences';
import type { ActivationManifest } from '../activation/manifest';
import { UserFacingError } from '../errors';

/**
 * The win-back audience: the customers most at risk of churning among those who have bought
 * before, minus a hold-out control group.
 *
 * It goes through the activation code unchanged: the ranked customers become one line of a batch
 * segment output (`{"input": {"itemAttributes": …}, "output": {"usersList": […]}}`), which
 * `buildAudiences` turns into the same import CSV, hold-out CSV and manifest.json as a Personalize
 * audience, with the same deterministic hold-out (a hash of customer and audience key), so a
 * customer held out this week stays held out next week.
 */

export interface WinbackCandidate {
  readonly customerId: string;
  readonly churnScore: number;
  /** Bought at least once (web order or store sale) by the as-of date. */
  readonly purchasedBefore: boolean;
}

export interface WinbackOptions {
  /** Share of the eligible customers taken, highest churn risk first (default 20). */
  readonly topPercent?: number;
  /** Share of the audience kept out as a control group (activation's hold-out). */
  readonly holdoutPercent: number;
  /** The activation job name: the scoring run, e.g. `propensity-2026-01-05`. */
  readonly jobName: string;
}

export const DEFAULT_WINBACK_TOP_PERCENT = 20;

/** The query text that names the audience (its audience key, and so its hold-out). */
export function winbackQuery(topPercent: number): string {
  return `PROPENSITY.churn_risk = "top ${topPercent}%"`;
}

/**
 * The selected customers, highest churn score first; ties by customer ID, so the same scores give
 * the same audience. A customer listed twice is taken once.
 */
export function selectWinback(candidates: Iterable<WinbackCandidate>, topPercent: number): string[] {
  if (!(topPercent > 0 && topPercent <= 100)) {
    throw new UserFacingError(`the win-back share ${topPercent}% must be above 0 and at most 100`);
  }
  const eligible = new Map<string, number>();
  for (const c of candidates) {
    if (!c.purchasedBefore || !Number.isFinite(c.churnScore) || eligible.has(c.customerId)) continue;
    eligible.set(c.customerId, c.churnScore);
  }
  const ranked = [...eligible].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return ranked.slice(0, Math.ceil((ranked.length * topPercent) / 100)).map(([id]) => id);
}

/**
 * The selected customers as one batch segment output line (newline-terminated). The cloud workflow
 * writes it as a `.out` file for the activation workflow, which builds it exactly as offline.
 */
export function winbackSegmentLine(candidates: Iterable<WinbackCandidate>, topPercent: number): string {
  const customers = selectWinback(candidates, topPercent);
  const line = JSON.stringify({
    input: { itemAttributes: winbackQuery(topPercent) },
    output: { usersList: customers },
    error: null,
  });
  return `${line}\n`;
}

/** Selects the audience and writes its files and manifest through the sink. */
export async function buildWinbackAudience(
  candidates: Iterable<WinbackCandidate>,
  sink: AudienceSink,
  options: WinbackOptions,
): Promise<ActivationManifest> {
  const line = winbackSegmentLine(candidates, options.topPercent ?? DEFAULT_WINBACK_TOP_PERCENT);
  return buildAudiences([line], sink, {
    jobName: options.jobName,
    source: `churn scores of ${options.jobName}`,
    holdoutPercent: options.holdoutPercent,
  });
}
