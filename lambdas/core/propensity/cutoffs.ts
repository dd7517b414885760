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
