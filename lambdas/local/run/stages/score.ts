import { EVENTS } from '../../../core/events/catalog';
import { runScoring, type ScoreRunResult } from '../../propensity/score-run';
import type { RunContext, StageReport } from '../run-context';

/**
 * Stage 5: propensity, as `cdp score` runs it on the trusted zone the ingest stage wrote: features
 * on DuckDB, the churn and repurchase models trained locally, `scores/<run>/`, and the win-back
 * audience (top churn risk among past buyers, minus its hold-out) under `audiences/propensity-<run>/`.
 * Records `Propensity Scores Ready` and the win-back audience's `Audiences Imported`.
 */
export async function scoreStage(
  context: RunContext,
  options: { readonly holdoutPercent: number },
): Promise<StageReport> {
  const result = await runScoring({
    zoneDir: context.dir,
    run: context.run,
    holdoutPercent: options.holdoutPercent,
  });
  const scoresKey = (model: 'churn' | 'repurchase') => `scores/${result.run}/${model}.csv`;
  context.publish(EVENTS.propensityScoresReady, {
    run: result.run,
    scoredAt: context.now().toISOString(),
    scores: (['churn', 'repurchase'] as const).map((model) => ({
      model,
      location: context.location(scoresKey(model)),
    })),
  });
  const winback = result.winback;
  const audiences = winback.audiences.map((a) => ({
    name: a.name,
    query: a.query,
    size: a.size,
    holdoutSize: a.holdoutSize,
    unresolvedUsers: a.unresolvedUsers,
  }));
  context.publish(EVENTS.audiencesImported, {
    jobName: `propensity-${result.run}`,
    destination: 's3',
    manifest: context.location(`audiences/propensity-${result.run}/${winback.manifestKey}`),
    audiences,
    totalUsers: audiences.reduce((sum, a) => sum + a.size, 0),
    totalHoldout: audiences.reduce((sum, a) => sum + a.holdoutSize, 0),
  });
  context.facts.set('scores', result);
  const auc = result.reports
    .map((r) => `${r.model} AUC ${Number.isNaN(r.auc) ? 'n/a' : r.auc.toFixed(3)}`)
    .join(', ');
  const targeted = audiences.reduce((sum, a) => sum + a.size, 0);
  return {
    summary: `${result.customersScored.toLocaleString('en-US')} customers scored (${auc}); win-back ${targeted.toLocaleString('en-US')} targeted`,
    counts: { customers: result.customersScored, winback: targeted },
  };
}

export type { ScoreRunResult };
