import type { Cutoff } from './features-sql';

/**
 * Rolling cutoffs: a model for "what happens in the next H days" learns from cutoffs whose next H
 * days are already in the data, so the latest training cutoff is the as-of date minus H. Several
 * cutoffs, `stepDays` apart, give more examples of the same customers at different moments.
 */

const DAY_MS = 86_400_000;

export interface RollingCutoffOptions {
  readonly asOf: Date;
  /** The label window, days. */
  readonly horizonDays: number;
  readonly count: number;
  readonly stepDays: number;
}

/** Training cutoffs, latest first: asOf - H, asOf - H - step, … */
export function trainingCutoffs(options: RollingCutoffOptions): Date[] {
  const latest = options.asOf.getTime() - options.horizonDays * DAY_MS;
  return Array.from({ length: options.count }, (_, k) => new Date(latest - k * options.stepDays * DAY_MS));
}

export interface ScoringCutoffs {
  /** Index 0 is the as-of date (every customer); then the training cutoffs, latest first. */
  readonly cutoffs: Cutoff[];
  /** Indices into `cutoffs` of each model's training cutoffs, latest first. */
  readonly churn: number[];
  readonly repurchase: number[];
}

/**
 * The cutoffs of one scoring run, for one query: the as-of date and both models' training
 * cutoffs (shared where they coincide).
 */
export function scoringCutoffs(
  asOf: Date,
  windows: { readonly churnDays: number; readonly repurchaseDays: number },
  count: number,
  stepDays: number,
): ScoringCutoffs {
  const churnAt = trainingCutoffs({ asOf, horizonDays: windows.churnDays, count, stepDays });
  const repurchaseAt = trainingCutoffs({ asOf, horizonDays: windows.repurchaseDays, count, stepDays });
  const instants = [...new Set([...churnAt, ...repurchaseAt].map((d) => d.getTime()))].sort((a, b) => b - a);
  const indexOf = (d: Date) => 1 + instants.indexOf(d.getTime());
  return {
    cutoffs: [{ at: asOf, everyone: true }, ...instants.map((t) => ({ at: new Date(t), everyone: false }))],
    churn: churnAt.map(indexOf),
    repurchase: repurchaseAt.map(indexOf),
  };
}
