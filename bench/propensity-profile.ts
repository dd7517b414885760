/**
 * Where the time of the churn model goes, on an ingested zone (as `npm run bench:propensity -- --zone <dir>` leaves it):
 *
 *   npx tsx bench/propensity-profile.ts <zone>
 *
 * CPU seconds of the features query (read into typed arrays), the training and the scoring.
 */
import { scoringCutoffs } from '../lambdas/core/propensity/cutoffs';
import { DuckDbFeatures } from '../lambdas/local/propensity/duckdb-features';
import { trainPropensityModel } from '../lambdas/local/propensity/train-model';
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const plan = scoringCutoffs(new Date('2025-10-03T00:00:00Z'), { churnDays: 90, repurchaseDays: 30 }, 4, 30);
const e = await DuckDbFeatures.open(process.argv[2]!);
let c = cpu();
const table = await e.featureTable({ cutoffs: plan.cutoffs, churnDays: 90, repurchaseDays: 30 });
console.log('features CPU', (cpu() - c).toFixed(2), table.rows);
c = cpu();
const m = trainPropensityModel(
  table,
  { name: 'churn', cutoffIndices: plan.churn, label: (t, r) => (t.purchasesInChurnWindow[r] === 0 ? 1 : 0) },
  { gbt: process.argv[3] ? JSON.parse(process.argv[3]) : undefined },
);
console.log(
  'train CPU',
  (cpu() - c).toFixed(2),
  m.report.auc.toFixed(4),
  m.report.rounds,
  m.report.trainingExamples,
);
c = cpu();
const rows = Array.from({ length: table.rows }, (_, i) => i).filter((r) => table.cutoffIndex[r] === 0);
m.score(rows);
console.log('score CPU', (cpu() - c).toFixed(2), rows.length);
e.close();
