/**
 * The propensity models against the truth the generator planted, two baselines and the ceiling.
 *
 *   npm run bench:propensity -- [--users 50000] [--seed 7] [--keep] [--world tmp/world-50k] [--timing-only]
 *
 * `--world <dir>` generates the world into that folder once and reuses it on later runs (a large
 * world takes minutes to generate); without it the world goes to a temporary folder. `--timing-only`
 * skips the evaluation (a second features query and the baselines), for size runs.
 *
 * The world is the sample generator's (data/generator), where every customer has a true churn and
 * repurchase probability. The pipeline is `cdp score`'s: ingestion, the features SQL on DuckDB,
 * the two models trained on rolling cutoffs, scored as of AS_OF = 90 days before the data ends, so
 * the 90-day churn window and the 30-day repurchase window after it are in the data. The held-out
 * customers are the ones the models never trained on (the validation profiles); their labels are
 * what they did after AS_OF. On them:
 * - the model's scores (churn.csv / repurchase.csv);
 * - the ceiling: the generator's true probabilities (churn_probability, repurchase_probability).
 *   They are the probabilities of the generator's own events (churning at some point of the year,
 *   each order being followed by another), not of the 90/30-day labels, so a model that sees
 *   behaviour can beat them: a customer who already churned before AS_OF is visibly quiet;
 * - recency alone (days since the last purchase; never = most at risk);
 * - logistic regression on RFM (recency, frequency and monetary value over 365 days, logs,
 *   standardised), trained with ml-logistic-regression on the same training customers and cutoffs.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { generateSampleData } from '../data/generator/write-world';
import { DEFAULT_MAX_BAD_SHARE } from '../lambdas/core/ingest/ingest-file';
import { scoringCutoffs } from '../lambdas/core/propensity/cutoffs';
import { FEATURE_NAMES } from '../lambdas/core/propensity/features-sql';
import type { FeatureTable } from '../lambdas/core/propensity/feature-table';
import { rocAuc } from '../lambdas/core/propensity/metrics';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store';
import { resolveTrustedIdentities } from '../lambdas/core/identity/identity-run';
import { ingestFolder } from '../lambdas/local/commands/ingest';
import { SCORED_DATASETS } from '../lambdas/local/commands/score';
import { DuckDbFeatures } from '../lambdas/local/propensity/duckdb-features';
import { runScoring } from '../lambdas/local/propensity/score-run';
import { isValidationProfile } from '../lambdas/local/propensity/train-model';
import { formatTable, n } from '../lambdas/local/table';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'boolean', default: false },
    world: { type: 'string' },
    'timing-only': { type: 'boolean', default: false },
    zone: { type: 'string' },
  },
});
const USERS = Number(args.users);
const SEED = Number(args.seed);
/** The generated data ends on 2026-01-01: 90 days before leaves the churn window observable. */
const AS_OF = new Date('2025-10-03T00:00:00Z');
const WINDOWS = { churnDays: 90, repurchaseDays: 30 };
const CUTOFF_COUNT = 4;
const CUTOFF_STEP_DAYS = 30;

const column = (table: FeatureTable, name: string) => table.features[FEATURE_NAMES.indexOf(name)]!;
const seconds = (from: number) => (performance.now() - from) / 1000;

type ModelName = 'churn' | 'repurchase';
const labelOf: Record<ModelName, (t: FeatureTable, r: number) => number> = {
  churn: (t, r) => (t.purchasesInChurnWindow[r] === 0 ? 1 : 0),
  repurchase: (t, r) => (t.purchasesInRepurchaseWindow[r]! > 0 ? 1 : 0),
};

/** log1p(recency, frequency, monetary), recency "never" as 1,000 days. */
function rfmRow(t: FeatureTable, r: number): number[] {
  const recency = column(t, 'recency_days')[r]!;
  return [
    Math.log1p(Number.isNaN(recency) ? 1_000 : recency),
    Math.log1p(column(t, 'frequency_365d')[r]!),
    Math.log1p(column(t, 'monetary_365d')[r]!),
  ];
}

