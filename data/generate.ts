/**
 * Generates the sample world: Personalize, CRM, store, web and Pinpoint files with planted
 * structure, and the ground truth to check the pipeline against.
 *
 *   npm run data:generate -- [--seed 42] [--users 2000] [--interactions 50000] [--out data/sample]
 */
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { runCli } from '../lambdas/local/run-cli';
import { DEFAULTS, parseGenerateOptions, type RawGenerateOptions } from './generator/options';
import { generateSampleData } from './generator/write-world';

const SAMPLE_DIR = fileURLToPath(new URL('./sample', import.meta.url));

const program = new Command()
  .name('data:generate')
  .description('Writes a deterministic sample world (same seed, byte-identical files) with its ground truth.')
  .option('--seed <n>', `PRNG seed (default ${DEFAULTS.seed})`)
  .option('--users <n>', `customers (default ${DEFAULTS.users})`)
  .option('--interactions <n>', `rows of personalize/interactions.csv (default ${DEFAULTS.interactions})`)
  .option('--out <dir>', 'output folder (default data/sample)')
  .showHelpAfterError()
  .exitOverride();

await runCli(async () => {
  program.parse(process.argv);
  const options = parseGenerateOptions(program.opts<RawGenerateOptions>(), SAMPLE_DIR);
  const started = performance.now();
  const report = await generateSampleData(options);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Wrote ${options.outDir} (seed ${options.seed}) in ${seconds}s:`);
  for (const file of report.files)
    console.log(`  ${file.path.padEnd(30)} ${file.rows.toLocaleString('en-US').padStart(12)} rows`);
  const { duplicates, churn } = report.summary;
  console.log(
    `Planted: ${duplicates.clusters} duplicate clusters, ${duplicates.sharedEmailHouseholds} shared-email households, churn rate ${churn.churnRate}.`,
  );
});