/** Logistic regression on RFM with an intercept, standardised on the training rows. */
function rfmLogisticRegression(
  t: FeatureTable,
  train: number[],
  model: ModelName,
): (rows: number[]) => number[] {
  const raw = train.map((r) => rfmRow(t, r));
  const means = [0, 1, 2].map((j) => raw.reduce((s, x) => s + x[j]!, 0) / raw.length);
  const sds = [0, 1, 2].map(
    (j) => Math.sqrt(raw.reduce((s, x) => s + (x[j]! - means[j]!) ** 2, 0) / raw.length) || 1,
  );
  const design = (rows: number[][]) =>
    new Matrix(rows.map((x) => [1, ...x.map((v, j) => (v - means[j]!) / sds[j]!)]));
  const lr = new LogisticRegression({ numSteps: 300, learningRate: 1 / raw.length });
  lr.train(design(raw), Matrix.columnVector(train.map((r) => labelOf[model](t, r))));
  // One-vs-all: classifier 0 scores "not class 0", i.e. the probability of label 1.
  return (rows) => lr.classifiers[0]!.testScores(design(rows.map((r) => rfmRow(t, r))));
}

/** Wall-clock and CPU seconds per stage: on a shared machine the CPU time is the steadier figure. */
function printTimes(times: [string, number, number][]): void {
  console.log('\nTime per stage (CPU: user + system over all threads, DuckDB uses 2)');
  for (const line of formatTable(
    ['stage', 'wall s', 'CPU s'],
    times.map(([stage, s, c]) => [stage, s.toFixed(1), c.toFixed(1)]),
    new Set([1, 2]),
  ))
    console.log(line);
  const ours = times.filter(([s]) => s.startsWith('cdp score'));
  const total = ours.reduce((a, [, s]) => a + s, 0);
  const totalCpu = ours.reduce((a, [, , c]) => a + c, 0);
  console.log(
    `cdp score total: ${total.toFixed(1)} s wall, ${totalCpu.toFixed(1)} s CPU; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'bench-propensity-'));
  const world = args.world ?? path.join(root, 'world');
  // --zone keeps the ingested zone between runs (unchanged files are then skipped by ingestion).
  const out = args.zone ?? path.join(root, 'out');
  const times: [string, number, number][] = [];
  const cpu = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1e6;
  };
  let cpuStart = cpu();
  try {
    let start = performance.now();
    const summary = path.join(world, 'generated.json');
    if (!existsSync(summary)) {
      const generated = await generateSampleData({
        seed: SEED,
        users: USERS,
        interactions: 0,
        outDir: world,
      });
      const { writeFile } = await import('node:fs/promises');
      await writeFile(summary, JSON.stringify({ seed: SEED, users: USERS, files: generated.files }));
      times.push(['generate the world (not part of cdp score)', seconds(start), cpu() - cpuStart]);
    }
    const generated = JSON.parse(await readFile(summary, 'utf8')) as {
      users: number;
      files: { path: string; rows: number }[];
    };
    const rowsOf = (file: string) => generated.files.find((f) => f.path === file)?.rows ?? 0;
    console.log(
      `World: ${n(generated.users)} customers, ${n(rowsOf('crm/customers.csv'))} CRM rows, ${n(rowsOf('web/orders.csv') + rowsOf('store/sales.csv'))} purchases (web orders + store sales), ${n(rowsOf('web/events.csv'))} web events; as of ${AS_OF.toISOString().slice(0, 10)}`,
    );

    start = performance.now();
    cpuStart = cpu();
    // Ingestion's own messages (quarantined CRM rows the generator plants, the empty interactions file) are not the subject here.
    const quiet = { log: () => undefined, error: () => undefined };
    // cdp score's ingest, in its two parts: the files (validation, Parquet), then identity resolution.
    await ingestFolder(
      world,
      {
        out,
        maxBadShare: DEFAULT_MAX_BAD_SHARE,
        phoneRegion: 'US',
        identity: false,
        datasets: SCORED_DATASETS,
      },
      quiet,
    );
    times.push(['cdp score: ingest files', seconds(start), cpu() - cpuStart]);
    start = performance.now();
    cpuStart = cpu();
    await resolveTrustedIdentities(new LocalObjectStore({ root: out }));
    times.push(['cdp score: identity resolution', seconds(start), cpu() - cpuStart]);
    const run = await runScoring({
      zoneDir: out,
      asOf: AS_OF,
      run: 'bench',
      ...WINDOWS,
      cutoffCount: CUTOFF_COUNT,
      cutoffStepDays: CUTOFF_STEP_DAYS,
    });
    for (const [stage, s] of Object.entries(run.seconds))
      times.push([`cdp score: ${stage}`, s, run.cpuSeconds[stage] ?? Number.NaN]);

    if (args['timing-only']) {
      printTimes(times);
      return;
    }
    // The evaluation reads the same feature rows again: labels after AS_OF and the baselines' inputs.
    start = performance.now();
    cpuStart = cpu();
    const plan = scoringCutoffs(AS_OF, WINDOWS, CUTOFF_COUNT, CUTOFF_STEP_DAYS);
    const engine = await DuckDbFeatures.open(out);
    const table = await engine.featureTable({ cutoffs: plan.cutoffs, ...WINDOWS });
    engine.close();
    const truthRows = parse(await readFile(path.join(world, 'ground-truth/customers.csv')), {
      columns: true,
    }) as Record<string, string>[];
    const truth = new Map(truthRows.map((r) => [r['customer_id']!, r]));

    const seen = new Set<string>();
    const heldOut: number[] = [];
    for (let r = 0; r < table.rows; r++) {
      if (table.cutoffIndex[r] !== 0 || !isValidationProfile(table.profileIds[r]!)) continue;
      if (seen.has(table.profileIds[r]!) || !truth.has(table.customerIds[r]!)) continue;
      if (!(column(table, 'tenure_days')[r]! >= 0)) continue; // not signed up yet at AS_OF
      seen.add(table.profileIds[r]!);
      heldOut.push(r);
    }

    const rows: string[][] = [];
    const verdicts: string[] = [];
    for (const model of ['churn', 'repurchase'] as const) {
      const scores = new Map(
        (
          parse(await readFile(path.join(run.dir, `${model}.csv`)), { columns: true }) as Record<
            string,
            string
          >[]
        ).map((r) => [r['customer_id']!, Number(r['score'])]),
      );
      const labels = heldOut.map((r) => labelOf[model](table, r));
      const auc = (values: number[]) => rocAuc(values, labels);
      const modelAuc = auc(heldOut.map((r) => scores.get(table.customerIds[r]!)!));
      const ceiling = auc(
        heldOut.map((r) => Number(truth.get(table.customerIds[r]!)![`${model}_probability`])),
      );
      const recency = column(table, 'recency_days');
      const sign = model === 'churn' ? 1 : -1;
      const recencyAuc = auc(heldOut.map((r) => sign * (Number.isNaN(recency[r]!) ? 1e6 : recency[r]!)));
      const trainSeen = new Set<string>();
      const train: number[] = [];
      const cutoffs = new Set(plan[model]);
      for (let r = 0; r < table.rows; r++) {
        if (!cutoffs.has(table.cutoffIndex[r]!) || isValidationProfile(table.profileIds[r]!)) continue;
        const key = `${table.profileIds[r]}|${table.cutoffIndex[r]}`;
        if (trainSeen.has(key)) continue;
        trainSeen.add(key);
        train.push(r);
      }
      // ml-logistic-regression does full-batch steps with ml-matrix copies: 20,000 rows are plenty for 4 weights.
      const sample = train.filter((_, i) => i % Math.max(1, Math.ceil(train.length / 20_000)) === 0);
      const lrAuc = auc(rfmLogisticRegression(table, sample, model)(heldOut));
      const positives = labels.reduce((a, b) => a + b, 0);
      rows.push([
        model,
        n(heldOut.length),
        `${((100 * positives) / heldOut.length).toFixed(1)}%`,
        modelAuc.toFixed(4),
        ceiling.toFixed(4),
        (modelAuc / ceiling).toFixed(3),
        recencyAuc.toFixed(4),
        lrAuc.toFixed(4),
      ]);
      const beats = modelAuc > recencyAuc && modelAuc > lrAuc;
      verdicts.push(
        `${model}: ${beats ? 'beats both baselines' : 'does NOT beat both baselines'}; ${modelAuc / ceiling >= 0.95 ? 'reaches' : 'misses'} 0.95 of the ceiling (${(modelAuc / ceiling).toFixed(3)})`,
      );
    }
    times.push(['evaluation (baselines, not part of cdp score)', seconds(start), cpu() - cpuStart]);

    console.log('\nAUC on the held-out customers (labels: what they did after the as-of date)');
    for (const line of formatTable(
      [
        'model',
        'customers',
        'positives',
        'model AUC',
        'ceiling (truth)',
        'model/ceiling',
        'recency',
        'LR on RFM',
      ],
      rows,
      new Set([1, 2, 3, 4, 5, 6, 7]),
    ))
      console.log(line);
    for (const v of verdicts) console.log(v);
    printTimes(times);
    for (const report of run.reports)
      console.log(
        `${report.model}: validation AUC ${report.auc.toFixed(4)} (latest training cutoff), ${report.rounds} trees, top features ${report.featureImportance
          .slice(0, 4)
          .map((f) => `${f.feature} ${(100 * f.gainShare).toFixed(0)}%`)
          .join(', ')}`,
      );
  } finally {
    if (args.keep) console.log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
